/* Markdown for a GitHub/GitLab issue: the environment, a case x run table
 * when there are several runs, then per case its steps, the sysctls it
 * sets, its source with the fixtures it uses, and the command that
 * reproduces it. The document is a list of pieces (a table row, a case) so
 * that a report longer than an issue may hold is cut between them. */
#include "report.h"

#include <stdlib.h>
#include <string.h>

/* Text from the record or a case file: nothing in it is Markdown or HTML. */
static void md(FILE *f, const char *s)
{
	put_text(f, s, TEXT_MD);
}

static const char *status_mark(enum status st)
{
	static const char *const marks[ST__COUNT + 1] = {
		[ST_PASS] = "✅ PASS", [ST_FAIL] = "❌ FAIL", [ST_ERROR] = "💥 ERROR",
		[ST_SKIP] = "⏭️ SKIP", [ST_TIMEOUT] = "⏱️ TIMEOUT", [ST_KNOWN_BUG] = "🐞 KNOWN-BUG",
		[ST__COUNT] = "— (not run)",
	};
	return marks[st];
}

/* c's status mark; a status this netrepro does not know as the record
 * spells it, escaped. */
static void md_status(FILE *f, const json_t *c)
{
	enum status st = record_case_status(c);
	if (c && st == ST__COUNT) {
		fputs("❓ ", f);
		md(f, jstr(c, "status"));
	} else {
		fputs(status_mark(st), f);
	}
}

static const json_t *any_case(json_t *const *recs, int n, const char *id)
{
	const json_t *c = NULL;
	for (int r = 0; r < n && !c; r++)
		c = case_find(recs[r], id);
	return c;
}

static void table_head(FILE *f, const char *first, json_t *const *recs, int n, int label)
{
	fprintf(f, "| %s%s|", first, *first ? " " : "");
	for (int r = 0; r < n; r++) {
		if (label) {
			fputc(' ', f);
			md(f, run_label(recs[r]));
			fprintf(f, " |");
		} else {
			fprintf(f, " run %d |", r + 1);
		}
	}
	fprintf(f, "\n|---|");
	for (int r = 0; r < n; r++)
		fprintf(f, "---|");
	fputc('\n', f);
}

static void env_table(FILE *f, json_t *const *recs, int n)
{
	static const char *const rows[][3] = {
		{ "kernel", "kernel", "release" }, { "upstream version", "kernel", "upstream" },
		{ "arch", "kernel", "arch" }, { "distro", "platform", "distro" },
		{ "virtualisation", "platform", "virt" }, { "container", "platform", "container" },
	};
	fprintf(f, "## Environment\n\n");
	table_head(f, "", recs, n, 0);
	fprintf(f, "| netrepro |");
	for (int r = 0; r < n; r++) {
		fputc(' ', f);
		md(f, run_tool_version(recs[r]));
		fprintf(f, " |");
	}
	fputc('\n', f);
	for (size_t k = 0; k < sizeof rows / sizeof *rows; k++) {
		fprintf(f, "| %s |", rows[k][0]);
		for (int r = 0; r < n; r++) {
			json_t *env = json_object_get(recs[r], "environment");
			fputc(' ', f);
			md(f, jstr(json_object_get(env, rows[k][1]), rows[k][2]));
			fprintf(f, " |");
		}
		fputc('\n', f);
	}
	const char *key;
	json_t *v;
	json_object_foreach(json_object_get(json_object_get(recs[0], "environment"), "sysctl"), key, v) {
		fprintf(f, "| ");
		md_code(f, key);
		fprintf(f, " |");
		for (int r = 0; r < n; r++) {
			const char *s = env_sysctl(recs[r], key);
			fputc(' ', f);
			md(f, s ? s : "—");
			fprintf(f, " |");
		}
		fputc('\n', f);
	}
	fprintf(f, "| privilege |");
	for (int r = 0; r < n; r++) {
		fputc(' ', f);
		md(f, jstr(json_object_get(recs[r], "environment"), "privilege"));
		fprintf(f, " |");
	}
	fprintf(f, "\n\nThe sysctls are the host's own, outside the namespaces the cases make; "
		   "what a case's `sysctl` lines set is listed under the case.\n\n");
}

