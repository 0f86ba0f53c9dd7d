/* A case's step trace as plain text: what KTAP, JUnit and KCIDB carry.
 * Every string from the record is made visible (TEXT_TERM): a trace line
 * is one line, whatever a call or an answer holds. */
#include "report.h"

#include <string.h>

static void field(FILE *f, const char *before, const json_t *o, const char *key)
{
	fputs(before, f);
	put_text(f, jstr(o, key), TEXT_TERM);
}

void case_trace(FILE *f, const json_t *c, const char *prefix)
{
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(c, "steps"), i, s) {
		int fail = record_step_status(s) == STEP_FAIL, bug = record_step_status(s) == STEP_KNOWN_BUG;
		fprintf(f, "%s%s %lld", prefix, fail ? "!!" : bug ? "~~" : "  ",
			(long long)json_integer_value(json_object_get(s, "line")));
		field(f, " ", s, "host");
		field(f, *jstr(s, "iter") ? " " : "", s, "iter");
		field(f, ": ", s, "call");
		if (fail) {
			fprintf(f, "\n%s", prefix);
			field(f, "     expected: ", s, "expected");
			fprintf(f, "\n%s", prefix);
			field(f, "     observed: ", s, "observed");
		} else {
			field(f, " = ", s, "observed");
		}
		if (*jstr(s, "detail")) {
			field(f, " (", s, "detail");
			fputc(')', f);
		}
		if (bug)    /* "~~": an answer the case marks as a kernel bug */
			field(f, " known kernel bug, fixed by ", json_object_get(s, "bug"), "fix");
		fputc('\n', f);
	}
	json_int_t left_out = json_integer_value(json_object_get(c, "failed_suppressed"));
	if (left_out)
		fprintf(f, "%s!! and %lld more failing steps, left out of the record\n", prefix, (long long)left_out);
	if (*jstr(c, "reason")) {
		field(f, prefix, c, "status");
		field(f, ": ", c, "reason");
		fputc('\n', f);
	}
}

/* The first mismatch as one line: the message of a JUnit failure. */
void case_first_failure(FILE *f, const json_t *c)
{
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(c, "steps"), i, s)
		if (record_step_status(s) == STEP_FAIL) {
			fprintf(f, "line %lld", (long long)json_integer_value(json_object_get(s, "line")));
			field(f, ": ", s, "call");
			field(f, ": expected ", s, "expected");
			field(f, ", observed ", s, "observed");
			return;
		}
	put_text(f, *jstr(c, "reason") ? jstr(c, "reason") : jstr(c, "status"), TEXT_TERM);
}
