/* Steps: call lines, loops, branches and checks, and the block structure
 * they nest in. Arguments are parse_args.c's, expectations parse_expect.c's. */
#include "expr.h"
#include "parse_int.h"
#include "registry.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decimal, or hex with 0x: "010" is ten, not octal eight. */
int parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	const char *digits = s + (*s == '-' || *s == '+');
	int hex = digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X');
	errno = 0;
	long v = strtol(s, &end, hex ? 16 : 10);
	if (!*s || *end || errno || v < lo || v > hi || !((hex ? isxdigit : isdigit)((unsigned char)digits[hex ? 2 : 0])))
		return -1;
	*out = v;
	return 0;
}

int var_find(const struct scenario *sc, const char *name)
{
	for (int i = 0; i < sc->nvars; i++)
		if (!strcmp(sc->vars[i].name, name))
			return i;
	return -1;
}

int var_define(struct parser *p, const char *name, enum var_kind kind, int col)
{
	if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != strlen(name) ||
	    strlen(name) >= CASE_NAME || (name[0] >= '0' && name[0] <= '9'))
		return perr(p, col, "bad variable name '%s'", name);
	static const char *const words[] = { "and", "or", "not", "in", "when", "if", "else", "end", "check" };
	for (size_t i = 0; i < sizeof words / sizeof *words; i++)
		if (!strcmp(words[i], name))
			return perr(p, col, "'%s' is a word of the language, not a name for a variable", name);
	for (int i = 0; i < p->sc->nvariants; i++)
		if (!strcmp(p->sc->variant_names[i], name))
			return perr(p, col, "'%s' is a 'vary' name: $%s would mean its value", name, name);
	int v = var_find(p->sc, name);
	if (v >= 0 && p->sc->vars[v].kind != kind)
		return perr(p, col, "'%s' is already a %s", name,
			    p->sc->vars[v].kind == VAR_SOCK ? "socket" : "number");
	if (v >= 0)
		return v;
	GROW(p->sc->vars, p->sc->nvars);
	strcpy(p->sc->vars[p->sc->nvars].name, name);
	p->sc->vars[p->sc->nvars].kind = kind;
	return p->sc->nvars++;
}

/* Tokens back to canonical text: "bind(s, 0.0.0.0:80)". */
char *tokens_text(const struct token *t, int from, int to)
{
	size_t cap = 16;
	for (int i = from; i < to; i++)
		cap += t[i].len * 4 + 4;
	char *out = malloc(cap), *o = out;
	if (!out)
		abort();
	*o = '\0';
	for (int i = from; i < to; i++) {
		int glue = i == from || tok_is(&t[i], ")") || tok_is(&t[i], ",") ||
			   tok_is(&t[i], "(") || tok_is(&t[i - 1], "(");
		if (!glue)
			*o++ = ' ';
		if (t[i].kind == TOK_STR) {
			*o++ = '"';
			for (size_t k = 0; k < t[i].len; k++) {
				unsigned char c = (unsigned char)t[i].text[k];
				o += c >= 32 && c < 127 && c != '"' && c != '\\' ? sprintf(o, "%c", c)
					: c == '\n' ? sprintf(o, "\\n") : sprintf(o, "\\x%02x", c);
			}
			*o++ = '"';
		} else {
			o += sprintf(o, "%s", t[i].text);
		}
		*o = '\0';
	}
	return out;
}

static void *fit(void *p, size_t n, size_t size)
{
	if (!n) {
		free(p);
		return NULL;
	}
	void *q = realloc(p, n * size);
	return q ? q : p;
}

/* Only what the step uses: see arg_next(). */
static void step_fit(struct step *st)
{
	st->args = fit(st->args, (size_t)st->nargs, sizeof *st->args);
	st->alts = fit(st->alts, (size_t)st->nalts, sizeof *st->alts);
}

static void frame_push_step(struct parser *p, struct step *st)
{
	struct frame *f = &p->frames[p->depth];
	step_fit(st);
	GROW(f->items, f->n);
	f->items[f->n++] = *st;
}

int push_step(struct parser *p, struct step *st)
{
	frame_push_step(p, st);
	return 0;
}

static int open_block(struct parser *p, struct step *st)
{
	if (p->depth == MAX_DEPTH) {
		step_free(st);
		return perr_at(p, &st->pos, "blocks nested too deeply (%d at most)", MAX_DEPTH);
	}
	p->frames[++p->depth] = (struct frame){ .hdr = *st };
	return 0;
}

