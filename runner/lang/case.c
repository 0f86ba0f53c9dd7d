/* Loading a case file: its `vary` lines, then one parse per variant. */
#include "parse_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VARIANTS 1024

struct dims {
	char *names[8];
	char **values[8];
	int nvalues[8];
	int line[8];            /* where each `vary` is, for errors */
	int n;
};

static void dims_free(struct dims *d)
{
	for (int i = 0; i < d->n; i++) {
		free(d->names[i]);
		for (int k = 0; k < d->nvalues[i]; k++)
			free(d->values[i][k]);
		free(d->values[i]);
	}
}

/* vary NAME = V1, V2, ... */
static int parse_vary(struct parser *p, struct line_toks *lt, struct dims *d)
{
	const struct token *t = lt->t;
	if (lt->n < 4 || t[1].kind != TOK_WORD || !tok_is(&t[2], "="))
		return perr(p, t[0].col, "usage: vary NAME = VALUE, VALUE...");
	if (d->n == 8)
		return perr(p, t[0].col, "too many 'vary' lines (8 at most)");
	if (strspn(t[1].text, "abcdefghijklmnopqrstuvwxyz0123456789_") != t[1].len || t[1].len >= CASE_NAME)
		return perr(p, t[1].col, "bad variant name '%s' (lower-case letters, digits, '_')", t[1].text);
	if (cond_subject(t[1].text) != SUBJ_VARIANT)
		/* `when kernel == 1` would read the running kernel, never this */
		return perr(p, t[1].col, "'%s' is a name conditions read from the platform: "
			    "vary another name", t[1].text);
	for (int i = 0; i < d->n; i++)
		if (!strcmp(d->names[i], t[1].text))
			return perr(p, t[1].col, "'%s' is varied twice", t[1].text);
	int k = d->n;
	d->line[k] = p->line;
	d->names[k] = strdup(t[1].text);
	d->values[k] = NULL;
	d->nvalues[k] = 0;
	d->n++;
	if (!d->names[k])
		return perr(p, t[1].col, "out of memory");
	for (int i = 3; i < lt->n; i += 2) {
		const struct token *v = &t[i];
		if (v->kind != TOK_WORD || v->len >= CASE_NAME || strpbrk(v->text, "[]=$"))
			return perr(p, v->col, "bad value for '%s'", d->names[k]);
		for (int j = 0; j < d->nvalues[k]; j++)
			if (!strcmp(d->values[k][j], v->text))
				return perr(p, v->col, "value '%s' given twice", v->text);
		GROW(d->values[k], d->nvalues[k]);
		if (!(d->values[k][d->nvalues[k]++] = strdup(v->text)))
			return perr(p, v->col, "out of memory");
		if (i + 1 < lt->n && !tok_is(&t[i + 1], ","))
			return perr(p, t[i + 1].col, "expected ',' between values");
		if (i + 1 == lt->n - 1)
			return perr(p, t[i + 1].col, "a value must follow ','");
	}
	return 0;
}

static int scan_vary(struct parser *p, const char *text, struct dims *d)
{
	int rc = 0, last = 0;
	const char *s = text;
	char *line, msg[CASE_ERRLEN];
	while (!rc && (line = next_line(p, &s, &last, &rc))) {
		struct line_toks lt;
		int col = 1;
		if (lex_line(line, NULL, &lt, &col, msg, sizeof msg) < 0) {
			rc = perr(p, col, "%s", msg);
		} else {
			if (lt.n && tok_is(&lt.t[0], "vary"))
				rc = parse_vary(p, &lt, d);
			lex_free(&lt);
		}
		free(line);
	}
	p->nsegs = 0;
	return rc;
}

void case_id_from_path(const char *path, char *buf, size_t len)
{
	/* a folder named exactly "cases": "testcases/" is not one */
	const char *s = path, *hit, *from = path;
	while ((hit = strstr(from, "cases/"))) {
		if (hit == path || hit[-1] == '/')
			s = hit + 6;
		from = hit + 1;
	}
	if (s == path) {
		const char *slash = strrchr(path, '/');
		s = slash ? slash + 1 : path;
	}
	size_t n = strlen(s);
	if (n > 5 && !strcmp(s + n - 5, ".case"))
		n -= 5;
	snprintf(buf, len, "%.*s", (int)n, s);
}

/* "base[a=1,b=2]": the id of the variant whose values are sc's. */
static char *variant_id(const char *base, const struct scenario *sc)
{
	size_t n = strlen(base) + 3;
	for (int i = 0; i < sc->nvariants; i++)
		n += strlen(sc->variant_names[i]) + strlen(sc->variant_values[i]) + 2;
	char *id = malloc(n);
	if (!id)
		return NULL;
	size_t at = (size_t)snprintf(id, n, "%s", base);
	for (int i = 0; i < sc->nvariants; i++)
		at += (size_t)snprintf(id + at, n - at, "%s%s=%s", i ? "," : "[", sc->variant_names[i],
				       sc->variant_values[i]);
	if (sc->nvariants)
		snprintf(id + at, n - at, "]");
	return id;
}

/* The scenario of combination number k, before its text is parsed: every
 * piece allocated, or NULL (out of memory). */
