/* One self-contained HTML page (nothing fetched: the style and a small
 * script are inline): a status filter and a search box over the case x run
 * table and the cases, failures first and open, each with its refs, steps,
 * the sysctls it sets, its source with its fixtures, and the command that
 * reproduces it. The filter can be set from the address too:
 * report.html#status=FAIL,ERROR&q=realm. */
#include "report.h"

#include <string.h>

static const char style[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}"
	"table{border-collapse:collapse;margin:.5em 0}"
	"th,td{border:1px solid #ccc;padding:3px 7px;vertical-align:top;text-align:left}"
	"th{background:#f3f3f3}code,pre{font:12px ui-monospace,monospace}"
	"pre{background:#f6f6f6;padding:.5em;overflow:auto}"
	".PASS{background:#d9f2d9}.FAIL{background:#f8d0d0}.ERROR{background:#f2c6f2}"
	".KNOWN-BUG,.has{background:#fde7c2}.fixed{background:#d9f2d9}"
	".TIMEOUT{background:#fde2b8}.SKIP{background:#e6e6e6}.MISS{background:#fff;color:#999}"
	".differs{outline:3px solid #d33;outline-offset:-3px}"
	"tr.fail td{background:#fbe3e3;font-weight:bold}"
	"details summary{cursor:pointer}section.case{margin:.6em 0}"
	"section.case>details>summary{font-size:15px;padding:2px 0}"
	".badge{padding:0 6px;border-radius:3px}"
	"#filter{position:sticky;top:0;background:#fff;padding:.4em 0;border-bottom:1px solid #ccc}"
	"#filter label{margin-right:.8em}[hidden]{display:none!important}";

/* Checkboxes and the search box hide what does not match: an element with
 * data-statuses (the statuses of its case, one per run) shows when one of
 * them is ticked and its data-search holds the text searched for. */
static const char script[] =
	"(function(){"
	"var form=document.getElementById('filter'),q=document.getElementById('search'),"
	"out=document.getElementById('shown'),boxes=form.querySelectorAll('input[name=status]'),"
	"items=document.querySelectorAll('[data-statuses]');"
	"function apply(save){"
	"var on={},s=q.value.trim().toLowerCase(),shown=0,all=0,st=[];"
	"boxes.forEach(function(b){on[b.value]=b.checked;if(b.checked)st.push(b.value);});"
	"items.forEach(function(e){"
	"var ok=e.dataset.statuses.split(' ').some(function(x){return on[x];})"
	"&&(!s||e.dataset.search.toLowerCase().indexOf(s)>=0);"
	"e.hidden=!ok;if(e.tagName=='SECTION'){all++;if(ok)shown++;}});"
	"out.textContent=shown+' of '+all+' cases shown';"
	"if(save)try{history.replaceState(null,'','#status='+st.join(',')+(s?'&q='+encodeURIComponent(s):''));}"
	"catch(e){}}"
	"var h=new URLSearchParams(location.hash.slice(1));"
	"if(h.has('status')){var want=h.get('status').split(',');"
	"boxes.forEach(function(b){b.checked=want.indexOf(b.value)>=0;});}"
	"if(h.has('q'))q.value=h.get('q');"
	"form.addEventListener('input',function(){apply(true);});"
	"form.addEventListener('submit',function(e){e.preventDefault();});"
	"apply(false);})();";

/* In the filter's order: what needs a look first. */
static const enum status filter_order[] = { ST_FAIL, ST_ERROR, ST_TIMEOUT, ST_KNOWN_BUG, ST_SKIP, ST_PASS };

static void esc(FILE *f, const char *s)
{
	put_text(f, s, TEXT_HTML);
}

/* The status name from our table, not the record's bytes: it goes in an
 * attribute unescaped. MISS, a neutral class: not run, or a status this
 * netrepro does not know. */
static const char *status_word(const json_t *c)
{
	enum status st = record_case_status(c);
	return st < ST__COUNT ? status_name(st) : "MISS";
}

/* A status badge's text: the name, "not run", or a status this netrepro
 * does not know as the record spells it (escaped). */
