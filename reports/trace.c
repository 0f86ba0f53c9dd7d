/* A case's step trace as plain text: what KTAP, JUnit and KCIDB carry. */
#include "report.h"

#include <string.h>

void case_trace(FILE *f, const json_t *c, const char *prefix)
{
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(c, "steps"), i, s) {
		const char *iter = jstr(s, "iter"), *detail = jstr(s, "detail");
		int fail = record_step_status(s) == STEP_FAIL, bug = record_step_status(s) == STEP_KNOWN_BUG;
		fprintf(f, "%s%s %lld %s%s%s: %s", prefix, fail ? "!!" : bug ? "~~" : "  ",
			(long long)json_integer_value(json_object_get(s, "line")), jstr(s, "host"),
			*iter ? " " : "", iter, jstr(s, "call"));
		if (fail)
			fprintf(f, "\n%s     expected: %s\n%s     observed: %s", prefix, jstr(s, "expected"),
				prefix, jstr(s, "observed"));
		else
			fprintf(f, " = %s", jstr(s, "observed"));
		fprintf(f, "%s%s%s", *detail ? " (" : "", detail, *detail ? ")" : "");
		if (bug)    /* "~~": an answer the case marks as a kernel bug */
			fprintf(f, " known kernel bug, fixed by %s", jstr(json_object_get(s, "bug"), "fix"));
		fputc('\n', f);
	}
	json_int_t left_out = json_integer_value(json_object_get(c, "failed_suppressed"));
	if (left_out)
		fprintf(f, "%s!! and %lld more failing steps, left out of the record\n", prefix, (long long)left_out);
	if (*jstr(c, "reason"))
		fprintf(f, "%s%s: %s\n", prefix, jstr(c, "status"), jstr(c, "reason"));
}

/* The first mismatch as one line: the message of a JUnit failure. */
void case_first_failure(FILE *f, const json_t *c)
{
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(c, "steps"), i, s)
		if (record_step_status(s) == STEP_FAIL) {
			fprintf(f, "line %lld: %s: expected %s, observed %s",
				(long long)json_integer_value(json_object_get(s, "line")), jstr(s, "call"),
				jstr(s, "expected"), jstr(s, "observed"));
			return;
		}
	fprintf(f, "%s", *jstr(c, "reason") ? jstr(c, "reason") : jstr(c, "status"));
}
