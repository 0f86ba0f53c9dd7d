/* clock: monotonic time for timeouts and durations. */
#ifndef NETREPRO_CLOCK_H
#define NETREPRO_CLOCK_H

#include <time.h>

/* Seconds on the monotonic clock. */
static inline double clock_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
