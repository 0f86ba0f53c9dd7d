/* One self-contained HTML page (no scripts or styles fetched): the case x
 * run matrix coloured by status, each cell opening onto its steps. */
#include "report.h"

#include <string.h>

#define HTML "<>&\""

static const char style[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}"
	"table{border-collapse:collapse;margin:.5em 0}"
	"th,td{border:1px solid #ccc;padding:3px 7px;vertical-align:top;text-align:left}"
	"th{background:#f3f3f3}code{font:12px ui-monospace,monospace}"
	".PASS{background:#d9f2d9}.FAIL{background:#f8d0d0}.ERROR{background:#f2c6f2}"
	".KNOWN-BUG,.has{background:#fde7c2}.fixed{background:#d9f2d9}"
	".TIMEOUT{background:#fde2b8}.SKIP{background:#e6e6e6}.MISS{background:#fff;color:#999}"
	".differs{outline:3px solid #d33;outline-offset:-3px}"
	"tr.fail td{background:#fbe3e3;font-weight:bold}"
	"details summary{cursor:pointer}";

static void esc(FILE *f, const char *s)
{
	put_escaped(f, s, HTML);
}

static void env_table(FILE *f, json_t *const *recs, int n)
{
	static const char *const rows[][3] = {
		{ "kernel", "kernel", "release" }, { "kernel version", "kernel", "version" },
		{ "arch", "kernel", "arch" }, { "distro", "platform", "distro" },
		{ "virtualisation", "platform", "virt" },
	};
	fprintf(f, "<h2>Environment</h2><table id=\"environment\"><tr><th></th>");
	for (int r = 0; r < n; r++)
		fprintf(f, "<th>run %d</th>", r + 1);
	fprintf(f, "</tr>\n");
	for (size_t k = 0; k < sizeof rows / sizeof *rows; k++) {
		fprintf(f, "<tr><th>%s</th>", rows[k][0]);
		for (int r = 0; r < n; r++) {
			fprintf(f, "<td>");
			esc(f, jstr(json_object_get(json_object_get(recs[r], "environment"), rows[k][1]), rows[k][2]));
			fprintf(f, "</td>");
		}
		fprintf(f, "</tr>\n");
	}
	const char *key;
	json_t *v;
	json_object_foreach(json_object_get(json_object_get(recs[0], "environment"), "sysctl"), key, v) {
		fprintf(f, "<tr><th><code>%s</code></th>", key);
		for (int r = 0; r < n; r++) {
			const char *s = env_sysctl(recs[r], key);
			fprintf(f, "<td>");
			esc(f, s ? s : "-");
			fprintf(f, "</td>");
		}
		fprintf(f, "</tr>\n");
	}
	fprintf(f, "</table>\n");
}

static void steps(FILE *f, const json_t *c)
{
	fprintf(f, "<table class=\"steps\"><tr><th>line</th><th>host</th><th>call</th>"
		   "<th>expected</th><th>observed</th></tr>\n");
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(c, "steps"), i, s) {
		int fail = record_step_status(s) == STEP_FAIL;
		fprintf(f, "<tr%s><td>%lld</td><td>", fail ? " class=\"fail\"" : "",
			(long long)json_integer_value(json_object_get(s, "line")));
		esc(f, jstr(s, "host"));
		fprintf(f, "</td><td><code>");
		esc(f, jstr(s, "call"));
		if (*jstr(s, "iter")) {
			fprintf(f, "</code> at <code>");
			esc(f, jstr(s, "iter"));
		}
		fprintf(f, "</code></td><td>");
		esc(f, *jstr(s, "expected") ? jstr(s, "expected") : "-");
		fprintf(f, "</td><td>");
		esc(f, jstr(s, "observed"));
		if (*jstr(s, "detail")) {
			fprintf(f, " <small>(");
			esc(f, jstr(s, "detail"));
			fprintf(f, ")</small>");
		}
		fprintf(f, "</td></tr>\n");
	}
	fprintf(f, "</table>\n");
}


/* The case's packet captures, each a link to its pcap file. */
static void captures(FILE *f, const json_t *c)
{
	size_t i;
	json_t *cap;
	json_array_foreach(json_object_get(c, "captures"), i, cap) {
		const char *file = jstr(cap, "file");
		fprintf(f, "<p class=\"capture\">capture ");
		esc(f, jstr(cap, "host"));
		if (*jstr(cap, "interface")) {
			fputc(':', f);
			esc(f, jstr(cap, "interface"));
		}
		fprintf(f, ": ");
		if (*file) {
			fprintf(f, "<a href=\"");
			esc(f, file);
			fprintf(f, "\">");
			esc(f, file);
			fprintf(f, "</a>");
		} else {
			fprintf(f, "not saved");
		}
		fprintf(f, ", %lld frames, %lld dropped</p>", (long long)json_integer_value(json_object_get(cap, "frames")),
			(long long)json_integer_value(json_object_get(cap, "dropped")));
	}
	if (json_is_true(json_object_get(c, "nondeterministic")))
		fprintf(f, "<p>nondeterministic: a netem setting acts on each packet by chance</p>");
	if (*jstr(c, "isolation")) {
		fprintf(f, "<p>isolation: ");
		esc(f, jstr(c, "isolation"));
		fprintf(f, "</p>");
	}
}

