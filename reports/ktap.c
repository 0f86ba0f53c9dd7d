/* KTAP v1 (Documentation/dev-tools/ktap.rst): "ok N id", directives for
 * SKIP, TIMEOUT and ERROR, and the step trace of a failure as diagnostics. */
#include "report.h"

#include <string.h>

void ktap_header(FILE *f, int ncases)
{
	fprintf(f, "KTAP version 1\n1..%d\n", ncases);
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* One line a step; a mismatch gets its expected and observed lines. */
static void trace(FILE *f, const json_t *steps)
{
	size_t i;
	json_t *s;
	json_array_foreach(steps, i, s) {
		const char *iter = str(s, "iter"), *detail = str(s, "detail");
		int fail = !strcmp(str(s, "status"), "fail");
		fprintf(f, "# %s %lld %s%s%s: %s", fail ? "!!" : "  ",
			(long long)json_integer_value(json_object_get(s, "line")), str(s, "host"),
			*iter ? " " : "", iter, str(s, "call"));
		if (fail)
			fprintf(f, "\n#      expected: %s\n#      observed: %s", str(s, "expected"), str(s, "observed"));
		else
			fprintf(f, " = %s", str(s, "observed"));
		fprintf(f, "%s%s%s\n", *detail ? " (" : "", detail, *detail ? ")" : "");
	}
}

void ktap_case(FILE *f, int number, const json_t *c)
{
	const char *status = str(c, "status"), *reason = str(c, "reason");
	int ok = !strcmp(status, "PASS") || !strcmp(status, "SKIP");
	if (!ok) {
		fprintf(f, "# %s: %s\n", str(c, "id"), str(c, "title"));
		trace(f, json_object_get(c, "steps"));
		if (*reason)
			fprintf(f, "# %s: %s\n", status, reason);
	}
	fprintf(f, "%sok %d %s", ok ? "" : "not ", number, str(c, "id"));
	if (strcmp(status, "PASS") && strcmp(status, "FAIL"))
		fprintf(f, " # %s%s%s", status, *reason ? " " : "", reason);
	fputc('\n', f);
	fflush(f);
}
