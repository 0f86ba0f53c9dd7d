/* What a case's file says that its record does not carry, read when the
 * report is made: the fixtures it `use`s (so that a ticket holds the whole
 * scenario) and the sysctls its variant sets before step 1 (so that a
 * reader sees the case's own values, not only the host's). The record's
 * "source" is the case file as it ran; fixtures are looked up by the
 * parser's own case_fixture_find(), and a fixture that
 * cannot be found now is said to be missing, never an error. */
#include "case.h"
#include "lex.h"
#include "report.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FIXTURE_MAX (1 << 20)  /* a topology file, not a data set */
#define USE_DEPTH 8            /* as the parser: deeper is a loop of fixtures */

static char *slurp(const char *path, int *err)
{
	FILE *f = fopen(path, "r");
	char *buf = f ? malloc(FIXTURE_MAX + 1) : NULL;
	size_t n = buf ? fread(buf, 1, FIXTURE_MAX, f) : 0;
	*err = !f ? errno : !buf ? ENOMEM : ferror(f) ? EIO : n == FIXTURE_MAX ? EFBIG : 0;
	if (f)
		fclose(f);
	if (*err) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/* A topology guard (`when v == x and (w != y or ...)`) over the variant's
 * values: all the parser allows there. Values compare as numbers when both
 * are numbers. Anything else holds (the parser refused it at run time). */
struct guard {
	const struct token *t;
	int i, n;
	const json_t *variant;
};

static int guard_or(struct guard *g);

static int guard_cmp(struct guard *g)
{
	static const struct { const char *op; int lt, eq, gt; } ops[] = {
		{ "==", 0, 1, 0 }, { "!=", 1, 0, 1 }, { "<", 1, 0, 0 },
		{ "<=", 1, 1, 0 }, { ">", 0, 0, 1 }, { ">=", 0, 1, 1 },
	};
	if (g->i + 2 >= g->n) {
		g->i = g->n;
		return 1;
	}
	const struct token *subj = &g->t[g->i], *op = &g->t[g->i + 1], *val = &g->t[g->i + 2];
	g->i += 3;
	const char *have = json_string_value(json_object_get(g->variant, subj->text ? subj->text : ""));
	for (size_t k = 0; have && val->text && k < sizeof ops / sizeof *ops; k++)
		if (tok_is(op, ops[k].op)) {
			int c = cond_value_cmp(have, val->text);
			return c < 0 ? ops[k].lt : c > 0 ? ops[k].gt : ops[k].eq;
		}
	return 1;
}

static int guard_primary(struct guard *g)
{
	if (g->i < g->n && tok_is(&g->t[g->i], "(")) {
		g->i++;
		int v = guard_or(g);
		if (g->i < g->n && tok_is(&g->t[g->i], ")"))
			g->i++;
		return v;
	}
	return guard_cmp(g);
}

static int guard_and(struct guard *g)
{
	int v = guard_primary(g);
	while (g->i < g->n && tok_is(&g->t[g->i], "and")) {
		g->i++;
		v = guard_primary(g) && v;
	}
	return v;
}

static int guard_or(struct guard *g)
{
	int v = guard_and(g);
	while (g->i < g->n && tok_is(&g->t[g->i], "or")) {
		g->i++;
		v = guard_and(g) || v;
	}
	return v;
}

/* The index of the line's `when` (lt->n: none), and whether its guard holds. */
static int guarded(const struct line_toks *lt, const json_t *variant, int *holds)
{
	int w = 0;
	while (w < lt->n && !(lt->t[w].kind == TOK_WORD && tok_is(&lt->t[w], "when")))
		w++;
	struct guard g = { lt->t, w + 1, lt->n, variant };
	*holds = w == lt->n || guard_or(&g);
	return w;
}

struct walk {
	json_t *fixtures, *sysctls;
	const json_t *variant;
	struct subst sub;
};

static void walk_text(struct walk *w, const char *text, const char *file, const char *label, int depth,
		      int kept);

/* `sysctl HOST NAME = VALUE [when ...]`: the value's words joined as the
 * parser joins them (one blank; a list's commas tight). */
static void take_sysctl(struct walk *w, const struct line_toks *lt, const char *label, int line)
{
	int holds, end = guarded(lt, w->variant, &holds);
	if (!holds || end < 5 || !tok_is(&lt->t[3], "=") || !lt->t[1].text || !lt->t[2].text)
		return;
	char value[512];
	size_t len = 0;
	for (int i = 4; i < end && lt->t[i].text; i++) {
		int glue = i == 4 || tok_is(&lt->t[i], ",") || tok_is(&lt->t[i - 1], ",");
		len += (size_t)snprintf(value + len, sizeof value - len, "%s%s", glue ? "" : " ", lt->t[i].text);
		if (len >= sizeof value)
			len = sizeof value - 1;
	}
	value[len] = '\0';
	json_array_append_new(w->sysctls, json_pack("{s:s, s:s, s:s, s:s, s:i}", "host", lt->t[1].text,
						     "name", lt->t[2].text, "value", value, "file", label,
						     "line", line));
}

static json_t *fixture_entry(json_t *fixtures, const char *name)
{
	size_t i;
	json_t *fx;
	json_array_foreach(fixtures, i, fx)
		if (!strcmp(jstr(fx, "name"), name))
			return fx;
	return NULL;
}

/* `use NAME [when ...]`: listed once whatever the variant, read, and its
 * own lines walked (its sysctls count when the variant keeps the line). */
static void take_use(struct walk *w, const struct line_toks *lt, const char *file, int depth, int kept)
{
	const char *name = lt->t[1].text;
	int holds;
	guarded(lt, w->variant, &holds);
	if (!name || !*name || depth >= USE_DEPTH)
		return;
	json_t *fx = fixture_entry(w->fixtures, name);
	if (!fx) {
		char where[8500];
		char *path = case_fixture_find(file, name, where, sizeof where);
		int err = 0;
		char *text = path ? slurp(path, &err) : NULL;
		if (text)
			fx = json_pack("{s:s, s:s, s:s}", "name", name, "path", path, "text", text);
		else if (path)
			fx = json_pack("{s:s, s:s, s:s}", "name", name, "path", path, "missing", strerror(err));
		else
			fx = json_pack("{s:s, s:s}", "name", name, "missing", where);
		free(path);
		free(text);
		json_array_append_new(w->fixtures, fx);
	}
	if (*jstr(fx, "text"))
		walk_text(w, jstr(fx, "text"), jstr(fx, "path"), name, depth + 1, kept && holds);
}

/* The next line of text at *s, with lines a trailing '\' continues joined. */
static char *next_line(const char **s, int *line, int *first)
{
	if (!**s)
		return NULL;
	size_t cap = 256, len = 0;
	char *out = malloc(cap);
	*first = *line + 1;
	for (int more = 1; out && more && **s;) {
		size_t n = strcspn(*s, "\n");
		size_t keep = n;
		while (keep && ((*s)[keep - 1] == ' ' || (*s)[keep - 1] == '\t' || (*s)[keep - 1] == '\r'))
			keep--;
		more = keep && (*s)[keep - 1] == '\\';
		if (len + n + 2 > cap) {
			char *bigger = realloc(out, cap = len + n + 256);
			if (!bigger)
				free(out);
			out = bigger;
		}
		if (out) {
			memcpy(out + len, *s, more ? keep - 1 : n);
			len += more ? keep - 1 : n;
			if (more)
				out[len++] = ' ';
		}
		*s += n + ((*s)[n] == '\n');
		(*line)++;
	}
	if (out)
		out[len] = '\0';
	return out;
}

static void walk_text(struct walk *w, const char *text, const char *file, const char *label, int depth,
		      int kept)
{
	int line = 0, first;
	char *l;
	while ((l = next_line(&text, &line, &first))) {
		struct line_toks lt;
		char err[128];
		int col = 1, stop = 0;
		if (lex_line(l, &w->sub, &lt, &col, err, sizeof err) == 0) {
			const struct token *t = lt.t;
			int stmt = lt.n >= 2 && !tok_is(&t[1], "(");
			/* after the first `on`, topology lines are steps: recorded */
			stop = lt.n && tok_is(&t[0], "on") && stmt;
			if (stmt && tok_is(&t[0], "use"))
				take_use(w, &lt, file, depth, kept);
			else if (stmt && kept && tok_is(&t[0], "sysctl"))
				take_sysctl(w, &lt, label, first);
			lex_free(&lt);
		}
		free(l);
		if (stop)
			break;
	}
}

json_t *case_text(const json_t *c)
{
	json_t *variant = json_object_get(c, "variant");
	struct walk w = { json_array(), json_array(), variant, { 0 } };
	size_t nv = json_object_size(variant), k = 0;
	w.sub.names = calloc(nv + 1, sizeof *w.sub.names);
	w.sub.values = calloc(nv + 1, sizeof *w.sub.values);
	const char *key;
	json_t *v;
	if (w.sub.names && w.sub.values)
		json_object_foreach(variant, key, v)
			if (json_is_string(v)) {
				w.sub.names[k] = (char *)key;
				w.sub.values[k++] = (char *)json_string_value(v);
			}
	w.sub.n = (int)k;
	const char *file = jstr(c, "file");
	walk_text(&w, jstr(c, "source"), *file ? file : "./case", file, 0, 1);
	free(w.sub.names);
	free(w.sub.values);
	return json_pack("{s:o, s:o}", "fixtures", w.fixtures, "sysctls", w.sysctls);
}