/* `else` in an `if` block: what was collected is the `if` body. */
static int stmt_else(struct parser *p, struct line_toks *lt)
{
	struct frame *f = &p->frames[p->depth];
	if (!p->depth || f->hdr.kind != STEP_IF || f->in_else)
		return perr(p, lt->t[0].col, p->depth && f->hdr.kind == STEP_IF ? "a second 'else' in one 'if'"
			    : "'else' without an open 'if'");
	if (lt->n > 1)
		return perr(p, lt->t[1].col, "'else' stands alone on its line (no 'else if': nest an 'if')");
	f->hdr.body = f->items;
	f->hdr.nbody = f->n;
	f->items = NULL;
	f->n = 0;
	f->in_else = 1;
	return 0;
}

static int stmt_end(struct parser *p, struct line_toks *lt)
{
	if (!p->depth)
		return perr(p, lt->t[0].col, "'end' without an open block");
	struct frame *f = &p->frames[p->depth];
	if (f->in_else) {
		f->hdr.els = f->items;
		f->hdr.nels = f->n;
	} else {
		f->hdr.body = f->items;
		f->hdr.nbody = f->n;
	}
	struct step st = f->hdr;
	p->depth--;
	if (lt->n > 1 && st.kind != STEP_UNTIL) {
		step_free(&st);
		return perr(p, lt->t[1].col, "only 'repeat until error' takes an expected result");
	}
	static const struct call_def loop_result = { "repeat", "", "", VAL_ZERO, NULL, "", 0, NULL };
	st.call = st.kind == STEP_UNTIL ? &loop_result : NULL;
	int rc = parse_alts(p, lt->t, 1, lt->n, &st);
	for (int i = 0; rc == 0 && i < st.nalts; i++)
		for (const struct expect *e = &st.alts[i].e; rc == 0 && e; e = e->or)
			if (e->kind != EXP_ERRNO && e->kind != EXP_INT)
				rc = perr(p, lt->t[1].col,
					  "'repeat until error' ends with an errno (or 0: no error)");
	frame_push_step(p, &st);
	return rc;
}

/* repeat N | [x =] repeat until error [max N] | for x in A..B */
static int stmt_loop(struct parser *p, struct line_toks *lt, int capture_col, const char *capture)
{
	const struct token *t = lt->t;
	int base = capture ? 2 : 0;
	struct step st = { .pos = pos_at(p, t[base].col), .host = p->host, .capture = -1, .loopvar = -1 };
	st.text = tokens_text(t, 0, lt->n);
	if (tok_is(&t[base], "repeat") && tok_is(&t[base + 1], "until")) {
		st.kind = STEP_UNTIL;
		st.max = 100000;
		if (!tok_is(&t[base + 2], "error") ||
		    (lt->n != base + 3 && (lt->n != base + 5 || !tok_is(&t[base + 3], "max") ||
					   parse_long(t[base + 4].text ? t[base + 4].text : "", 1, 10000000, &st.max))))
			return step_free(&st), perr(p, t[base].col, "usage: [COUNT =] repeat until error [max N]");
		if (capture && (st.loopvar = var_define(p, capture, VAR_INT, capture_col)) < 0)
			return step_free(&st), -1;
	} else if (capture) {
		return step_free(&st), perr(p, t[base].col, "only 'repeat until error' gives a count to capture");
	} else if (tok_is(&t[0], "repeat")) {
		st.kind = STEP_REPEAT;
		if (lt->n != 2 || t[1].kind != TOK_WORD || parse_long(t[1].text, 0, 10000000, &st.count))
			return step_free(&st), perr(p, t[0].col, "usage: repeat N | repeat until error");
	} else {
		st.kind = STEP_FOR;
		const char *dots = lt->n == 4 && t[3].kind == TOK_WORD ? strstr(t[3].text, "..") : NULL;
		char from[32];
		if (!dots || !tok_is(&t[2], "in") || t[1].kind != TOK_WORD || dots - t[3].text >= 32)
			return step_free(&st), perr(p, t[0].col, "usage: for NAME in FROM..TO");
		snprintf(from, sizeof from, "%.*s", (int)(dots - t[3].text), t[3].text);
		if (parse_long(from, 0, 1L << 31, &st.from) || parse_long(dots + 2, 0, 1L << 31, &st.to))
			return step_free(&st), perr(p, t[3].col, "bad range '%s'", t[3].text);
		if (st.from > st.to)    /* it would run no step, and check nothing */
			return step_free(&st), perr(p, t[3].col, "empty range '%s' (FROM must not pass TO)",
						    t[3].text);
		if ((st.loopvar = var_define(p, t[1].text, VAR_INT, t[1].col)) < 0)
			return step_free(&st), -1;
	}
	return open_block(p, &st);
}