static void matrix_row(FILE *f, json_t *const *recs, int n, const char *id)
{
	const json_t *first = case_find(recs[0], id);
	int differs = 0;
	for (int r = 1; r < n; r++)
		differs |= !case_same_answers(first, case_find(recs[r], id));
	const json_t *step = differs ? case_differing_step(recs, n, id) : NULL;
	fprintf(f, "| %s", differs ? "**⚠ " : "");
	md(f, id);
	fprintf(f, "%s", differs ? "**" : "");
	if (step) {
		fprintf(f, "<br>line %lld: ", (long long)json_integer_value(json_object_get(step, "line")));
		md_code(f, jstr(step, "call"));
	}
	fprintf(f, " |");
	for (int r = 0; r < n; r++) {
		const json_t *c = case_find(recs[r], id);
		fputc(' ', f);
		md_status(f, c);
		if (step && c) {
			fprintf(f, "<br>**");
			md(f, step_observed_in(recs[r], id, step));
			fprintf(f, "**");
		}
		fprintf(f, " |");
	}
	fputc('\n', f);
}

static void steps_table(FILE *f, json_t *const *recs, int n, const char *id)
{
	const json_t **cs = case_find_each(recs, n, id);
	json_t *steps = case_steps(recs, n, id), *s;
	size_t i;
	if (!json_array_size(steps) || !cs) {
		fprintf(f, "No step was recorded.\n");
		json_decref(steps);
		free(cs);
		return;
	}
	fprintf(f, "| line | host | call | expected |");
	for (int r = 0; r < n; r++) {
		fprintf(f, " observed");
		if (n > 1) {
			fprintf(f, " (");
			md(f, run_label(recs[r]));
			fputc(')', f);
		}
		fprintf(f, " |");
	}
	fprintf(f, "\n|---:|---|---|---|");
	for (int r = 0; r < n; r++)
		fprintf(f, "---|");
	fputc('\n', f);
	json_array_foreach(steps, i, s) {
		fprintf(f, "| %lld | ", (long long)json_integer_value(json_object_get(s, "line")));
		md(f, jstr(s, "host"));
		fprintf(f, " | ");
		md_code(f, jstr(s, "call"));
		fprintf(f, "%s", *jstr(s, "iter") ? " at " : "");
		md(f, jstr(s, "iter"));
		fprintf(f, " | ");
		md(f, *jstr(s, "expected") ? jstr(s, "expected") : "—");
		fprintf(f, " |");
		for (int r = 0; r < n; r++) {
			const json_t *c = cs[r];
			const json_t *t = c ? case_step(c, s) : NULL;
			int fail = t && record_step_status(t) == STEP_FAIL;
			fprintf(f, " %s", fail ? "**❌ " : "");
			md(f, t ? jstr(t, "observed") : "—");
			fprintf(f, "%s", fail ? "**" : "");
			if (t && *jstr(t, "detail")) {
				fprintf(f, " (");
				md(f, jstr(t, "detail"));
				fputc(')', f);
			}
			fprintf(f, " |");
		}
		fputc('\n', f);
	}
	json_decref(steps);
	free(cs);
}

/* "- capture a:eth0: [file](file), 12 frames": a link a ticket's reader
 * follows to the pcap next to the record. */
static void captures(FILE *f, const json_t *c, const char *run)
{
	size_t i;
	json_t *cap;
	json_array_foreach(json_object_get(c, "captures"), i, cap) {
		const char *file = jstr(cap, "file"), *ifname = jstr(cap, "interface");
		fprintf(f, "- capture ");
		md(f, jstr(cap, "host"));
		fprintf(f, "%s", *ifname ? ":" : " (all interfaces)");
		md(f, ifname);
		if (run) {
			fprintf(f, " on ");
			md(f, run);
		}
		fprintf(f, ": ");
		if (*file) {
			md_link(f, file, 1);
		} else {
			fprintf(f, "not saved");
		}
		fprintf(f, ", %lld frames", (long long)json_integer_value(json_object_get(cap, "frames")));
		long long drop = json_integer_value(json_object_get(cap, "dropped"));
		if (drop)
			fprintf(f, ", %lld dropped by the kernel (capture buffer full)", drop);
		fputc('\n', f);
	}
}

/* The case's own sysctl lines: the values its network had, which the
 * environment table (the host's) does not show. */
static void sysctls(FILE *f, const json_t *text, const char *file)
{
	json_t *all = json_object_get(text, "sysctls"), *s;
	size_t i;
	if (!json_array_size(all))
		return;
	fprintf(f, "\nSysctls the case sets before step 1:\n\n| host | sysctl | set to | by |\n|---|---|---|---|\n");
	json_array_foreach(all, i, s) {
		fprintf(f, "| ");
		md(f, jstr(s, "host"));
		fprintf(f, " | ");
		md_code(f, jstr(s, "name"));
		fprintf(f, " | ");
		md_code(f, jstr(s, "value"));
		fprintf(f, " | %s", strcmp(jstr(s, "file"), file) ? "" : "line ");
		if (strcmp(jstr(s, "file"), file)) {
			md(f, jstr(s, "file"));
			fputc(':', f);
		}
		fprintf(f, "%lld |\n", (long long)json_integer_value(json_object_get(s, "line")));
	}
}

