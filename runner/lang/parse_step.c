/* Steps: calls and their arguments, expectations with `when` guards, loops
 * and checks. Every argument is validated here, against the tables, so a
 * case that parses can only fail at run time because of the kernel. */
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

/* "10.0.0.1:80", "[::1]:80", "[::]:$port"; with_port 0: a bare address. */
static int parse_addr(struct parser *p, const struct token *t, int with_port, struct arg *a)
{
	char ip[64];
	const char *port = NULL, *s = t->text;
	a->kind = with_port ? ARG_ADDR : ARG_IP;
	a->addr.port_var = -1;
	if (t->kind != TOK_WORD)
		return perr(p, t->col, "expected an address");
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close - s - 1 >= (long)sizeof ip)
			return perr(p, t->col, "bad address '%s'", s);
		snprintf(ip, sizeof ip, "%.*s", (int)(close - s - 1), s + 1);
		port = close[1] == ':' ? close + 2 : close[1] ? "" : NULL;
	} else {
		const char *colon = strchr(s, ':');
		int v4 = colon && !strchr(colon + 1, ':');
		size_t n = v4 ? (size_t)(colon - s) : strlen(s);
		if (n >= sizeof ip)
			return perr(p, t->col, "bad address '%s'", s);
		snprintf(ip, sizeof ip, "%.*s", (int)n, s);
		port = v4 ? colon + 1 : NULL;
	}
	struct sockaddr_in *in = (struct sockaddr_in *)&a->addr.ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->addr.ss;
	if (inet_pton(AF_INET, ip, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		a->addr.len = sizeof *in;
	} else if (inet_pton(AF_INET6, ip, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		a->addr.len = sizeof *in6;
	} else {
		return perr(p, t->col, "bad address '%s'", s);
	}
	if (!with_port)
		return port ? perr(p, t->col, "expected an address without a port, got '%s'", s) : 0;
	long v;
	if (!port)
		return perr(p, t->col, "address '%s' needs a port (ADDRESS:PORT, [IPV6]:PORT)", s);
	if (port[0] == '$') {
		int var = var_find(p->sc, port + 1);
		if (var < 0 || p->sc->vars[var].kind != VAR_INT)
			return perr(p, t->col, "undefined variable '%s'", port);
		a->addr.port_var = var;
	} else if (parse_long(port, 0, 65535, &v) < 0) {
		return perr(p, t->col, "bad port in '%s'", s);
	} else {
		in->sin_port = htons((uint16_t)v);  /* same offset in sockaddr_in6 */
	}
	return 0;
}

static int want_int(struct parser *p, const struct token *t, struct arg *a)
{
	a->kind = ARG_INT;
	if (t->kind == TOK_WORD && t->text[0] == '$') {
		int var = var_find(p->sc, t->text + 1);
		if (var < 0 || p->sc->vars[var].kind != VAR_INT)
			return perr(p, t->col, "undefined variable '%s'", t->text);
		a->kind = ARG_VAR;
		a->var = var;
		return 0;
	}
	if (t->kind != TOK_WORD || parse_long(t->text, -2147483648L, 4294967295L, &a->i) < 0)
		return perr(p, t->col, "expected a number, got '%s'", t->text ? t->text : "\"...\"");
	return 0;
}

static int want_name(struct parser *p, const struct token *t, const struct name_val *tbl,
		     const char *what, struct arg *a)
{
	int found = 0;
	if (t->kind == TOK_WORD)
		a->i = table_find(tbl, t->text, &found);
	if (!found)
		return perr(p, t->col, "unknown %s '%s'", what, t->text ? t->text : "\"...\"");
	a->kind = ARG_NAME;
	a->str = strdup(t->text);
	return 0;
}

static int want_sock(struct parser *p, const struct token *t, struct arg *a)
{
	int var = t->kind == TOK_WORD ? var_find(p->sc, t->text) : -1;
	if (var < 0 || p->sc->vars[var].kind != VAR_SOCK)
		return perr(p, t->col, "undefined socket '%s'", t->text ? t->text : "\"...\"");
	a->kind = ARG_SOCK;
	a->var = var;
	return 0;
}

/* A step's arguments and alternatives get the full capacity while the
 * line is parsed (pointers into them stay valid), and only what they use
 * once it is done (step_fit): the whole case library is in memory, and in
 * every worker's page tables, so a step is kept small. */
static struct arg *arg_next(struct step *st)
{
	if (!st->args)
		st->args = calloc(CASE_MAX_ARGS, sizeof *st->args);
	return &st->args[st->nargs++];
}

static struct expect_alt *alt_next(struct step *st)
{
	if (!st->alts)
		st->alts = calloc(CASE_MAX_ALTS, sizeof *st->alts);
	return &st->alts[st->nalts++];
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

static void step_fit(struct step *st)
{
	st->args = fit(st->args, (size_t)st->nargs, sizeof *st->args);
	st->alts = fit(st->alts, (size_t)st->nalts, sizeof *st->alts);
}

/* [LEVEL,] OPTION then, for setsockopt, the value in the option's shape. */
static int want_option(struct parser *p, struct token **at, int nat, int *k, struct step *st, int set)
{
	struct arg lvl;
	const struct token *lvltok = NULL;
	if (*k < nat && want_name(p, at[*k], tbl_level, "level", &lvl) == 0) {
		free(lvl.str);
		lvltok = at[(*k)++];
	} else {
		*p->err = '\0';
		lvl.i = -1;
	}
	if (*k >= nat)
		return perr(p, at[nat - 1]->col, "missing option name");
	const struct token *t = at[(*k)++];
	const struct sockopt_def *d = t->kind == TOK_WORD ? sockopt_find(t->text) : NULL;
	if (!d)
		return perr(p, t->col, "unknown socket option '%s'", t->text ? t->text : "\"...\"");
	if (lvltok && lvl.i != d->level)
		return perr(p, t->col, "%s is not an option of level %s (it is %s)", d->name, lvltok->text,
			    table_name(tbl_level, d->level));
	struct arg *a = arg_next(st);
	*a = (struct arg){ .kind = ARG_NAME, .i = d->level, .str = strdup(d->name), .pos = pos_at(p, t->col) };
	if (!set)
		return d->kind == OV_INT || d->kind == OV_IFINDEX ? 0
			: perr(p, t->col, "getsockopt reads integer options only");
	static const char *const shapes[] = { "i", "ii", "PP[n", "Pn", "P", "ii", "n" };
	const char *shape = shapes[d->kind];
	for (int opt = 0; *shape; shape++) {
		if (*shape == '[') {
			opt = 1;
			continue;
		}
		if (*k >= nat) {
			if (opt)
				break;
			return perr(p, at[nat - 1]->col, "%s needs more values", d->name);
		}
		const struct token *v = at[(*k)++];
		struct arg *va = arg_next(st);
		va->pos = pos_at(p, v->col);
		int rc = *shape == 'i' ? want_int(p, v, va) : *shape == 'P' ? parse_addr(p, v, 0, va) : 0;
		if (*shape == 'n' && v->kind == TOK_WORD && ((v->text[0] >= '0' && v->text[0] <= '9') || v->text[0] == '$'))
			rc = want_int(p, v, va);
		else if (*shape == 'n' && v->kind == TOK_WORD && v->len < 16)
			*va = (struct arg){ .kind = ARG_NAME, .str = strdup(v->text), .pos = va->pos };
		else if (*shape == 'n')
			rc = perr(p, v->col, "expected an interface name or index");
		if (rc < 0)
			return -1;
	}
	if (d->kind == OV_MREQ6 && st->args[st->nargs - 2].addr.ss.ss_family != AF_INET6)
		return perr_at(p, &st->args[st->nargs - 2].pos, "%s wants an IPv6 group", d->name);
	for (int i = 2; i < (d->kind == OV_MREQ ? 4 : d->kind == OV_INADDR ? 3 : 2); i++)
		if (st->args[i].addr.ss.ss_family != AF_INET)
			return perr_at(p, &st->args[i].pos, "%s wants IPv4 addresses", d->name);
	return 0;
}

static int parse_args(struct parser *p, struct token **at, int nat, struct step *st, int namecol)
{
	const char *sig = st->call->sig;
	int k = 0, optional = 0;
	for (; *sig; sig++) {
		if (*sig == '[') {
			optional = 1;
			continue;
		}
		if (k >= nat) {
			if (optional)
				break;
			return perr(p, namecol, "%s() needs more arguments", st->call->name);
		}
		if (*sig == 'X')
			return perr(p, namecol, "usage: exec -- PROGRAM [ARGUMENT...] [= EXPECTED]");
		if (*sig == 'O' || *sig == 'o') {
			if (want_option(p, at, nat, &k, st, *sig == 'O') < 0)
				return -1;
			continue;
		}
		const struct token *t = at[k++];
		struct arg *a = arg_next(st);
		a->pos = pos_at(p, t->col);
		int rc = 0;
		switch (*sig) {
		case 's': rc = want_sock(p, t, a); break;
		case 'A': rc = parse_addr(p, t, 1, a); break;
		case 'P': rc = parse_addr(p, t, 0, a); break;
		case 'i': rc = want_int(p, t, a); break;
		case 'F': rc = want_name(p, t, tbl_family, "address family", a); break;
		case 'T': rc = want_name(p, t, tbl_socktype, "socket type", a); break;
		case 'H': rc = want_name(p, t, tbl_shut, "shutdown direction", a); break;
		case 'N':
			if (!tok_is(t, "NONBLOCK"))
				rc = perr(p, t->col, "unknown socket flag '%s' (NONBLOCK)", t->text ? t->text : "");
			a->kind = ARG_INT;
			a->i = 1;
			break;
		case 'q':
			if (t->kind != TOK_STR)
				return perr(p, t->col, "expected a \"string\"");
			a->kind = ARG_STR;
			a->str = malloc(t->len + 1);
			memcpy(a->str, t->text, t->len + 1);
			a->len = t->len;
			break;
		case 'S':
			if (nat == 1) {
				rc = want_sock(p, t, a);
			} else if ((rc = parse_addr(p, t, 1, a)) == 0 && k < nat) {
				struct arg *peer = arg_next(st);
				peer->pos = pos_at(p, at[k]->col);
				rc = parse_addr(p, at[k++], 1, peer);
			}
			break;
		}
		if (rc < 0)
			return -1;
	}
	if (k < nat)
		return perr(p, at[k]->col, "too many arguments to %s()", st->call->name);
	return 0;
}

static int parse_expect(struct parser *p, const struct token *t, const struct call_def *call,
			struct expect *e)
{
	int found = 0;
	snprintf(e->text, sizeof e->text, "%s", t->kind == TOK_STR ? "\"...\"" : t->text ? t->text : "");
	if (t->kind == TOK_STR) {
		if (!call || (call->id != CALL_RECV && call->id != CALL_RECVFROM && call->id != CALL_EXEC))
			return perr(p, t->col, "only recv(), recvfrom() and exec expect data");
		char *shown = tokens_text(t, 0, 1);
		snprintf(e->text, sizeof e->text, "%s", shown);
		free(shown);
		e->kind = EXP_STR;
		e->str = malloc(t->len + 1);
		memcpy(e->str, t->text, t->len + 1);
		e->len = t->len;
		return 0;
	}
	if (t->kind != TOK_WORD)
		return perr(p, t->col, "expected a result (0, a number, an errno name, ok, TIMEOUT)");
	if (call && call->value == VAL_STATE) {
		/* By full name only: table_find() would take "WAIT" for TIME_WAIT. */
		e->kind = EXP_STATE;
		for (const struct name_val *s = tbl_tcp_state; s->name; s++)
			if (!strcmp(s->name, t->text)) {
				e->i = s->val;
				return 0;
			}
		return perr(p, t->col, "unknown TCP state '%s' (ESTABLISHED, TIME_WAIT, LISTEN, ..., NONE)",
			    t->text);
	}
	if (call && call->id == CALL_EXEC && (!strcmp(t->text, "ok") ||
					       (t->text[0] == 'E' && t->text[1] >= 'A' && t->text[1] <= 'Z')))
		return perr(p, t->col, "exec expects an exit status, \"output\" or TIMEOUT, not '%s'", t->text);
	if (!strcmp(t->text, "ok")) {
		e->kind = EXP_OK;
	} else if (!strcmp(t->text, "TIMEOUT")) {
		e->kind = EXP_TIMEOUT;
	} else if (t->text[0] == '$') {
		int var = var_find(p->sc, t->text + 1);
		if (var < 0 || p->sc->vars[var].kind != VAR_INT)
			return perr(p, t->col, "undefined variable '%s'", t->text);
		e->kind = EXP_VAR;
		e->var = var;
	} else if (t->text[0] == 'E' && t->text[1] >= 'A' && t->text[1] <= 'Z') {
		e->kind = EXP_ERRNO;
		e->i = table_find(tbl_errno, t->text, &found);
		if (!found)
			return perr(p, t->col, "unknown errno '%s'", t->text);
	} else if (parse_long(t->text, -2147483648L, 4294967295L, &e->i) == 0) {
		e->kind = EXP_INT;
	} else {
		return perr(p, t->col, "unknown result '%s' (0, a number, an errno name, ok, TIMEOUT)", t->text);
	}
	if (!call && e->kind != EXP_INT && e->kind != EXP_VAR)     /* `check` */
		return perr(p, t->col, "'check' compares with a number or a $variable, not '%s'", t->text);
	return 0;
}

#define MAX_ANSWERS 4

/* "A or B or C" from t[*i]: one expectation, the others chained on its
 * `or`; its text becomes the whole, for the record. */
static int parse_answers(struct parser *p, const struct token *t, int *i, int n,
			 const struct call_def *call, struct expect *e)
{
	int first = *i;
	if (parse_expect(p, &t[(*i)++], call, e) < 0)
		return -1;
	struct expect **tail = &e->or;
	for (int count = 1; *i < n && tok_is(&t[*i], "or"); count++) {
		if (count == MAX_ANSWERS)
			return perr(p, t[*i].col, "at most %d answers joined with 'or'", MAX_ANSWERS);
		if (*i + 1 >= n)
			return perr(p, t[*i].col, "missing expected result after 'or'");
		*tail = calloc(1, sizeof **tail);
		if (parse_expect(p, &t[*i + 1], call, *tail) < 0)
			return -1;
		tail = &(*tail)->or;
		*i += 2;
	}
	if (e->or) {
		char *whole = tokens_text(t, first, *i);
		if (strlen(whole) >= sizeof e->text) {
			free(whole);
			return perr(p, t[first].col, "expected results too long (%zu characters at most)",
				    sizeof e->text - 1);
		}
		snprintf(e->text, sizeof e->text, "%s", whole);
		free(whole);
	}
	return 0;
}

/* "= A when COND | B when COND | C", from t[i] (the '='). */
int parse_alts(struct parser *p, const struct token *t, int i, int n,
	       const struct call_def *call, struct step *st)
{
	if (i >= n)
		return 0;
	if (!tok_is(&t[i], "="))
		return perr(p, t[i].col, "unexpected '%s' (an expectation starts with '=')",
			    t[i].kind == TOK_STR ? "\"...\"" : t[i].text);
	do {
		i++;
		if (st->nalts == CASE_MAX_ALTS)
			return perr(p, t[i].col, "too many alternatives");
		if (i >= n)
			return perr(p, t[i].col, "missing expected result");
		struct expect_alt *alt = alt_next(st);
		if (parse_answers(p, t, &i, n, call, &alt->e) < 0)
			return -1;
		if (i < n && tok_is(&t[i], "when")) {
			int end = i + 1;
			while (end < n && !tok_is(&t[end], "|"))
				end++;
			i++;
			if (parse_cond(p, t, &i, end, &alt->guard) < 0)
				return -1;
			if (i != end)
				return perr(p, t[i].col, "unexpected '%s' in condition", t[i].text);
		} else if (i < n && !tok_is(&t[i], "|")) {
			return perr(p, t[i].col, "unexpected '%s' after the expected result (when, |)",
				    t[i].kind == TOK_STR ? "\"...\"" : t[i].text);
		}
		if (!alt->guard && i < n)
			return perr(p, t[i].col, "an alternative without 'when' must come last");
	} while (i < n && tok_is(&t[i], "|"));
	return 0;
}

static void frame_push_step(struct parser *p, struct step *st)
{
	struct frame *f = &p->frames[p->depth];
	step_fit(st);
	GROW(f->items, f->n);
	f->items[f->n++] = *st;
}

static int open_block(struct parser *p, struct step *st)
{
	if (p->depth == MAX_DEPTH) {
		step_free(st);
		return perr_at(p, &st->pos, "blocks nested too deeply");
	}
	p->frames[++p->depth] = (struct frame){ .hdr = *st };
	return 0;
}

static int stmt_end(struct parser *p, struct line_toks *lt)
{
	if (!p->depth)
		return perr(p, lt->t[0].col, "'end' without an open block");
	struct frame *f = &p->frames[p->depth];
	f->hdr.body = f->items;
	f->hdr.nbody = f->n;
	struct step st = f->hdr;
	p->depth--;
	if (lt->n > 1 && st.kind != STEP_UNTIL) {
		step_free(&st);
		return perr(p, lt->t[1].col, "only 'repeat until error' takes an expected result");
	}
	static const struct call_def loop_result = { "repeat", CALL_SLEEP, "", VAL_ZERO };
	int rc = parse_alts(p, lt->t, 1, lt->n, &loop_result, &st);
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

static int stmt_check(struct parser *p, struct line_toks *lt)
{
	const struct token *t = lt->t;
	const char *name = t[1].kind == TOK_WORD ? t[1].text + (t[1].text[0] == '$') : "";
	int var = var_find(p->sc, name);
	if (lt->n < 4)
		return perr(p, t[0].col, "usage: check VARIABLE = EXPECTED");
	if (var >= 0 && p->sc->vars[var].kind != VAR_INT)
		return perr(p, t[1].col, "'%s' is a socket, not a number", name);
	if (var < 0)
		return perr(p, t[1].col, "undefined variable '%s'", t[1].kind == TOK_STR ? "\"...\"" : t[1].text);
	struct step st = { .kind = STEP_CHECK, .pos = pos_at(p, t[0].col), .host = p->host,
			   .capture = -1, .loopvar = var };
	st.text = tokens_text(t, 0, 2);
	if (parse_alts(p, t, 2, lt->n, NULL, &st) < 0) {
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
	if (parse_alts(p, t, i, lt->n, st.call, &st) < 0) {
		step_free(&st);
		return -1;
	}
	p->sc->uses_exec = 1;
	frame_push_step(p, &st);
	return 0;
}

int parse_step_line(struct parser *p, struct line_toks *lt)
{
	const struct token *t = lt->t;
	if (tok_is(&t[0], "end"))
		return stmt_end(p, lt);
	if (p->host < 0)
		return perr(p, t[0].col, "'%s' before any 'on HOST' (or an unknown statement)",
			    t[0].kind == TOK_STR ? "\"...\"" : t[0].text);
	if (tok_is(&t[0], "check"))
		return stmt_check(p, lt);
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
		return perr(p, t[base].col, "expected a step (a call, repeat, for, check or end), got %s",
			    t[base].kind == TOK_STR ? "a string" : t[base].text);
	const struct call_def *call = call_find(t[base].text);
	if (!call)
		return perr(p, t[base].col, "unknown call '%s'", t[base].kind == TOK_STR ? "\"...\"" : t[base].text);
	if (!tok_is(&t[base + 1], "("))
		return perr(p, t[base + 1].col, "expected '(' after %s", call->name);
	struct token *at[CASE_MAX_ARGS * 2];
	int nat = 0, i = base + 2;
	while (!tok_is(&t[i], ")")) {
		if (t[i].kind == TOK_END)
			return perr(p, t[base + 1].col, "unclosed '('");
		if (t[i].kind == TOK_PUNCT || nat == CASE_MAX_ARGS)
			return perr(p, t[i].col, nat == CASE_MAX_ARGS ? "too many arguments" : "unexpected '%s'", t[i].text);
		at[nat++] = &lt->t[i++];
		if (t[i].kind == TOK_END || (tok_is(&t[i], ",") && t[i + 1].kind == TOK_END))
			return perr(p, t[base + 1].col, "unclosed '('");
		if (tok_is(&t[i], ",") && tok_is(&t[i + 1], ")"))
			return perr(p, t[i + 1].col, "expected an argument after ','");
		if (tok_is(&t[i], ","))
			i++;
		else if (!tok_is(&t[i], ")"))
			return perr(p, t[i].col, "expected ',' or ')'");
	}
	struct step st = { .kind = STEP_CALL, .pos = pos_at(p, t[0].col), .host = p->host,
			   .call = call, .capture = -1, .loopvar = -1 };
	st.text = tokens_text(t, 0, i + 1);
	int rc = parse_args(p, at, nat, &st, t[base].col);
	if (rc == 0 && capture) {
		enum var_kind kind = call->value == VAL_SOCK ? VAR_SOCK : VAR_INT;
		if (call->value == VAL_ZERO || call->value == VAL_STATE)
			rc = perr(p, t[0].col, "%s() gives nothing to capture", call->name);
		else
			rc = (st.capture = var_define(p, capture, kind, t[0].col)) < 0 ? -1 : 0;
	}
	if (rc == 0)
		rc = parse_alts(p, t, i + 1, lt->n, call, &st);
	if (rc < 0) {
		step_free(&st);
		return -1;
	}
	frame_push_step(p, &st);
	return 0;
}
