/* clock: monotonic time for timeouts and durations. */
#ifndef NETREPRO_CLOCK_H
#define NETREPRO_CLOCK_H

#include <string.h>
#include <stdlib.h>
#include <time.h>

/* The longest any timeout or sleep may be: a day. Past it a number is a
 * typo, or an attempt to hang a run. */
#define DURATION_MAX_S 86400

/* A duration in seconds as the command line writes it: decimal digits
 * with at most one '.', more than 0 and at most max. No sign, exponent,
 * hex, nan or inf (strtod takes all of those). 0, or -1. */
static inline int duration_parse(const char *s, double max, double *out)
{
	size_t digits = strspn(s, "0123456789.");
	const char *dot = strchr(s, '.');
	if (!digits || s[digits] || (dot && strchr(dot + 1, '.')) || !strcmp(s, "."))
		return -1;
	double v = strtod(s, NULL);
	if (!(v > 0 && v <= max))
		return -1;
	*out = v;
	return 0;
}

/* Seconds on the monotonic clock. */
static inline double clock_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
