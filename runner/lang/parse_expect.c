/* Expectations: `= A [or B ...] [when COND] | ...`. An answer is a value
 * in the shape of what the step gives (a number, an errno, "data", a TCP
 * state, an option's pair or name), a predicate (in A..B, >= N, != N,
 * error, not X), then checks of the answer's details (from, to, dev, ttl,
 * len, icmp, origin, info) on the calls that have them. */
#include "parse_int.h"
#include "registry.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the step's value is: a call's, or a getsockopt's option's. */
static enum value_out opt_out(const struct step *st)
{
	return st && st->opt && st->call && st->call->value == VAL_OPT ? st->opt->shape->out : OUT_INT;
}

static int is_errno_word(const struct token *t)
{
	return t->kind == TOK_WORD && t->text[0] == 'E' && t->text[1] >= 'A' && t->text[1] <= 'Z';
}

/* A number or a captured $number: into *v, or *var (else -1). */
static int operand(struct parser *p, const struct token *t, long *v, int *var)
{
	*var = -1;
	if (t->kind == TOK_WORD && t->text[0] == '$') {
		*var = var_find(p->sc, t->text + 1);
		if (*var >= 0 && p->sc->vars[*var].kind != VAR_INT)
			return perr(p, t->col, "'%s' is a socket, not a number", t->text + 1);
		return *var < 0 ? perr(p, t->col, "undefined variable '%s'", t->text) : 0;
	}
	if (t->kind != TOK_WORD || parse_long(t->text, -2147483648L, 4294967295L, v) < 0)
		return perr(p, t->col, "expected a number or a $variable, got '%s'", tok_shown(t));
	return 0;
}

/* "A..B" after `in`. */
static int parse_range(struct parser *p, const struct token *t, struct expect *e)
{
	const char *dots = t->kind == TOK_WORD ? strstr(t->text, "..") : NULL;
	if (!dots || dots == t->text || !dots[2])
		return perr(p, t->col, "expected a range FROM..TO after 'in', got '%s'", tok_shown(t));
	struct token half = { TOK_WORD, strndup(t->text, (size_t)(dots - t->text)), 0, t->col };
	if (!half.text)
		return perr(p, t->col, "out of memory");
	int rc = operand(p, &half, &e->i, &e->lo_var);
	free(half.text);
	half.text = (char *)dots + 2;
	half.col = t->col + (int)(dots - t->text) + 2;
	if (rc < 0 || operand(p, &half, &e->j, &e->hi_var) < 0)
		return -1;
	if (e->lo_var < 0 && e->hi_var < 0 && e->i > e->j)
		return perr(p, t->col, "empty range '%s' (FROM must not pass TO)", t->text);
	e->kind = EXP_RANGE;
	return 0;
}

static int parse_head(struct parser *p, const struct token *t, int *i, int n,
		      const struct step *st, struct expect *e);

/* A predicate: in A..B, >= N (and the other comparisons), error, not X. */
static int parse_predicate(struct parser *p, const struct token *t, int *i, int n,
			   const struct step *st, struct expect *e)
{
	static const struct { const char *text; enum cond_op op; } ops[] = {
		{ "==", OP_EQ }, { "!=", OP_NE }, { "<", OP_LT }, { "<=", OP_LE }, { ">", OP_GT }, { ">=", OP_GE },
	};
	const struct token *w = &t[*i];
	if (tok_is(w, "error")) {
		e->kind = EXP_ERROR;
		(*i)++;
		return 1;
	}
	if (tok_is(w, "not")) {
		if (*i + 1 >= n)
			return perr(p, w->col, "missing result after 'not'");
		if (tok_is(&t[*i + 1], "not"))
			return perr(p, t[*i + 1].col, "'not not X' is X: write the answer itself");
		e->kind = EXP_NOT;
		e->not = calloc(1, sizeof *e->not);
		if (!e->not)
			return perr(p, w->col, "out of memory");
		(*i)++;
		return parse_head(p, t, i, n, st, e->not) < 0 ? -1 : 1;
	}
	int is_pred = tok_is(w, "in");
	for (size_t k = 0; !is_pred && k < sizeof ops / sizeof *ops; k++)
		if (w->kind == TOK_PUNCT && tok_is(w, ops[k].text)) {
			e->op = ops[k].op;
			is_pred = 1;
		}
	if (!is_pred)
		return 0;
	enum value_out out = opt_out(st);
	if (st && st->call && (st->call->value == VAL_STATE || st->call->value == VAL_DATA ||
			       out == OUT_STR || out == OUT_PAIR || out == OUT_ADDR))
		return perr(p, w->col, "'%s' compares numbers; %s() gives %s", w->text, st->call->name,
			    st->call->value == VAL_STATE ? "a TCP state" : out == OUT_PAIR ? "two numbers" : "data");
	if (*i + 1 >= n)
		return perr(p, w->col, "missing number after '%s'", w->text);
	const struct token *v = &t[*i + 1];
	*i += 2;
	if (tok_is(w, "in"))
		return parse_range(p, v, e) < 0 ? -1 : 1;
	e->kind = EXP_CMP;
	return operand(p, v, &e->i, &e->var) < 0 ? -1 : 1;
}