static void status_text(FILE *f, const json_t *c)
{
	if (!c)
		fputs("not run", f);
	else if (record_case_status(c) == ST__COUNT)
		esc(f, jstr(c, "status"));
	else
		fputs(status_word(c), f);
}

/* A link only to an http(s) URL, or to a file next to the report (rel). */
static void link_to(FILE *f, const char *url, int rel)
{
	int web = text_is_web_url(url) || (rel && text_is_file_path(url));
	if (web) {
		fprintf(f, "<a href=\"");
		esc(f, url);
		fprintf(f, "\">");
	}
	esc(f, url);
	fprintf(f, "%s", web ? "</a>" : "");
}

static void link(FILE *f, const char *url)
{
	link_to(f, url, 0);
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
	fprintf(f, "</tr>\n<tr><th>netrepro</th>");
	for (int r = 0; r < n; r++) {
		fprintf(f, "<td>");
		esc(f, run_tool_version(recs[r]));
		fprintf(f, "</td>");
	}
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
		fprintf(f, "<tr><th><code>");
		esc(f, key);
		fprintf(f, "</code></th>");
		for (int r = 0; r < n; r++) {
			const char *s = env_sysctl(recs[r], key);
			fprintf(f, "<td>");
			esc(f, s ? s : "-");
			fprintf(f, "</td>");
		}
		fprintf(f, "</tr>\n");
	}
	fprintf(f, "</table>\n<p>The sysctls are the host's own, outside the namespaces the cases make; "
		   "what a case's <code>sysctl</code> lines set is listed under the case.</p>\n");
}

/* The steps of every run, each question once, in file order; a column of
 * observed answers per run. */
static void steps(FILE *f, json_t *const *recs, int n, const char *id)
{
	fprintf(f, "<table class=\"steps\"><tr><th>line</th><th>host</th><th>call</th><th>expected</th>");
	for (int r = 0; r < n; r++) {
		fprintf(f, "<th>observed");
		if (n > 1) {
			fprintf(f, " (");
			esc(f, run_label(recs[r]));
			fputc(')', f);
		}
		fprintf(f, "</th>");
	}
	fprintf(f, "</tr>\n");
	json_t *all = case_steps(recs, n, id), *s;
	const json_t **cs = case_find_each(recs, n, id);
	size_t i;
	json_array_foreach(all, i, s) {
		if (!cs)
			break;
		int fail = 0;
		for (int r = 0; r < n; r++) {
			const json_t *c = cs[r], *t = c ? case_step(c, s) : NULL;
			fail |= t && record_step_status(t) == STEP_FAIL;
		}
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
		fprintf(f, "</td>");
		for (int r = 0; r < n; r++) {
			const json_t *c = cs[r], *t = c ? case_step(c, s) : NULL;
			fprintf(f, "<td>");
			esc(f, t ? jstr(t, "observed") : "-");
			if (t && *jstr(t, "detail")) {
				fprintf(f, " <small>(");
				esc(f, jstr(t, "detail"));
				fprintf(f, ")</small>");
			}
			fprintf(f, "</td>");
		}
		fprintf(f, "</tr>\n");
	}
	free(cs);
	json_decref(all);
	fprintf(f, "</table>\n");
}

/* The case's packet captures, each a link to its pcap file. */
static void captures(FILE *f, const json_t *c, const char *run)
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
		if (run) {
			fprintf(f, " on ");
			esc(f, run);
		}
		fprintf(f, ": ");
		if (*file) {
			link_to(f, file, 1);
		} else {
			fprintf(f, "not saved");
		}
		fprintf(f, ", %lld frames, %lld dropped</p>", (long long)json_integer_value(json_object_get(cap, "frames")),
			(long long)json_integer_value(json_object_get(cap, "dropped")));
	}
}