/* The case file as it ran, and each fixture it uses as found now. */
static void source(FILE *f, const json_t *c, const json_t *text)
{
	json_t *fixtures = json_object_get(text, "fixtures"), *fx;
	size_t i;
	fprintf(f, "\n<details><summary>case source (");
	md(f, jstr(c, "file"));
	fprintf(f, ")%s</summary>\n\n", json_array_size(fixtures) ? " and the fixtures it uses" : "");
	md_fenced(f, "", jstr(c, "source"));
	json_array_foreach(fixtures, i, fx) {
		fprintf(f, "\n");
		md_code(f, jstr(fx, "name"));
		if (*jstr(fx, "text")) {
			fprintf(f, " (");
			md(f, jstr(fx, "path"));
			fprintf(f, ", as read when this report was made):\n\n");
			md_fenced(f, "", jstr(fx, "text"));
			continue;
		}
		fprintf(f, ": **not found when this report was made** (");
		md(f, jstr(fx, "missing"));
		fprintf(f, "); the run had it, this report does not.\n");
	}
	fprintf(f, "\n</details>\n");
}

static void one_case(FILE *f, json_t *const *recs, int n, const char *id, int with_source)
{
	const json_t *c = any_case(recs, n, id);
	fprintf(f, "### ");
	md_code(f, id);
	fprintf(f, ": ");
	md(f, jstr(c, "title"));
	fprintf(f, "\n\n");
	for (int r = 0; r < n; r++) {
		const json_t *rc = case_find(recs[r], id);
		fprintf(f, "%s**", r ? ", " : "Status: ");
		md_status(f, rc);
		fprintf(f, "**");
		if (n > 1) {
			fprintf(f, " on ");
			md(f, run_label(recs[r]));
		}
		if (rc && *jstr(rc, "reason")) {
			fprintf(f, " (");
			md(f, jstr(rc, "reason"));
			fputc(')', f);
		}
	}
	fprintf(f, "\n\n");
	size_t i;
	json_t *ref;
	json_array_foreach(json_object_get(c, "refs"), i, ref) {
		fprintf(f, "- ref: ");
		md_link(f, json_is_string(ref) ? json_string_value(ref) : "", 0);
		fputc('\n', f);
	}
	for (int r = 0; r < n; r++)
		captures(f, case_find(recs[r], id), n > 1 ? run_label(recs[r]) : NULL);
	if (json_is_true(json_object_get(c, "nondeterministic")))
		fprintf(f, "- nondeterministic: a netem setting acts on each packet by chance\n");
	for (int r = 0; r < n; r++) {
		const json_t *rc = case_find(recs[r], id);
		if (*jstr(rc, "isolation")) {
			fprintf(f, "- isolation%s", n > 1 ? " on " : "");
			md(f, n > 1 ? run_label(recs[r]) : "");
			fprintf(f, ": ");
			md(f, jstr(rc, "isolation"));
			fputc('\n', f);
		}
		json_int_t left_out = json_integer_value(json_object_get(rc, "failed_suppressed"));
		if (left_out) {
			fprintf(f, "- %lld more failing steps%s", (long long)left_out, n > 1 ? " on " : "");
			md(f, n > 1 ? run_label(recs[r]) : "");
			fprintf(f, ", left out of the record (it keeps the first ones)\n");
		}
	}
	fputc('\n', f);
	steps_table(f, recs, n, id);
	json_t *text = case_text(c);
	sysctls(f, text, jstr(c, "file"));
	if (*jstr(c, "source") && with_source) {
		source(f, c, text);
	} else if (*jstr(c, "source")) {
		fprintf(f, "\nCase source: ");
		md_code(f, jstr(c, "file"));
		fprintf(f, ", shown above with another variant of the same file.\n");
	}
	json_decref(text);
	fprintf(f, "\nReproduce:\n\n```sh\n");
	put_reproduce(f, c);
	fprintf(f, "\n```\n\n");
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
	fprintf(f, "## Known kernel bugs\n\n| bug (its fix) |");
	for (int r = 0; r < n; r++) {
		fputc(' ', f);
		md_code(f, run_label(recs[r]));
		fprintf(f, " |");
	}
	fprintf(f, "\n|---|");
	for (int r = 0; r < n; r++)
		fprintf(f, "---|");
	fputc('\n', f);
	json_object_foreach(table, fix, row) {
		fprintf(f, "| ");
		md(f, fix);
		fprintf(f, " |");
		for (int r = 0; r < n; r++) {
			json_t *st = json_array_get(row, (size_t)r);
			fprintf(f, " %s%s |", json_is_string(st) && !strcmp(json_string_value(st), "has") ? "🐞 " : "",
				bug_word(st));
		}
		fputc('\n', f);
	}
	fputc('\n', f);
	json_decref(table);
}