/* A named value of the step's shape: a TCP state, an option's name. */
static int parse_named(struct parser *p, const struct token *w, const struct step *st, struct expect *e)
{
	if (st && st->call && st->call->value == VAL_STATE) {
		/* By full name only: table_find() would take "WAIT" for TIME_WAIT. */
		e->kind = EXP_STATE;
		for (const struct name_val *s = tbl_tcp_state; s->name; s++)
			if (!strcmp(s->name, w->text)) {
				e->i = s->val;
				return 1;
			}
		return perr(p, w->col, "unknown TCP state '%s' (ESTABLISHED, TIME_WAIT, LISTEN, ..., NONE)",
			    w->text);
	}
	const struct name_val *names = st && st->opt && st->call && st->call->value == VAL_OPT ? st->opt->names
		: st && st->call ? st->call->names : NULL;
	int found = 0;
	if (names && names != tbl_errno && isalpha((unsigned char)w->text[0]))
		e->i = table_find(names, w->text, &found);
	if (found)
		e->kind = EXP_INT;
	return found;
}

/* "data", or "data" * N, from t[*i]. */
static int expect_data(struct parser *p, const struct token *t, int *i, int n, const struct step *st,
		       struct expect *e)
{
	const struct token *w = &t[*i - 1];
	enum value_out out = opt_out(st);
	if (st && (!st->call || (st->call->value != VAL_DATA && st->call->value != VAL_EXIT &&
				 st->call->value != VAL_SYSCTL && out != OUT_STR)))
		return perr(p, w->col, "only recv(), recvfrom(), recvmsg(), exec, sysctl() and text options "
			    "expect \"data\"");
	int times = *i < n && tok_is(&t[*i], "*") ? 3 : 1;
	if (*i - 1 + times > n)
		return perr(p, t[*i].col, "after a \"string\": * N");
	e->kind = EXP_STR;
	if (parse_data(p, w, times, &e->str, &e->len) < 0)
		return -1;
	*i += times - 1;
	return 0;
}

/* An address option's value, compared as the canonical text decode gives. */
static int parse_addr_value(struct parser *p, const struct token *w, struct expect *e)
{
	struct arg a = { .var = -1 };
	if (parse_addr(p, w, 0, &a) < 0)
		return -1;
	char buf[INET6_ADDRSTRLEN];
	const void *raw = a.addr.ss.ss_family == AF_INET
		? (const void *)&((struct sockaddr_in *)&a.addr.ss)->sin_addr
		: (const void *)&((struct sockaddr_in6 *)&a.addr.ss)->sin6_addr;
	inet_ntop(a.addr.ss.ss_family, raw, buf, sizeof buf);
	e->kind = EXP_STR;
	e->str = strdup(buf);
	e->len = strlen(buf);
	return e->str ? 0 : perr(p, w->col, "out of memory");
}