static struct scenario *variant_new(const char *path, struct case_source *src, const char *id_base,
				    const struct dims *d, int k)
{
	struct scenario *sc = calloc(1, sizeof *sc);
	if (!sc)
		return NULL;
	sc->shared = src;
	src->refs++;
	sc->source = src->text;
	sc->file = strdup(path);
	sc->nvariants = d->n;
	sc->variant_names = calloc((size_t)d->n + 1, sizeof(char *));
	sc->variant_values = calloc((size_t)d->n + 1, sizeof(char *));
	int ok = sc->file && sc->variant_names && sc->variant_values;
	for (int i = d->n - 1, rest = k; ok && i >= 0; i--) {
		sc->variant_names[i] = strdup(d->names[i]);
		sc->variant_values[i] = strdup(d->values[i][rest % d->nvalues[i]]);
		ok = sc->variant_names[i] && sc->variant_values[i];
		rest /= d->nvalues[i];
	}
	if (ok)
		ok = (sc->id = variant_id(id_base, sc)) != NULL;
	if (!ok) {
		sc->nvariants = sc->variant_names && sc->variant_values ? d->n : 0;
		scenario_free(sc);
		return NULL;
	}
	return sc;
}

/* One variant: the values picked by combination number k. */
static struct scenario *parse_variant(struct parser *p, const char *path, struct case_source *src,
				      const char *id_base, struct dims *d, int k)
{
	struct scenario *sc = variant_new(path, src, id_base, d, k);
	if (!sc) {
		snprintf(p->err, CASE_ERRLEN, "%s:1:1: out of memory (variant %d of the file)", path, k + 1);
		return NULL;
	}
	*p = (struct parser){ .file = sc->file, .sc = sc, .err = p->err, .host = -1,
			      .sub = { sc->variant_names, sc->variant_values, d->n } };
	int rc = parse_text(p, src->text, 0);
	sc->steps = p->frames[0].items;
	sc->nsteps = p->frames[0].n;
	if (rc == 0)
		rc = check_interfaces(p);
	for (int i = 1; rc < 0 && i <= p->depth; i++) {
		struct frame *f = &p->frames[i];
		for (int j = 0; j < f->n; j++)
			step_free(&f->items[j]);
		free(f->items);
		step_free(&f->hdr);
	}
	sc->strings = p->files;
	if (rc < 0) {
		scenario_free(sc);
		return NULL;
	}
	return sc;
}

/* An `on ... when` section that no variant runs is a mistake (a typo in a
 * value, a condition that cannot hold): its steps would never even be
 * checked. */
static int check_sections_run(const struct case_file *cf, const char *path, char *err)
{
	const struct scenario *first = cf->sc[0];
	for (int w = 0; w < first->non_when; w++) {
		int kept = 0;
		for (int v = 0; v < cf->n && !kept; v++)
			for (int k = 0; k < cf->sc[v]->non_when && !kept; k++)
				kept = cf->sc[v]->on_when[k].line == first->on_when[w].line && cf->sc[v]->on_when[k].kept;
		if (!kept) {
			snprintf(err, CASE_ERRLEN, "%s:%d:%d: no variant runs this section (its condition never holds)",
				 path, first->on_when[w].line, first->on_when[w].col);
			return -1;
		}
	}
	return 0;
}

int case_file_runnable(const struct case_file *cf, const char *path, char *err)
{
	int steps = 0;
	for (int v = 0; v < cf->n; v++) {
		if (!cf->sc[v]->nhosts) {
			snprintf(err, CASE_ERRLEN, "%s:1:1: the case declares no host (a 'host' line, or "
				 "'use' of a fixture that has one)", path);
			return -1;
		}
		steps += cf->sc[v]->nsteps;
	}
	if (!steps) {
		snprintf(err, CASE_ERRLEN, "%s:1:1: the case has no steps, nothing to run "
			 "(write them under 'on HOST')", path);
		return -1;
	}
	return 0;
}

int case_load(const char *path, const char *id_base, struct case_file *out, char *err)
{
	*out = (struct case_file){ 0 };
	struct parser p = { .file = path, .err = err, .host = -1 };
	char *text, why[128];
	err[0] = '\0';
	size_t len;
	if (source_read(path, &text, &len, why, sizeof why) < 0) {
		snprintf(err, CASE_ERRLEN, "%s:1:1: cannot read: %s", path, why);
		return -1;
	}
	struct case_source *src = source_check_text(&p, text, len) < 0 ? NULL
		: malloc(sizeof *src + len + 1);
	if (src) {
		src->refs = 1;      /* case_load's own, dropped at the end */
		memcpy(src->text, text, len + 1);
	} else if (!err[0]) {
		snprintf(err, CASE_ERRLEN, "%s:1:1: out of memory", path);
	}
	free(text);
	if (!src)
		return -1;
	text = src->text;
	char idbuf[512];
	if (!id_base) {
		case_id_from_path(path, idbuf, sizeof idbuf);
		id_base = idbuf;
	}
	struct dims d = { 0 };
	int rc = scan_vary(&p, text, &d), total = 1;
	for (int i = 0; rc == 0 && i < d.n; i++) {
		total *= d.nvalues[i];
		if (total > MAX_VARIANTS) {     /* so it never overflows */
			snprintf(err, CASE_ERRLEN, "%s:%d:1: more than %d variants", path, d.line[i],
				 MAX_VARIANTS);
			rc = -1;
		}
	}
	for (int k = 0; rc == 0 && k < total; k++) {
		struct scenario *sc = parse_variant(&p, path, src, id_base, &d, k);
		if (!sc) {
			rc = -1;
			break;
		}
		GROW(out->sc, out->n);
		out->sc[out->n++] = sc;
	}
	if (rc == 0)
		rc = check_sections_run(out, path, err);
	dims_free(&d);
	if (--src->refs == 0)
		free(src);
	if (rc < 0)
		case_file_free(out);
	return rc;
}
