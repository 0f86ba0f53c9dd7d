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
	const char *reason = jstr(c, "reason");
	enum status st = record_case_status(c);
	/* a known kernel bug: "ok ... # XFAIL", kselftest's expected failure */
	int ok = st == ST_PASS || st == ST_SKIP || st == ST_KNOWN_BUG;
	if (!ok || st == ST_KNOWN_BUG) {
		char prefix[64];
		snprintf(prefix, sizeof prefix, "%s# ", indent);
		fputs(prefix, f);
		put_text(f, jstr(c, "id"), TEXT_TERM);
		fputs(*jstr(c, "title") ? ": " : "", f);
		put_text(f, jstr(c, "title"), TEXT_TERM);
		fputc('\n', f);
		case_trace(f, c, prefix);
	}
	/* the id is the description: no '#' (a directive would start there) */
	fprintf(f, "%s%sok %d ", indent, ok ? "" : "not ", number);
	put_text(f, jstr(c, "id"), TEXT_KTAP);
	/* a status this netrepro does not know: an ERROR, its name shown */
	const char *directive = st == ST_KNOWN_BUG ? "XFAIL" : st == ST__COUNT ? "ERROR" : status_name(st);
	if (st != ST_PASS && st != ST_FAIL) {
		fprintf(f, " # %s", directive);
		if (st == ST__COUNT) {
			fputs(" status ", f);
			put_text(f, jstr(c, "status"), TEXT_TERM);
		}
		fputs(*reason ? " " : "", f);
		put_text(f, reason, TEXT_TERM);
	}
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
		fprintf(f, "%sok %d ", record_exit_status(recs[r], 0) ? "not " : "", r + 1);
		put_text(f, run_label(recs[r]), TEXT_KTAP);
		fputc('\n', f);
	}
}

const struct report_writer report_ktap = { "ktap", "KTAP v1, as run prints it", write_ktap, NULL };