/* The value of one answer, from t[*i]. */
static int parse_head(struct parser *p, const struct token *t, int *i, int n,
		      const struct step *st, struct expect *e)
{
	const struct token *w = &t[*i];
	const struct call_def *call = st ? st->call : NULL;
	e->var = e->lo_var = e->hi_var = -1;
	int rc = parse_predicate(p, t, i, n, st, e);
	if (rc)
		return rc < 0 ? -1 : 0;
	(*i)++;
	if (w->kind == TOK_STR)
		return expect_data(p, t, i, n, st, e);
	if (w->kind != TOK_WORD)
		return perr(p, w->col, "expected a result (0, a number, an errno name, ok, TIMEOUT, "
			    "a predicate), got '%s'", tok_shown(w));
	if ((rc = parse_named(p, w, st, e)))
		return rc < 0 ? -1 : 0;
	enum value_out out = opt_out(st);
	if (out == OUT_ADDR && strpbrk(w->text, ".:"))
		return parse_addr_value(p, w, e);
	if (call && call->value == VAL_EXIT && (!strcmp(w->text, "ok") || is_errno_word(w)))
		return perr(p, w->col, "exec expects an exit status, \"output\" or TIMEOUT, not '%s'", w->text);
	if (!strcmp(w->text, "ok")) {
		e->kind = EXP_OK;
	} else if (!strcmp(w->text, "TIMEOUT")) {
		e->kind = EXP_TIMEOUT;
	} else if (w->text[0] == '$') {
		if (operand(p, w, &e->i, &e->var) < 0)
			return -1;
		e->kind = EXP_VAR;
	} else if (is_errno_word(w)) {
		int found = 0;
		e->kind = EXP_ERRNO;
		e->i = table_find(tbl_errno, w->text, &found);
		if (!found)
			return perr(p, w->col, "unknown errno '%s'", w->text);
	} else if (parse_long(w->text, -2147483648L, 4294967295L, &e->i) == 0) {
		e->kind = EXP_INT;
	} else {
		return perr(p, w->col, "unknown result '%s' (0, a number, an errno name, ok, TIMEOUT%s)",
			    w->text, st && st->opt && st->opt->names && st->opt->names != tbl_errno
			    ? ", or a name of the option's values" : "");
	}
	if ((out == OUT_STR || out == OUT_ADDR) && e->kind != EXP_OK && e->kind != EXP_TIMEOUT && e->kind != EXP_ERRNO)
		return perr(p, w->col, "%s gives %s, not a number", st->opt->name,
			    out == OUT_STR ? "text: = \"...\"" : "an address");
	long second;
	if (call && call->value == VAL_SYSCTL && e->kind == EXP_INT && *i < n && t[*i].kind == TOK_WORD &&
	    !parse_long(t[*i].text, -2147483648L, 4294967295L, &second)) {
		e->kind = EXP_PAIR;     /* "= 60536 65535": both numbers of the value */
		e->j = second;
		(*i)++;
	}
	if (out == OUT_PAIR && e->kind == EXP_INT) {
		long v2;
		if (*i < n && t[*i].kind == TOK_WORD && !parse_long(t[*i].text, -2147483648L, 4294967295L, &v2)) {
			e->kind = EXP_PAIR;
			e->j = v2;
			(*i)++;
		} else if (st->opt->shape == &shape_range) {
			e->kind = EXP_PAIR;     /* the packed u32: hi << 16 | lo */
			e->j = (unsigned long)e->i >> 16 & 0xffff;
			e->i &= 0xffff;
		} else {
			return perr(p, w->col, "%s gives two numbers: = %s", st->opt->name, st->opt->shape->written);
		}
	}
	return 0;
}

static const struct { const char *name; enum attr_key key; } attr_names[] = {
	{ "from", AT_FROM }, { "to", AT_TO }, { "dev", AT_DEV }, { "ttl", AT_TTL },
	{ "hoplimit", AT_TTL }, { "tos", AT_TOS }, { "len", AT_LEN }, { "icmp", AT_ICMP },
	{ "icmp6", AT_ICMP6 }, { "origin", AT_ORIGIN }, { "info", AT_INFO }, { "flags", AT_FLAGS },
};

static int attr_key_of(const struct token *t, enum attr_key *key)
{
	for (size_t k = 0; t->kind == TOK_WORD && k < sizeof attr_names / sizeof *attr_names; k++)
		if (!strcmp(attr_names[k].name, t->text)) {
			*key = attr_names[k].key;
			return 1;
		}
	return 0;
}