static void guest_errors(FILE *f, json_t *const *recs, int n)
{
	for (int r = 0; r < n; r++) {
		json_t *g = json_object_get(recs[r], "guest");
		if (!*jstr(g, "error"))
			continue;
		fprintf(f, "**");
		md(f, run_label(recs[r]));
		fprintf(f, " gave no results**: ");
		md(f, jstr(g, "error"));
		fprintf(f, "\n\n<details><summary>console, last lines</summary>\n\n");
		md_fenced(f, "", jstr(g, "console"));
		fprintf(f, "</details>\n\n");
	}
}

/* The title and what ran: every part of the report starts with it. */
static void top(FILE *f, json_t *const *recs, int n, const struct report_opts *o, int part, int parts)
{
	fprintf(f, "# netrepro report");
	if (parts)
		fprintf(f, ", part %d of %d", part, parts);
	fprintf(f, "\n\n");
	for (int r = 0; r < n; r++) {
		fprintf(f, "%s", n > 1 ? "- " : "");
		md_code(f, run_label(recs[r]));
		fprintf(f, ": ");
		put_summary(f, recs[r]);
		fprintf(f, " (");
		md(f, jstr(recs[r], "started"));
		fprintf(f, ", netrepro ");
		md(f, run_tool_version(recs[r]));
		fprintf(f, ")\n");
	}
	if (o->selection) {
		fprintf(f, "%sSelected ", n > 1 ? "\n" : "");
		md(f, o->selection);
		fputc('\n', f);
	}
	fputc('\n', f);
}

/* What a piece is written from: the records, and the case it is about. */
struct what {
	json_t *const *recs;
	int n;
	const char *id;
};

static void put_front(FILE *f, const void *arg)
{
	const struct what *w = arg;
	bugs_table(f, w->recs, w->n);
	guest_errors(f, w->recs, w->n);
}

static void put_matrix_head(FILE *f, const void *arg)
{
	const struct what *w = arg;
	fprintf(f, "## Results: case × kernel\n\n");
	table_head(f, "case", w->recs, w->n, 1);
}

static void put_matrix_row(FILE *f, const void *arg)
{
	const struct what *w = arg;
	matrix_row(f, w->recs, w->n, w->id);
}

static void put_matrix_note(FILE *f, const void *arg)
{
	(void)arg;
	fprintf(f, "\n⚠ marks a case whose status or an observed step result differs between runs; "
		   "its cells show what each run answered at the first such step.\n\n");
}

static void put_env(FILE *f, const void *arg)
{
	const struct what *w = arg;
	env_table(f, w->recs, w->n);
}

static void put_no_case(FILE *f, const void *arg)
{
	(void)arg;
	fprintf(f, "No case was selected.\n");
}

static void put_case(FILE *f, const void *arg)
{
	const struct what *w = arg;
	one_case(f, w->recs, w->n, w->id, 1);
}

/* The case once its file's source is in the part already. */
static void put_case_alt(FILE *f, const void *arg)
{
	const struct what *w = arg;
	one_case(f, w->recs, w->n, w->id, 0);
}

/* The Markdown as pieces, with the heads its tables share. */
struct md_doc {
	struct report_doc d;
	char *matrix_head;
};

static const char cases_head[] = "## Cases\n\n";

static void md_doc_free(struct md_doc *m)
{
	report_doc_free(&m->d);
	free(m->matrix_head);
}

static int md_doc_build(struct md_doc *m, json_t *const *recs, int n)
{
	struct what w = { recs, n, NULL };
	size_t chars, i;
	*m = (struct md_doc){ 0 };
	m->matrix_head = report_render(put_matrix_head, &w, &chars);
	json_t *ids = case_ids(recs, n), *id;
	if (!m->matrix_head || !ids) {
		json_decref(ids);
		return -1;
	}
	report_doc_add(&m->d, NULL, NULL, put_front, NULL, &w);
	if (n > 1) {
		json_array_foreach(ids, i, id) {
			w.id = json_string_value(id);
			report_doc_add(&m->d, m->matrix_head, NULL, put_matrix_row, NULL, &w);
		}
		report_doc_add(&m->d, NULL, NULL, put_matrix_note, NULL, &w);
	}
	report_doc_add(&m->d, NULL, NULL, put_env, NULL, &w);
	json_array_foreach(ids, i, id) {
		w.id = json_string_value(id);
		report_doc_add(&m->d, cases_head, jstr(any_case(recs, n, w.id), "file"), put_case, put_case_alt, &w);
	}
	if (!json_array_size(ids))
		report_doc_add(&m->d, cases_head, NULL, put_no_case, NULL, &w);
	json_decref(ids);
	return m->d.oom ? -1 : 0;
}