/* if EXPR ... [else ...] end: steps that run on what the kernel answered
 * earlier (captured numbers). */
static int stmt_if(struct parser *p, struct line_toks *lt)
{
	const struct token *t = lt->t;
	if (lt->n < 2)
		return perr(p, t[0].col, "usage: if CONDITION ... [else ...] end");
	struct step st = { .kind = STEP_IF, .pos = pos_at(p, t[0].col), .host = p->host,
			   .capture = -1, .loopvar = -1 };
	st.text = tokens_text(t, 0, lt->n);
	int i = 1;
	if (expr_parse(p, t, &i, lt->n, &st.expr) < 0 ||
	    (i != lt->n && perr(p, t[i].col, "unexpected '%s' after the condition", t[i].text) < 0)) {
		step_free(&st);
		return -1;
	}
	return open_block(p, &st);
}

/* check EXPR, or the older check VARIABLE = EXPECTED [when ...]. */
static int stmt_check(struct parser *p, struct line_toks *lt)
{
	const struct token *t = lt->t;
	if (lt->n < 2)
		return perr(p, t[0].col, "usage: check CONDITION | check VARIABLE = EXPECTED");
	struct step st = { .kind = STEP_CHECK, .pos = pos_at(p, t[0].col), .host = p->host,
			   .capture = -1, .loopvar = -1 };
	int rc;
	if (tok_is(&t[2], "=")) {
		const char *name = t[1].kind == TOK_WORD ? t[1].text + (t[1].text[0] == '$') : "";
		int var = var_find(p->sc, name);
		if (var >= 0 && p->sc->vars[var].kind != VAR_INT)
			return perr(p, t[1].col, "'%s' is a socket, not a number", name);
		if (var < 0)
			return perr(p, t[1].col, "undefined variable '%s'", t[1].kind == TOK_STR ? "\"...\"" : t[1].text);
		st.loopvar = var;
		st.text = tokens_text(t, 0, 2);
		rc = lt->n < 4 ? perr(p, t[2].col, "missing expected result") : parse_alts(p, t, 2, lt->n, &st);
	} else {
		int i = 1;
		st.text = tokens_text(t, 0, lt->n);
		rc = expr_parse(p, t, &i, lt->n, &st.expr);
		if (rc == 0 && i != lt->n)
			rc = perr(p, t[i].col, "unexpected '%s' after the condition", t[i].text);
	}
	if (rc < 0) {
		step_free(&st);
		return -1;
	}
	frame_push_step(p, &st);
	return 0;
}

/* exec -- PROG ARG... [= EXPECTED]: run a program in the host (only with
 * --allow-exec). Its value is the exit status; "text" expects its output. */
static int stmt_exec(struct parser *p, struct line_toks *lt)
{
	const struct token *t = lt->t;
	if (!tok_is(&t[1], "--") || t[2].kind == TOK_END || t[2].kind == TOK_PUNCT)
		return perr(p, t[0].col, "usage: exec -- PROGRAM [ARGUMENT...] [= EXPECTED]");
	struct step st = { .kind = STEP_CALL, .pos = pos_at(p, t[0].col), .host = p->host,
			   .call = call_find("exec"), .capture = -1, .loopvar = -1 };
	int i = 2, n = 0;
	while (i + n < lt->n && t[i + n].kind != TOK_PUNCT)
		n++;
	st.argv = calloc((size_t)n + 1, sizeof *st.argv);
	st.argv_var = calloc((size_t)n + 1, sizeof *st.argv_var);
	if (!st.argv || !st.argv_var) {
		step_free(&st);
		return perr(p, t[0].col, "out of memory");
	}
	for (int k = 0; k < n; k++, i++) {
		st.argv_var[k] = -1;
		if (t[i].kind == TOK_STR && memchr(t[i].text, '\0', t[i].len)) {
			step_free(&st);
			return perr(p, t[i].col, "an argument cannot hold \\0");
		}
		if (t[i].kind == TOK_WORD && strchr(t[i].text, '$')) {
			/* a vary value was put in already; what is left must be a
			 * number captured earlier, given whole ($p) */
			int var = t[i].text[0] == '$' ? var_find(p->sc, t[i].text + 1) : -1;
			if (var < 0 || p->sc->vars[var].kind != VAR_INT) {
				step_free(&st);
				return perr(p, t[i].col, "undefined variable in '%s' (quote it for a literal $)", t[i].text);
			}
			st.argv_var[k] = var;
		}
		st.argv[k] = strdup(t[i].text);
	}
	st.text = tokens_text(t, 0, i);
	if (parse_alts(p, t, i, lt->n, &st) < 0) {
		step_free(&st);
		return -1;
	}
	p->sc->uses_exec = 1;
	frame_push_step(p, &st);
	return 0;
}