/* What each run said of the case: status, reason, isolation, captures. */
static void outcomes(FILE *f, json_t *const *recs, int n, const char *id)
{
	fprintf(f, "<ul class=\"outcomes\">");
	for (int r = 0; r < n; r++) {
		const json_t *c = case_find(recs[r], id);
		fprintf(f, "<li><span class=\"badge %s\">", status_word(c));
		status_text(f, c);
		fprintf(f, "</span>");
		if (n > 1) {
			fprintf(f, " on ");
			esc(f, run_label(recs[r]));
		}
		if (*jstr(c, "reason")) {
			fprintf(f, ": ");
			esc(f, jstr(c, "reason"));
		}
		json_int_t left_out = json_integer_value(json_object_get(c, "failed_suppressed"));
		if (left_out > 0)
			fprintf(f, "; %lld more failing steps, left out of the record", (long long)left_out);
		if (*jstr(c, "isolation")) {
			fprintf(f, " <small>(isolation: ");
			esc(f, jstr(c, "isolation"));
			fprintf(f, ")</small>");
		}
		fprintf(f, "</li>");
	}
	fprintf(f, "</ul>\n");
	for (int r = 0; r < n; r++)
		captures(f, case_find(recs[r], id), n > 1 ? run_label(recs[r]) : NULL);
}

static void refs(FILE *f, const json_t *c)
{
	size_t i;
	json_t *ref;
	if (!json_array_size(json_object_get(c, "refs")))
		return;
	fprintf(f, "<ul class=\"refs\">");
	json_array_foreach(json_object_get(c, "refs"), i, ref) {
		fprintf(f, "<li>ref: ");
		link(f, json_string_value(ref));
		fprintf(f, "</li>");
	}
	fprintf(f, "</ul>\n");
	if (json_is_true(json_object_get(c, "nondeterministic")))
		fprintf(f, "<p>nondeterministic: a netem setting acts on each packet by chance</p>\n");
}

static void sysctls(FILE *f, const json_t *text, const char *file)
{
	json_t *all = json_object_get(text, "sysctls"), *s;
	size_t i;
	if (!json_array_size(all))
		return;
	fprintf(f, "<p>Sysctls the case sets before step 1:</p><table class=\"sysctls\">"
		   "<tr><th>host</th><th>sysctl</th><th>set to</th><th>by</th></tr>\n");
	json_array_foreach(all, i, s) {
		fprintf(f, "<tr><td>");
		esc(f, jstr(s, "host"));
		fprintf(f, "</td><td><code>");
		esc(f, jstr(s, "name"));
		fprintf(f, "</code></td><td><code>");
		esc(f, jstr(s, "value"));
		fprintf(f, "</code></td><td>");
		if (strcmp(jstr(s, "file"), file)) {
			esc(f, jstr(s, "file"));
			fputc(':', f);
		} else {
			fprintf(f, "line ");
		}
		fprintf(f, "%lld</td></tr>\n", (long long)json_integer_value(json_object_get(s, "line")));
	}
	fprintf(f, "</table>\n");
}

static void source(FILE *f, const json_t *c, const json_t *text)
{
	json_t *fixtures = json_object_get(text, "fixtures"), *fx;
	size_t i;
	if (!*jstr(c, "source"))
		return;
	fprintf(f, "<details class=\"source\"><summary>case source (");
	esc(f, jstr(c, "file"));
	fprintf(f, ")%s</summary><pre>", json_array_size(fixtures) ? " and the fixtures it uses" : "");
	esc(f, jstr(c, "source"));
	fprintf(f, "</pre>\n");
	json_array_foreach(fixtures, i, fx) {
		fprintf(f, "<p><code>");
		esc(f, jstr(fx, "name"));
		fprintf(f, "</code> ");
		if (*jstr(fx, "text")) {
			fprintf(f, "(");
			esc(f, jstr(fx, "path"));
			fprintf(f, ", as read when this report was made):</p><pre>");
			esc(f, jstr(fx, "text"));
			fprintf(f, "</pre>\n");
			continue;
		}
		fprintf(f, "<b>not found when this report was made</b> (");
		esc(f, jstr(fx, "missing"));
		fprintf(f, "); the run had it, this report does not.</p>\n");
	}
	fprintf(f, "</details>\n");
}

/* data-statuses: the case's status on each run, once each. */
static void filter_attrs(FILE *f, json_t *const *recs, int n, const char *id, const json_t *c)
{
	unsigned seen = 0;
	fprintf(f, " data-case=\"");
	esc(f, id);
	fprintf(f, "\" data-statuses=\"");
	for (int r = 0; r < n; r++) {
		const json_t *rc = case_find(recs[r], id);
		enum status st = record_case_status(rc);
		if (seen & 1u << st)
			continue;
		fprintf(f, "%s%s", seen ? " " : "", status_word(rc));
		seen |= 1u << st;
	}
	fprintf(f, "\" data-search=\"");
	esc(f, id);
	fputc(' ', f);
	esc(f, jstr(c, "title"));
	fputc('"', f);
}

