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

void ktap_case(FILE *f, int number, const json_t *c)
{
	const char *status = str(c, "status"), *reason = str(c, "reason");
	int ok = !strcmp(status, "PASS") || !strcmp(status, "SKIP");
	if (!ok) {
		fprintf(f, "# %s: %s\n", str(c, "id"), str(c, "title"));
		case_trace(f, c, "# ");
	}
	fprintf(f, "%sok %d %s", ok ? "" : "not ", number, str(c, "id"));
	if (strcmp(status, "PASS") && strcmp(status, "FAIL"))
		fprintf(f, " # %s%s%s", status, *reason ? " " : "", reason);
	fputc('\n', f);
	fflush(f);
}

/* A record (or several, one after the other) as `run` printed it. */
static void write_ktap(FILE *f, json_t *const *recs, int n)
{
	for (int r = 0; r < n; r++) {
		json_t *cases = json_object_get(recs[r], "cases"), *c;
		size_t i;
		if (n > 1)
			fprintf(f, "# run %d: kernel %s\n", r + 1, run_label(recs[r]));
		ktap_header(f, (int)json_array_size(cases));
		json_array_foreach(cases, i, c)
			ktap_case(f, (int)i + 1, c);
	}
}

const struct report_writer report_ktap = { "ktap", "KTAP v1, as run prints it", write_ktap };