/* The arguments between t[open] '(' and its ')', split at commas into
 * groups (an argument may be several words: `ttl 5`). Returns the index
 * of the ')', or -1. */
static int collect_groups(struct parser *p, const struct token *t, int open, struct group *g, int *ng)
{
	int i = open + 1;
	*ng = 0;
	if (tok_is(&t[i], ")"))
		return i;
	for (;;) {
		if (*ng == CASE_MAX_ARGS)
			return perr(p, t[i].col, "too many arguments (%d at most)", CASE_MAX_ARGS);
		g[*ng] = (struct group){ &t[i], 0 };
		while (t[i].kind != TOK_END && !tok_is(&t[i], ",") && !tok_is(&t[i], ")")) {
			if (t[i].kind == TOK_PUNCT)
				return perr(p, t[i].col, "unexpected '%s'", t[i].text);
			g[*ng].n++;
			i++;
		}
		if (t[i].kind == TOK_END)
			return perr(p, t[open].col, "unclosed '('");
		if (!g[*ng].n)
			return perr(p, t[i].col, *ng ? "expected an argument after ','" : "expected an argument before ','");
		(*ng)++;
		if (tok_is(&t[i], ")"))
			return i;
		i++;
	}
}

/* What a capture of this call holds: a socket, or a number (a value-less
 * call's: 0, or the errno it failed with). */
static int capture_of(struct parser *p, const struct token *t, const char *name, struct step *st)
{
	enum var_kind kind = st->call->value == VAL_SOCK ? VAR_SOCK : VAR_INT;
	return (st->capture = var_define(p, name, kind, t[0].col)) < 0 ? -1 : 0;
}

static int stmt_call(struct parser *p, const struct token *t, int n, int base, const char *capture)
{
	const struct call_def *call = call_find(t[base].text);
	if (!call)
		return perr(p, t[base].col, "unknown call '%s' (netrepro help calls)", t[base].text);
	if (!tok_is(&t[base + 1], "("))
		return perr(p, t[base + 1].col, "expected '(' after %s", call->name);
	struct group g[CASE_MAX_ARGS];
	int ng, close = collect_groups(p, t, base + 1, g, &ng);
	if (close < 0)
		return -1;
	struct step st = { .kind = STEP_CALL, .pos = pos_at(p, t[0].col), .host = p->host,
			   .call = call, .capture = -1, .loopvar = -1 };
	st.text = tokens_text(t, 0, close + 1);
	int rc = st.text ? parse_args(p, g, ng, &st, t[base].col) : perr(p, t[0].col, "out of memory");
	if (rc == 0 && capture)
		rc = capture_of(p, t, capture, &st);
	if (rc == 0)
		rc = parse_alts(p, t, close + 1, n, &st);
	if (rc < 0) {
		step_free(&st);
		return -1;
	}
	frame_push_step(p, &st);
	return 0;
}

int parse_step_line(struct parser *p, struct line_toks *lt)
{
	const struct token *t = lt->t;
	if (tok_is(&t[0], "end"))
		return stmt_end(p, lt);
	if (tok_is(&t[0], "else"))
		return stmt_else(p, lt);
	if (p->host < 0)
		return perr(p, t[0].col, "'%s' before any 'on HOST' (or an unknown statement)",
			    t[0].kind == TOK_STR ? "\"...\"" : t[0].text);
	if (tok_is(&t[0], "check"))
		return stmt_check(p, lt);
	if (tok_is(&t[0], "if"))
		return stmt_if(p, lt);
	if (tok_is(&t[0], "exec"))
		return stmt_exec(p, lt);
	int base = 0;
	const char *capture = NULL;
	if (t[0].kind == TOK_WORD && tok_is(&t[1], "=") && t[2].kind == TOK_WORD) {
		capture = t[0].text;
		base = 2;
	}
	if (tok_is(&t[base], "repeat") || (!capture && tok_is(&t[0], "for")))
		return stmt_loop(p, lt, t[0].col, capture);
	if (t[base].kind != TOK_WORD)
		return perr(p, t[base].col, "expected a step (a call, repeat, for, if, check or end), got %s",
			    t[base].kind == TOK_STR ? "a string" : t[base].text);
	return stmt_call(p, t, lt->n, base, capture);
}