static void cell(FILE *f, const json_t *c, int differs, const json_t *step, const char *observed)
{
	/* the name from our table, not the record's bytes: it goes in an
	 * attribute unescaped */
	enum status st = record_case_status(c);
	const char *status = st < ST__COUNT ? status_name(st) : "MISS";
	fprintf(f, "<td class=\"%s%s\" data-status=\"%s\">", status, differs ? " differs" : "", status);
	if (!c) {
		fprintf(f, "not run</td>");
		return;
	}
	fprintf(f, "<details><summary>%s%s", status, differs ? " (differs)" : "");
	if (step) {
		fprintf(f, "<br><code>line %lld: ", (long long)json_integer_value(json_object_get(step, "line")));
		esc(f, observed);
		fprintf(f, "</code>");
	}
	fprintf(f, "</summary>");
	if (*jstr(c, "reason")) {
		fprintf(f, "<p>");
		esc(f, jstr(c, "reason"));
		fprintf(f, "</p>");
	}
	captures(f, c);
	steps(f, c);
	fprintf(f, "</details></td>");
}

static void matrix(FILE *f, json_t *const *recs, int n)
{
	json_t *ids = case_ids(recs, n), *id;
	size_t i;
	fprintf(f, "<h2>Results</h2><table id=\"matrix\"><tr><th>case</th>");
	for (int r = 0; r < n; r++) {
		fprintf(f, "<th>");
		esc(f, run_label(recs[r]));
		fprintf(f, "</th>");
	}
	fprintf(f, "</tr>\n");
	json_array_foreach(ids, i, id) {
		const char *cid = json_string_value(id);
		const json_t *first = case_find(recs[0], cid), *c = NULL;
		fprintf(f, "<tr data-case=\"");
		esc(f, cid);
		fprintf(f, "\"><th><code>");
		esc(f, cid);
		fprintf(f, "</code><br><small>");
		for (int r = 0; r < n && !(c = case_find(recs[r], cid)); r++)
			;
		esc(f, jstr(c, "title"));
		fprintf(f, "</small></th>");
		int differs = 0;
		for (int r = 1; r < n; r++)
			differs |= !case_same_answers(first, case_find(recs[r], cid));
		const json_t *step = differs ? case_differing_step(recs, n, cid) : NULL;
		for (int r = 0; r < n; r++) {
			c = case_find(recs[r], cid);
			cell(f, c, differs, step, step_observed_in(recs[r], cid, step));
		}
		fprintf(f, "</tr>\n");
	}
	fprintf(f, "</table>\n");
	json_decref(ids);
}

/* Known bug x kernel: which of the kernels lack which fixes. */
static void bugs_table(FILE *f, json_t *const *recs, int n)
{
	json_t *table = bug_table(recs, n), *row;
	const char *fix;
	if (!json_object_size(table)) {
		json_decref(table);
		return;
	}
	fprintf(f, "<h2>Known kernel bugs</h2><table id=\"bugs\"><tr><th>bug (its fix)</th>");
	for (int r = 0; r < n; r++) {
		fprintf(f, "<th>");
		esc(f, run_label(recs[r]));
		fprintf(f, "</th>");
	}
	fprintf(f, "</tr>\n");
	json_object_foreach(table, fix, row) {
		int link = !strncmp(fix, "https://", 8) || !strncmp(fix, "http://", 7);
		fprintf(f, "<tr><th>%s", link ? "<a href=\"" : "");
		if (link) {
			esc(f, fix);
			fprintf(f, "\">");
		}
		esc(f, fix);
		fprintf(f, "%s</th>", link ? "</a>" : "");
		for (int r = 0; r < n; r++) {
			json_t *st = json_array_get(row, (size_t)r);
			fprintf(f, "<td class=\"%s\">%s</td>", json_is_string(st) ? json_string_value(st) : "na",
				bug_word(st));
		}
		fprintf(f, "</tr>\n");
	}
	fprintf(f, "</table>\n");
	json_decref(table);
}

static void write_html(FILE *f, json_t *const *recs, int n)
{
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		   "<title>netrepro report</title><style>%s</style></head><body>\n"
		   "<h1>netrepro report</h1>\n<p>", style);
	for (int r = 0; r < n; r++) {
		fprintf(f, "%s<b>", r ? "<br>" : "");
		esc(f, run_label(recs[r]));
		fprintf(f, "</b>: ");
		put_summary(f, recs[r]);
	}
	fprintf(f, "</p>\n");
	bugs_table(f, recs, n);
	matrix(f, recs, n);
	env_table(f, recs, n);
	fprintf(f, "</body></html>\n");
}

const struct report_writer report_html = { "html", "one self-contained HTML page", write_html };