static void one_case(FILE *f, json_t *const *recs, int n, const char *id, int k)
{
	const json_t *c = NULL;
	int failed = 0;
	for (int r = 0; r < n; r++) {
		const json_t *rc = case_find(recs[r], id);
		c = c ? c : rc;
		failed |= case_failed(rc);
	}
	fprintf(f, "<section class=\"case\" id=\"case-%d\"", k);
	filter_attrs(f, recs, n, id, c);
	fprintf(f, "><details%s><summary>", failed ? " open" : "");
	for (int r = 0; r < n; r++) {
		fprintf(f, "<span class=\"badge %s\">", status_word(case_find(recs[r], id)));
		status_text(f, case_find(recs[r], id));
		fprintf(f, "</span> ");
	}
	fprintf(f, "<code>");
	esc(f, id);
	fprintf(f, "</code>: ");
	esc(f, jstr(c, "title"));
	fprintf(f, "</summary>\n");
	outcomes(f, recs, n, id);
	refs(f, c);
	steps(f, recs, n, id);
	json_t *text = case_text(c);
	sysctls(f, text, jstr(c, "file"));
	source(f, c, text);
	json_decref(text);
	fprintf(f, "<p>Reproduce:</p><pre class=\"reproduce\">");
	char *cmd = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&cmd, &len);
	if (m) {
		put_reproduce(m, c);
		fclose(m);
		esc(f, cmd);
	}
	free(cmd);
	fprintf(f, "</pre></details></section>\n");
}

static void cell(FILE *f, const json_t *c, int differs, const json_t *step, const char *observed, int k)
{
	const char *status = status_word(c);
	fprintf(f, "<td class=\"%s%s\" data-status=\"%s\">", status, differs ? " differs" : "", status);
	if (!c) {
		fprintf(f, "not run</td>");
		return;
	}
	fprintf(f, "<a href=\"#case-%d\">", k);
	status_text(f, c);
	fprintf(f, "</a>%s", differs ? " (differs)" : "");
	if (step) {
		fprintf(f, "<br><code>line %lld: ", (long long)json_integer_value(json_object_get(step, "line")));
		esc(f, observed);
		fprintf(f, "</code>");
	}
	fprintf(f, "</td>");
}

static void matrix_row(FILE *f, json_t *const *recs, int n, const char *id, int k)
{
	const json_t *first = case_find(recs[0], id), *c = NULL;
	for (int r = 0; r < n && !c; r++)
		c = case_find(recs[r], id);
	fprintf(f, "<tr");
	filter_attrs(f, recs, n, id, c);
	fprintf(f, "><th><a href=\"#case-%d\"><code>", k);
	esc(f, id);
	fprintf(f, "</code></a><br><small>");
	esc(f, jstr(c, "title"));
	fprintf(f, "</small></th>");
	int differs = 0;
	for (int r = 1; r < n; r++)
		differs |= !case_same_answers(first, case_find(recs[r], id));
	const json_t *step = differs ? case_differing_step(recs, n, id) : NULL;
	for (int r = 0; r < n; r++)
		cell(f, case_find(recs[r], id), differs, step, step_observed_in(recs[r], id, step), k);
	fprintf(f, "</tr>\n");
}

