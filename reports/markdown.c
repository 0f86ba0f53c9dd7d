/* Markdown for a GitHub/GitLab issue: the environment, a case x run table
 * when there are several runs, then per case its steps, its source and the
 * command that reproduces it. */
#include "report.h"

#include <string.h>

static void md(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|' || *s == '`' || *s == '*' || *s == '_' || *s == '<' || *s == '[')
			fputc('\\', f);
		fputc(*s == '\n' ? ' ' : *s, f);
	}
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

static void env_table(FILE *f, json_t *const *recs, int n)
{
	static const char *const rows[][3] = {
		{ "kernel", "kernel", "release" }, { "upstream version", "kernel", "upstream" },
		{ "arch", "kernel", "arch" }, { "distro", "platform", "distro" },
		{ "virtualisation", "platform", "virt" }, { "container", "platform", "container" },
	};
	fprintf(f, "## Environment\n\n| |");
	for (int r = 0; r < n; r++)
		fprintf(f, " run %d |", r + 1);
	fprintf(f, "\n|---|");
	for (int r = 0; r < n; r++)
		fprintf(f, "---|");
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
		fprintf(f, "| `%s` |", key);
		for (int r = 0; r < n; r++) {
			const char *s = env_sysctl(recs[r], key);
			fprintf(f, " %s |", s ? s : "—");
		}
		fputc('\n', f);
	}
	fprintf(f, "| privilege |");
	for (int r = 0; r < n; r++)
		fprintf(f, " %s |", jstr(json_object_get(recs[r], "environment"), "privilege"));
	fprintf(f, "\n\n");
}


static void matrix(FILE *f, json_t *const *recs, int n, const json_t *ids)
{
	fprintf(f, "## Results: case × kernel\n\n| case |");
	for (int r = 0; r < n; r++) {
		fputc(' ', f);
		md(f, run_label(recs[r]));
		fprintf(f, " |");
	}
	fprintf(f, "\n|---|");
	for (int r = 0; r < n; r++)
		fprintf(f, "---|");
	fputc('\n', f);
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id) {
		const json_t *first = case_find(recs[0], json_string_value(id));
		int differs = 0;
		for (int r = 1; r < n; r++)
			differs |= !case_same_answers(first, case_find(recs[r], json_string_value(id)));
		const json_t *step = differs ? case_differing_step(recs, n, json_string_value(id)) : NULL;
		fprintf(f, "| %s", differs ? "**⚠ " : "");
		md(f, json_string_value(id));
		fprintf(f, "%s", differs ? "**" : "");
		if (step) {
			fprintf(f, "<br>line %lld: `", (long long)json_integer_value(json_object_get(step, "line")));
			for (const char *ch = jstr(step, "call"); *ch; ch++)
				fputs(*ch == '|' ? "\\|" : *ch == '`' ? "'" : (char[]){ *ch, 0 }, f);
			fputc('`', f);
		}
		fprintf(f, " |");
		for (int r = 0; r < n; r++) {
			const json_t *c = case_find(recs[r], json_string_value(id));
			fprintf(f, " %s", status_mark(record_case_status(c)));
			if (step && c)
				fprintf(f, "<br>**%s**", step_observed_in(recs[r], json_string_value(id), step));
			fprintf(f, " |");
		}
		fputc('\n', f);
	}
	fprintf(f, "\n⚠ marks a case whose status or an observed step result differs between runs; "
		   "its cells show what each run answered at the first such step.\n\n");
}

static void steps_table(FILE *f, json_t *const *recs, int n, const char *id)
{
	const json_t *base = NULL;
	for (int r = 0; r < n && !base; r++)
		base = case_find(recs[r], id);
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
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(base, "steps"), i, s) {
		fprintf(f, "| %lld | %s | `", (long long)json_integer_value(json_object_get(s, "line")), jstr(s, "host"));
		for (const char *c = jstr(s, "call"); *c; c++)
			fputs(*c == '|' ? "\\|" : *c == '`' ? "'" : (char[]){ *c, 0 }, f);
		fprintf(f, "`%s%s |", *jstr(s, "iter") ? " at " : "", jstr(s, "iter"));
		fprintf(f, " %s |", *jstr(s, "expected") ? jstr(s, "expected") : "—");
		for (int r = 0; r < n; r++) {
			const json_t *c = case_find(recs[r], id);
			const json_t *t = c ? case_step(c, s) : NULL;
			int fail = t && record_step_status(t) == STEP_FAIL;
			fprintf(f, " %s%s%s", fail ? "**❌ " : "", t ? jstr(t, "observed") : "—", fail ? "**" : "");
			if (t && *jstr(t, "detail")) {
				fprintf(f, " (");
				md(f, jstr(t, "detail"));
				fputc(')', f);
			}
			fprintf(f, " |");
		}
		fputc('\n', f);
	}
}