/* Whether this call's answer has the detail at all. */
static int attr_allowed(const struct call_def *call, enum attr_key key)
{
	if (!call)
		return 0;
	if (call->value == VAL_ERR)
		return key == AT_FROM || key == AT_ICMP || key == AT_ICMP6 || key == AT_ORIGIN || key == AT_INFO;
	if (key == AT_LEN || key == AT_ICMP || key == AT_ICMP6)
		return call->value == VAL_DATA;    /* icmp: what a raw ICMP socket read */
	if (key == AT_FROM)
		return call->msg;
	return call->msg && !strcmp(call->name, "recvmsg") && (key <= AT_TOS || key == AT_FLAGS);
}

static int parse_attr_value(struct parser *p, const struct token *t, int *i, int n, struct expect_attr *a)
{
	const struct token *key = &t[*i - 1], *v = &t[*i];
	if (*i >= n || v->kind != TOK_WORD)
		return perr(p, key->col, "missing value after '%s'", key->text);
	(*i)++;
	if (a->key == AT_FROM || a->key == AT_TO) {
		struct arg arg = { .var = -1 };
		a->with_port = a->key == AT_FROM && (v->text[0] == '[' ?
			strstr(v->text, "]:") != NULL : strchr(v->text, ':') && !strchr(strchr(v->text, ':') + 1, ':'));
		if (parse_addr(p, v, a->with_port, &arg) < 0)
			return -1;
		a->addr = arg.addr;
		return 0;
	}
	if (a->key == AT_DEV) {
		if (v->len >= sizeof a->name)
			return perr(p, v->col, "bad interface name '%s'", v->text);
		snprintf(a->name, sizeof a->name, "%s", v->text);
		return 0;
	}
	if (a->key == AT_FLAGS) {
		int found = 0;
		a->a = table_find(tbl_msg_flag, v->text, &found);
		return found ? 0 : perr(p, v->col, "unknown message flag '%s' (TRUNC, CTRUNC, EOR, ...)", v->text);
	}
	if (a->key == AT_ORIGIN) {
		int found = 0;
		a->a = table_find(tbl_ee_origin, v->text, &found);
		return found ? 0 : perr(p, v->col, "unknown origin '%s' (NONE, LOCAL, ICMP, ICMP6, ...)", v->text);
	}
	if (parse_long(v->text, 0, 4294967295L, &a->a) < 0)
		return perr(p, v->col, "expected a number after '%s', got '%s'", key->text, v->text);
	if (a->key != AT_ICMP && a->key != AT_ICMP6)
		return 0;
	if (*i >= n || t[*i].kind != TOK_WORD || parse_long(t[*i].text, 0, 255, &a->b) < 0 || a->a > 255)
		return perr(p, key->col, "usage: %s TYPE CODE", key->text);
	(*i)++;
	return 0;
}

/* `from ADDR`, `ttl N` ... after the value, until `or`, `when`, `|`. */
static int parse_attrs(struct parser *p, const struct token *t, int *i, int n,
		       const struct step *st, struct expect *e)
{
	enum attr_key key;
	while (*i < n && attr_key_of(&t[*i], &key)) {
		const struct token *k = &t[*i];
		if (!attr_allowed(st ? st->call : NULL, key))
			return perr(p, k->col, "%s() has no '%s' to check", st && st->call ? st->call->name : "check",
				    k->text);
		struct expect_attr *more = realloc(e->attrs, (size_t)(e->nattrs + 1) * sizeof *more);
		if (!more)
			return perr(p, k->col, "out of memory");
		e->attrs = more;
		struct expect_attr *a = &e->attrs[e->nattrs++];
		*a = (struct expect_attr){ .key = key };
		(*i)++;
		if (parse_attr_value(p, t, i, n, a) < 0)
			return -1;
	}
	return 0;
}

static int parse_answer(struct parser *p, const struct token *t, int *i, int n,
			const struct step *st, struct expect *e)
{
	if (parse_head(p, t, i, n, st, e) < 0 || parse_attrs(p, t, i, n, st, e) < 0)
		return -1;
	/* `check`: a number, an errno (what a capture of a failed call holds) */
	for (const struct expect *x = !st || !st->call ? e : NULL; x; x = x->kind == EXP_NOT ? x->not : NULL) {
		if (x->kind != EXP_INT && x->kind != EXP_VAR && x->kind != EXP_RANGE && x->kind != EXP_CMP &&
		    x->kind != EXP_NOT && x->kind != EXP_ERRNO)
			return perr(p, t[*i - 1].col, "'check' compares with a number, an errno, a $variable or a "
				    "predicate, not '%s'", tok_shown(&t[*i - 1]));
	}
	return 0;
}