static void matrix(FILE *f, json_t *const *recs, int n, const json_t *ids)
{
	json_t *id;
	size_t i;
	fprintf(f, "<h2>Results%s</h2><table id=\"matrix\"><tr><th>case</th>", n > 1 ? ": case &times; kernel" : "");
	for (int r = 0; r < n; r++) {
		fprintf(f, "<th>");
		esc(f, run_label(recs[r]));
		fprintf(f, "</th>");
	}
	fprintf(f, "</tr>\n");
	json_array_foreach(ids, i, id)
		matrix_row(f, recs, n, json_string_value(id), (int)i + 1);
	fprintf(f, "</table>\n");
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
		fprintf(f, "<tr><th>");
		link(f, fix);
		fprintf(f, "</th>");
		for (int r = 0; r < n; r++) {
			/* the class from this table, whatever the record says */
			const char *state = json_string_value(json_array_get(row, (size_t)r));
			const char *cls = !state ? "na" : !strcmp(state, "has") ? "has" : !strcmp(state, "fixed") ? "fixed" : "MISS";
			fprintf(f, "<td class=\"%s\">", cls);
			esc(f, bug_word(json_array_get(row, (size_t)r)));
			fprintf(f, "</td>");
		}
		fprintf(f, "</tr>\n");
	}
	fprintf(f, "</table>\n");
	json_decref(table);
}

/* The status checkboxes (with how many cases show each) and the search box. */
static void filter(FILE *f, json_t *const *recs, int n, const json_t *ids)
{
	fprintf(f, "<form id=\"filter\" role=\"search\">Show: ");
	for (size_t k = 0; k < sizeof filter_order / sizeof *filter_order; k++) {
		const char *name = status_name(filter_order[k]);
		size_t i, count = 0;
		json_t *id;
		json_array_foreach(ids, i, id) {
			int has = 0;
			for (int r = 0; r < n; r++)
				has |= record_case_status(case_find(recs[r], json_string_value(id))) == filter_order[k];
			count += has;
		}
		fprintf(f, "<label class=\"badge %s\"><input type=\"checkbox\" name=\"status\" value=\"%s\" checked> "
			   "%s (%zu)</label>", name, name, name, count);
	}
	fprintf(f, " <label>Search: <input type=\"search\" id=\"search\" placeholder=\"case id or title\"></label> "
		   "<output id=\"shown\"></output></form>\n");
}

static void header(FILE *f, json_t *const *recs, int n, const struct report_opts *o)
{
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		   "<title>netrepro report</title><style>%s</style></head><body>\n"
		   "<h1>netrepro report</h1>\n<p>", style);
	for (int r = 0; r < n; r++) {
		fprintf(f, "%s<b>", r ? "<br>" : "");
		esc(f, run_label(recs[r]));
		fprintf(f, "</b>: ");
		put_summary(f, recs[r]);
		fprintf(f, " (");
		esc(f, jstr(recs[r], "started"));
		fprintf(f, ", netrepro ");
		esc(f, run_tool_version(recs[r]));
		fprintf(f, ")");
	}
	fprintf(f, "</p>\n");
	if (o->selection) {
		fprintf(f, "<p class=\"selection\">Selected ");
		esc(f, o->selection);
		fprintf(f, "</p>\n");
	}
	for (int r = 0; r < n; r++) {
		json_t *g = json_object_get(recs[r], "guest");
		if (!*jstr(g, "error"))
			continue;
		fprintf(f, "<p class=\"ERROR\"><b>");
		esc(f, run_label(recs[r]));
		fprintf(f, " gave no results</b>: ");
		esc(f, jstr(g, "error"));
		fprintf(f, "</p><details><summary>console, last lines</summary><pre>");
		esc(f, jstr(g, "console"));
		fprintf(f, "</pre></details>\n");
	}
}

static void write_html_opts(FILE *f, json_t *const *recs, int n, const struct report_opts *o)
{
	json_t *ids = case_ids_failures_first(recs, n), *id;
	size_t i;
	header(f, recs, n, o);
	filter(f, recs, n, ids);
	bugs_table(f, recs, n);
	matrix(f, recs, n, ids);
	fprintf(f, "<h2>Cases</h2>\n");
	json_array_foreach(ids, i, id)
		one_case(f, recs, n, json_string_value(id), (int)i + 1);
	if (!json_array_size(ids))
		fprintf(f, "<p>No case was selected.</p>\n");
	env_table(f, recs, n);
	fprintf(f, "<script>%s</script>\n</body></html>\n", script);
	json_decref(ids);
}

static void write_html(FILE *f, json_t *const *recs, int n)
{
	write_html_opts(f, recs, n, report_opts_default());
}

const struct report_writer report_html = { "html", "one self-contained HTML page", write_html, write_html_opts };