static size_t top_chars(json_t *const *recs, int n, const struct report_opts *o, int part, int parts)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return 0;
	top(f, recs, n, o, part, parts);
	fclose(f);
	size_t chars = text_chars(buf, len);
	free(buf);
	return chars;
}

/* 1801093 as 1,801,093 */
static void put_thousands(FILE *f, size_t v)
{
	if (v >= 1000) {
		put_thousands(f, v / 1000);
		fprintf(f, ",%03zu", v % 1000);
	} else {
		fprintf(f, "%zu", v);
	}
}

static void write_md_opts(FILE *f, json_t *const *recs, int n, const struct report_opts *o)
{
	struct md_doc m;
	struct report_place *pl = NULL;
	int oversize;
	if (md_doc_build(&m, recs, n) < 0 || !(pl = calloc((size_t)m.d.n + 1, sizeof *pl))) {
		md_doc_free(&m);
		fprintf(f, "# netrepro report\n\n(out of memory while writing the report)\n");
		return;
	}
	report_doc_layout(&m.d, 0, 0, pl, &oversize);
	size_t total = top_chars(recs, n, o, 0, 0);
	for (int i = 0; i < m.d.n; i++)
		total += (pl[i].alt ? m.d.p[i].alt_chars : m.d.p[i].chars) +
			 (pl[i].head ? text_chars(m.d.p[i].head, strlen(m.d.p[i].head)) : 0);
	top(f, recs, n, o, 0, 0);
	if (total >= GITHUB_BODY_MAX) {
		fprintf(f, "> **This report is ");
		put_thousands(f, total);
		fprintf(f, " characters long: GitHub takes at most 65,536 in an issue or a comment.** "
			   "Split it with `netrepro report --format md --max-chars 65000 -o FILE.md RUN.json...` "
			   "(FILE.1.md, FILE.2.md, ... cut between cases, each under 65,000 characters), or choose "
			   "cases with `-k PATTERN` or `--failed-only`.\n\n");
	}
	for (int i = 0; i < m.d.n; i++)
		report_doc_put(f, &m.d, i, pl);
	free(pl);
	md_doc_free(&m);
}

static void write_md(FILE *f, json_t *const *recs, int n)
{
	write_md_opts(f, recs, n, report_opts_default());
}

/* Part k (from 0) of count: the top, then its pieces from *i on. */
static char *md_part(json_t *const *recs, int n, const struct report_opts *o, const struct md_doc *m,
		     const struct report_place *pl, int k, int count, int *i)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	top(f, recs, n, o, k + 1, count);
	for (; *i < m->d.n && pl[*i].part == k; (*i)++)
		report_doc_put(f, &m->d, *i, pl);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

int report_markdown_parts(json_t *const *recs, int n, const struct report_opts *o, char ***parts,
			  int *nparts, int *oversize)
{
	struct md_doc m;
	struct report_place *pl = NULL;
	char **out = NULL;
	int count = 0, rc = md_doc_build(&m, recs, n);
	*parts = NULL;
	*nparts = 0;
	if (rc == 0 && !(pl = calloc((size_t)m.d.n + 1, sizeof *pl)))
		rc = -1;
	/* the top as long as it can be: "part 123 of 123" for 123 pieces */
	if (rc == 0)
		count = report_doc_layout(&m.d, o->max_chars, top_chars(recs, n, o, m.d.n + 1, m.d.n + 1), pl,
					  oversize);
	if (rc == 0 && !(out = calloc((size_t)count, sizeof *out)))
		rc = -1;
	for (int k = 0, i = 0; rc == 0 && k < count; k++)
		if (!(out[k] = md_part(recs, n, o, &m, pl, k, count, &i)))
			rc = -1;
	free(pl);
	md_doc_free(&m);
	if (rc) {
		for (int k = 0; out && k < count; k++)
			free(out[k]);
		free(out);
		return -1;
	}
	*parts = out;
	*nparts = count;
	return 0;
}

const struct report_writer report_markdown = { "md", "Markdown for an issue or a pull request", write_md,
					       write_md_opts };