/* "- capture a:eth0: [file](file), 12 frames": a link a ticket's reader
 * follows to the pcap next to the record. */
static void captures(FILE *f, const json_t *c, const char *run)
{
	size_t i;
	json_t *cap;
	json_array_foreach(json_object_get(c, "captures"), i, cap) {
		const char *file = jstr(cap, "file"), *ifname = jstr(cap, "interface");
		fprintf(f, "- capture %s%s%s", jstr(cap, "host"), *ifname ? ":" : " (all interfaces)", ifname);
		if (run)
			fprintf(f, " on %s", run);
		fprintf(f, ": ");
		if (*file) {
			fputc('[', f);
			md(f, file);
			fprintf(f, "](<%s>)", file);
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

static void one_case(FILE *f, json_t *const *recs, int n, const char *id)
{
	const json_t *c = NULL;
	for (int r = 0; r < n && !c; r++)
		c = case_find(recs[r], id);
	fprintf(f, "### `%s`: ", id);
	md(f, jstr(c, "title"));
	fprintf(f, "\n\n");
	for (int r = 0; r < n; r++) {
		const json_t *rc = case_find(recs[r], id);
		fprintf(f, "%s**%s**", r ? ", " : "Status: ", status_mark(record_case_status(rc)));
		if (n > 1)
			fprintf(f, " on %s", run_label(recs[r]));
		if (rc && *jstr(rc, "reason")) {
			fprintf(f, " (");
			md(f, jstr(rc, "reason"));
			fputc(')', f);
		}
	}
	fprintf(f, "\n\n");
	size_t i;
	json_t *ref;
	json_array_foreach(json_object_get(c, "refs"), i, ref)
		fprintf(f, "- ref: %s\n", json_string_value(ref));
	for (int r = 0; r < n; r++)
		captures(f, case_find(recs[r], id), n > 1 ? run_label(recs[r]) : NULL);
	if (json_is_true(json_object_get(c, "nondeterministic")))
		fprintf(f, "- nondeterministic: a netem setting acts on each packet by chance\n");
	for (int r = 0; r < n; r++) {
		const json_t *rc = case_find(recs[r], id);
		if (*jstr(rc, "isolation"))
			fprintf(f, "- isolation%s%s: %s\n", n > 1 ? " on " : "", n > 1 ? run_label(recs[r]) : "",
				jstr(rc, "isolation"));
	}
	fputc('\n', f);
	steps_table(f, recs, n, id);
	if (*jstr(c, "source"))
		fprintf(f, "\n<details><summary>case source (%s)</summary>\n\n```\n%s%s```\n</details>\n",
			jstr(c, "file"), jstr(c, "source"),
			jstr(c, "source")[strlen(jstr(c, "source")) - 1] == '\n' ? "" : "\n");
	fprintf(f, "\nReproduce:\n\n```sh\nnetrepro run -k '%s' %s\n```\n\n", id, jstr(c, "file"));
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
	for (int r = 0; r < n; r++)
		fprintf(f, " `%s` |", run_label(recs[r]));
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

static void write_md(FILE *f, json_t *const *recs, int n)
{
	json_t *ids = case_ids(recs, n);
	fprintf(f, "# netrepro report\n\n");
	for (int r = 0; r < n; r++) {
		fprintf(f, "%s`%s`: ", n > 1 ? "- " : "", run_label(recs[r]));
		put_summary(f, recs[r]);
		fprintf(f, " (%s)\n", jstr(recs[r], "started"));
	}
	fputc('\n', f);
	bugs_table(f, recs, n);
	for (int r = 0; r < n; r++) {
		json_t *g = json_object_get(recs[r], "guest");
		if (!*jstr(g, "error"))
			continue;
		fprintf(f, "**%s gave no results**: ", run_label(recs[r]));
		md(f, jstr(g, "error"));
		fprintf(f, "\n\n<details><summary>console, last lines</summary>\n\n```\n%s\n```\n</details>\n\n",
			jstr(g, "console"));
	}
	if (n > 1)
		matrix(f, recs, n, ids);
	env_table(f, recs, n);
	fprintf(f, "## Cases\n\n");
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id)
		one_case(f, recs, n, json_string_value(id));
	json_decref(ids);
}

const struct report_writer report_markdown = { "md", "Markdown for an issue or a pull request", write_md };
