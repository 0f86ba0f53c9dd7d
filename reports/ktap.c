/* KTAP v1 (Documentation/dev-tools/ktap.rst): "ok N id", directives for
 * SKIP, TIMEOUT and ERROR, and the step trace of a failure as diagnostics.
 * Several records make one document: each record a subtest, its lines
 * indented by two spaces, as the specification nests them. */
#include "report.h"

#include <string.h>

static void header(FILE *f, const char *indent, int ncases)
{
	fprintf(f, "%sKTAP version 1\n%s1..%d\n", indent, indent, ncases);
}

void ktap_header(FILE *f, int ncases)
{
	header(f, "", ncases);
}

static void result(FILE *f, const char *indent, int number, const json_t *c)
{
	const char *status = jstr(c, "status"), *reason = jstr(c, "reason");
	enum status st = record_case_status(c);
	/* a known kernel bug: "ok ... # XFAIL", kselftest's expected failure */
	int ok = st == ST_PASS || st == ST_SKIP || st == ST_KNOWN_BUG;
	if (!ok || st == ST_KNOWN_BUG) {
		char prefix[64];
		snprintf(prefix, sizeof prefix, "%s# ", indent);
		fprintf(f, "%s%s%s%s\n", prefix, jstr(c, "id"), *jstr(c, "title") ? ": " : "", jstr(c, "title"));
		case_trace(f, c, prefix);
	}
	fprintf(f, "%s%sok %d %s", indent, ok ? "" : "not ", number, jstr(c, "id"));
	if (st == ST_KNOWN_BUG)
		fprintf(f, " # XFAIL%s%s", *reason ? " " : "", reason);
	else if (st != ST_PASS && st != ST_FAIL)
		fprintf(f, " # %s%s%s", status, *reason ? " " : "", reason);
	fputc('\n', f);
	fflush(f);
}

void ktap_case(FILE *f, int number, const json_t *c)
{
	result(f, "", number, c);
}

static void cases(FILE *f, const char *indent, const json_t *rec)
{
	json_t *all = json_object_get(rec, "cases"), *c;
	size_t i;
	header(f, indent, (int)json_array_size(all));
	json_array_foreach(all, i, c)
		result(f, indent, (int)i + 1, c);
}

/* One record as `run` printed it; several as subtests named by kernel. */
static void write_ktap(FILE *f, json_t *const *recs, int n)
{
	if (n == 1) {
		cases(f, "", recs[0]);
		return;
	}
	header(f, "", n);
	for (int r = 0; r < n; r++) {
		cases(f, "  ", recs[r]);
		fprintf(f, "%sok %d %s\n", record_exit_status(recs[r], 0) ? "not " : "", r + 1, run_label(recs[r]));
	}
}

const struct report_writer report_ktap = { "ktap", "KTAP v1, as run prints it", write_ktap, NULL };