#define MAX_ANSWERS 64

/* "A or B or C" from t[*i]: one expectation, the others chained on its
 * `or`; its text is the whole, for the record. */
static int parse_answers(struct parser *p, const struct token *t, int *i, int n,
			 const struct step *st, struct expect *e)
{
	int first = *i;
	if (parse_answer(p, t, i, n, st, e) < 0)
		return -1;
	struct expect **tail = &e->or;
	for (int count = 1; *i < n && tok_is(&t[*i], "or"); count++) {
		if (count == MAX_ANSWERS)
			return perr(p, t[*i].col, "at most %d answers joined with 'or'", MAX_ANSWERS);
		if (*i + 1 >= n)
			return perr(p, t[*i].col, "missing expected result after 'or'");
		*tail = calloc(1, sizeof **tail);
		if (!*tail)
			return perr(p, t[*i].col, "out of memory");
		(*i)++;
		if (parse_answer(p, t, i, n, st, *tail) < 0)
			return -1;
		tail = &(*tail)->or;
	}
	e->text = tokens_text(t, first, *i);
	return e->text ? 0 : perr(p, t[first].col, "out of memory");
}

static struct expect_alt *alt_next(struct step *st)
{
	if (!st->alts)
		st->alts = calloc(CASE_MAX_ALTS, sizeof *st->alts);
	return st->alts ? &st->alts[st->nalts++] : NULL;
}

/* "= A when COND | B when COND | C", from t[i] (the '='). */
int parse_alts(struct parser *p, const struct token *t, int i, int n, struct step *st)
{
	if (i >= n)
		return 0;
	const struct step *ctx = st->kind == STEP_CHECK ? NULL : st;
	int first = i + 1;
	if (!tok_is(&t[i], "="))
		return perr(p, t[i].col, "unexpected '%s' (an expectation starts with '=')", tok_shown(&t[i]));
	do {
		i++;
		if (st->nalts == CASE_MAX_ALTS)
			return perr(p, t[i].col, "too many alternatives (%d at most)", CASE_MAX_ALTS);
		if (i >= n)
			return perr(p, t[i].col, "missing expected result");
		struct expect_alt *alt = alt_next(st);
		if (!alt)
			return perr(p, t[i].col, "out of memory");
		if (parse_answers(p, t, &i, n, ctx, &alt->e) < 0)
			return -1;
		if (i < n && tok_is(&t[i], "bug")) {
			/* `0 bug "https://...fix" when kernel < 6.1.54`: a kernel's bug */
			if (!ctx)
				return perr(p, t[i].col, "'bug' marks a kernel's answer to a call, not a check");
			if (i + 1 >= n || t[i + 1].kind != TOK_STR || !t[i + 1].len ||
			    memchr(t[i + 1].text, '\0', t[i + 1].len) || strpbrk(t[i + 1].text, "\n\r\t"))
				return perr(p, t[i].col, "usage: ANSWER bug \"FIX (a commit or report URL)\" [when COND]");
			alt->bug = strdup(t[i + 1].text);
			if (!alt->bug)
				return perr(p, t[i].col, "out of memory");
			i += 2;
		}
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
			return perr(p, t[i].col, "unexpected '%s' after the expected result (or, bug, when, |)",
				    tok_shown(&t[i]));
		}
		if (!alt->guard && i < n)
			return perr(p, t[i].col, "an alternative without 'when' must come last");
	} while (i < n && tok_is(&t[i], "|"));
	int bugs = 0, correct = 0;
	for (int k = 0; k < st->nalts; k++)
		st->alts[k].bug ? bugs++ : correct++;
	if (bugs && !correct)   /* the fixed kernels' answer is what "fixed" is told by */
		return perr(p, t[first].col, "a 'bug' answer needs the correct answer as another alternative");
	return 0;
}
