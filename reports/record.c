/* The run record: what ran, where, and what the kernel answered. */
#include "report.h"

#include <errno.h>
#include <string.h>
#include <time.h>

static const char *const statuses[] = { "PASS", "FAIL", "ERROR", "SKIP", "TIMEOUT" };

json_t *record_new(json_t *environment, const char *version)
{
	char started[32];
	time_t t = time(NULL);
	struct tm tm;
	strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	return json_pack("{s:s, s:{s:s, s:s}, s:s, s:f, s:o, s:[], s:{}}",
			 "schema", RECORD_SCHEMA, "tool", "name", "netrepro", "version", version,
			 "started", started, "duration_s", 0.0, "environment", environment,
			 "cases", "summary");
}

void record_add_case(json_t *rec, json_t *case_rec)
{
	json_array_append(json_object_get(rec, "cases"), case_rec);
}

void record_finish(json_t *rec, double duration_s)
{
	json_t *summary = json_object(), *c;
	size_t i;
	for (size_t s = 0; s < sizeof statuses / sizeof *statuses; s++)
		json_object_set_new(summary, statuses[s], json_integer(0));
	json_array_foreach(json_object_get(rec, "cases"), i, c) {
		const char *st = json_string_value(json_object_get(c, "status"));
		json_t *n = st ? json_object_get(summary, st) : NULL;
		if (n)
			json_integer_set(n, json_integer_value(n) + 1);
	}
	json_object_set_new(rec, "summary", summary);
	json_object_set_new(rec, "duration_s", json_real(duration_s));
}

int record_write(const json_t *rec, const char *path, char *err, size_t len)
{
	if (json_dump_file(rec, path, JSON_INDENT(1) | JSON_PRESERVE_ORDER) < 0) {
		snprintf(err, len, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int record_exit_status(const json_t *rec)
{
	json_t *summary = json_object_get(rec, "summary");
	const char *bad[] = { "FAIL", "ERROR", "TIMEOUT" };
	for (size_t i = 0; i < 3; i++)
		if (json_integer_value(json_object_get(summary, bad[i])))
			return 1;
	return 0;
}
