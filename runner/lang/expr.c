/* Integer expressions of `check` and `if`: a recursive-descent parser over
 * the line's tokens, and the evaluator of the tree it builds. */
#include "expr.h"
#include "parse_int.h"
#include "registry.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

enum ex_kind {
	EX_NUM, EX_VAR, EX_NEG, EX_NOT,
	EX_ADD, EX_SUB, EX_MUL, EX_DIV, EX_MOD,
	EX_EQ, EX_NE, EX_LT, EX_LE, EX_GT, EX_GE,
	EX_AND, EX_OR, EX_IN,
};

struct expr {
	enum ex_kind kind;
	long val;                   /* EX_NUM */
	int slot;                   /* EX_VAR */
	struct expr *a, *b, *c;     /* operands; EX_IN: a in b..c */
};

/* The lexer keeps `p+1` and `40000..40007` one word, so the parser reads
 * lexemes: whole tokens, or the pieces of a word. */
enum lx_kind {
	LX_END,         /* no token left before `end` */
	LX_PUNCT,       /* ( ) == != < <= > >= = , | */
	LX_STR,         /* a "string" */
	LX_OP,          /* one of + - * / % inside a word */
	LX_DOTS,        /* `..`, in the bounds of `in` only */
	LX_OPERAND,     /* the rest of a word: a number, a name, a keyword */
};

struct lexeme {
	enum lx_kind kind;
	const char *s;  /* n bytes, not NUL-terminated when part of a word */
	size_t n;
	int col;
	int whole;      /* the whole token: only a whole word is a keyword */
};

struct ep {
	struct parser *p;
	const struct token *t;
	int i, end;
	size_t off;             /* into t[i].text, after a split */
	int range;              /* reading the bounds of `in`: `..` ends an operand */
	int depth, terms;
	struct lexeme last;     /* the last one read, for "after 'X'" */
	int any;                /* something was read */
};

enum level { L_OR, L_AND, L_NOT, L_CMP, L_ADD, L_MUL, L_UNARY };

static const struct binop {
	enum level level;
	const char *text;
	enum ex_kind kind;
} binops[] = {
	{ L_OR, "or", EX_OR }, { L_AND, "and", EX_AND },
	{ L_CMP, "==", EX_EQ }, { L_CMP, "!=", EX_NE }, { L_CMP, "<", EX_LT },
	{ L_CMP, "<=", EX_LE }, { L_CMP, ">", EX_GT }, { L_CMP, ">=", EX_GE },
	{ L_ADD, "+", EX_ADD }, { L_ADD, "-", EX_SUB },
	{ L_MUL, "*", EX_MUL }, { L_MUL, "/", EX_DIV }, { L_MUL, "%", EX_MOD },
};

static const char *const keywords[] = { "or", "and", "not", "in" };

static int is_opchar(char c)
{
	return c && strchr("+-*/%", c);
}

static void word_piece(const struct ep *ep, const char *w, struct lexeme *lx)
{
	if (is_opchar(*w)) {
		lx->kind = LX_OP;
		lx->n = 1;
	} else if (ep->range && w[0] == '.' && w[1] == '.') {
		lx->kind = LX_DOTS;
		lx->n = 2;
	} else {
		size_t n = 0;
		while (w[n] && !is_opchar(w[n]) && !(ep->range && w[n] == '.' && w[n + 1] == '.'))
			n++;
		lx->kind = LX_OPERAND;
		lx->n = n;
	}
}

static struct lexeme peek(const struct ep *ep)
{
	struct lexeme lx = { LX_END, "", 0, 0, 0 };
	if (ep->i >= ep->end) {
		lx.col = ep->any ? ep->last.col + (int)ep->last.n : ep->t[ep->end].col;
		return lx;
	}
	const struct token *tok = &ep->t[ep->i];
	lx.s = tok->text + ep->off;
	lx.col = tok->col + (int)ep->off;
	if (tok->kind == TOK_WORD) {
		word_piece(ep, lx.s, &lx);
		lx.whole = !ep->off && lx.n == tok->len;
		return lx;
	}
	lx.kind = tok->kind == TOK_STR ? LX_STR : LX_PUNCT;
	lx.n = tok->len;
	lx.whole = 1;
	return lx;
}

static void advance(struct ep *ep, const struct lexeme *lx)
{
	if (lx->kind == LX_END)
		return;
	ep->last = *lx;
	ep->any = 1;
	if (lx->kind == LX_STR)
		ep->last.n += 2;    /* the quotes, for the column after it */
	if (ep->t[ep->i].kind != TOK_WORD || ep->off + lx->n >= ep->t[ep->i].len) {
		ep->i++;
		ep->off = 0;
	} else {
		ep->off += lx->n;
	}
}

static int lx_is(const struct lexeme *lx, const char *text)
{
	int can = lx->kind == LX_OP || lx->kind == LX_PUNCT || (lx->kind == LX_OPERAND && lx->whole);
	return can && lx->n == strlen(text) && !memcmp(lx->s, text, lx->n);
}

static int is_keyword(const struct lexeme *lx)
{
	for (size_t k = 0; k < sizeof keywords / sizeof *keywords; k++)
		if (lx_is(lx, keywords[k]))
			return 1;
	return 0;
}

static const struct binop *find_binop(enum level level, const struct lexeme *lx)
{
	for (size_t k = 0; k < sizeof binops / sizeof *binops; k++)
		if (binops[k].level == level && lx_is(lx, binops[k].text))
			return &binops[k];
	return NULL;
}

/* A new node owning a and b; on failure a and b are freed. The count of
 * nodes bounds the tree's height, and so the recursion of eval and free. */
static struct expr *node(struct ep *ep, enum ex_kind kind, struct expr *a, struct expr *b, int col)
{
	struct expr *e = NULL;
	if (++ep->terms > EXPR_MAX_TERMS)
		perr(ep->p, col, "expression too long (more than %d terms)", EXPR_MAX_TERMS);
	else if (!(e = calloc(1, sizeof *e)))
		perr(ep->p, col, "out of memory");
	if (!e) {
		expr_free(a);
		expr_free(b);
		return NULL;
	}
	e->kind = kind;
	e->a = a;
	e->b = b;
	return e;
}

/* One level deeper for '(', `not` or unary '-': a hostile file may nest
 * thousands, and each level costs a dozen stack frames. */
static int enter(struct ep *ep, const struct lexeme *lx)
{
	if (++ep->depth <= EXPR_MAX_DEPTH)
		return 0;
	return perr(ep->p, lx->col, "expression nested too deeply (more than %d levels)", EXPR_MAX_DEPTH);
}

static struct expr *parse_level(struct ep *ep, enum level level);

static struct expr *no_value(struct ep *ep, const struct lexeme *lx)
{
	if (lx->kind == LX_END && ep->any)
		perr(ep->p, lx->col, "missing operand after '%.*s'", (int)ep->last.n, ep->last.s);
	else if (lx->kind == LX_END)
		perr(ep->p, lx->col, "expected an expression");
	else if (lx->kind == LX_STR)
		perr(ep->p, lx->col, "expected a number, not a string");
	else
		perr(ep->p, lx->col, "expected a number, a captured variable or an errno name, got '%.*s'",
		     (int)lx->n, lx->s);
	return NULL;
}

static struct expr *leaf(struct ep *ep, enum ex_kind kind, long val, int slot, int col)
{
	struct expr *e = node(ep, kind, NULL, NULL, col);
	if (e) {
		e->val = val;
		e->slot = slot;
	}
	return e;
}

static struct expr *number(struct ep *ep, const char *text, int col)
{
	long v;
	if (!parse_long(text, LONG_MIN, LONG_MAX, &v))
		return leaf(ep, EX_NUM, v, 0, col);
	if (strstr(text, ".."))
		perr(ep->p, col, "'..' makes a range only after 'in' (X in LOW..HIGH), in '%s'", text);
	else
		perr(ep->p, col, "bad number '%s'", text);
	return NULL;
}

static int errno_value(const char *name, long *out)
{
	for (const struct name_val *e = tbl_errno; e->name; e++)
		if (!strcmp(e->name, name)) {
			*out = e->val;
			return 0;
		}
	return -1;
}

/* name: a variable (written as name or $name), else an errno name. */
static struct expr *named(struct ep *ep, const char *name, int dollar, int col)
{
	const char *shown = name - dollar;
	int v = var_find(ep->p->sc, name);
	long val;
	if (v >= 0 && ep->p->sc->vars[v].kind == VAR_INT)
		return leaf(ep, EX_VAR, 0, v, col);
	if (v >= 0)
		perr(ep->p, col, "'%s' is a socket, not a number", shown);
	else if (!dollar && !errno_value(name, &val))
		return leaf(ep, EX_NUM, val, 0, col);
	else if (dollar)
		perr(ep->p, col, "undefined variable '%s'", shown);
	else
		perr(ep->p, col, "unknown name '%s' (not a captured number or an errno name)", shown);
	return NULL;
}

/* neg: a '-' came just before a number, which is read with it so that
 * LONG_MIN can be written. */
static struct expr *operand(struct ep *ep, const struct lexeme *lx, int neg)
{
	static const char ident[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";
	char buf[CASE_NAME + 2];
	if (lx->n >= CASE_NAME) {
		perr(ep->p, lx->col, "'%.*s...' is too long for a value", 32, lx->s);
		return NULL;
	}
	memcpy(buf, "-", (size_t)neg);
	memcpy(buf + neg, lx->s, lx->n);
	buf[neg + (int)lx->n] = '\0';
	if (isdigit((unsigned char)lx->s[0]))
		return number(ep, buf, lx->col - neg);
	int dollar = lx->s[0] == '$';
	if (strspn(buf + dollar, ident) == lx->n - (size_t)dollar && !isdigit((unsigned char)buf[dollar]))
		return named(ep, buf + dollar, dollar, lx->col);
	perr(ep->p, lx->col, "bad value '%s' (want a number, a captured variable or an errno name)", buf);
	return NULL;
}

static struct expr *parse_paren(struct ep *ep, const struct lexeme *open)
{
	if (enter(ep, open) < 0)
		return NULL;
	advance(ep, open);
	int range = ep->range;
	ep->range = 0;
	struct expr *e = parse_level(ep, L_OR);
	ep->range = range;
	ep->depth--;
	if (!e)
		return NULL;
	struct lexeme lx = peek(ep);
	if (lx_is(&lx, ")")) {
		advance(ep, &lx);
		return e;
	}
	expr_free(e);
	perr(ep->p, lx.col, "expected ')' to close the '(' at column %d", open->col);
	return NULL;
}

static struct expr *parse_primary(struct ep *ep)
{
	struct lexeme lx = peek(ep);
	if (lx_is(&lx, "("))
		return parse_paren(ep, &lx);
	if (lx.kind != LX_OPERAND || is_keyword(&lx) || !lx.n)
		return no_value(ep, &lx);
	advance(ep, &lx);
	return operand(ep, &lx, 0);
}

static struct expr *parse_unary(struct ep *ep)
{
	struct lexeme minus = peek(ep), lx;
	if (!lx_is(&minus, "-"))
		return parse_primary(ep);
	if (enter(ep, &minus) < 0)
		return NULL;
	advance(ep, &minus);
	struct expr *e;
	lx = peek(ep);
	if (lx.kind == LX_OPERAND && isdigit((unsigned char)lx.s[0])) {
		advance(ep, &lx);
		e = operand(ep, &lx, 1);
	} else {
		e = parse_unary(ep);
		e = e ? node(ep, EX_NEG, e, NULL, minus.col) : NULL;
	}
	ep->depth--;
	return e;
}

static struct expr *parse_not(struct ep *ep)
{
	struct lexeme lx = peek(ep);
	if (!lx_is(&lx, "not"))
		return parse_level(ep, L_CMP);
	if (enter(ep, &lx) < 0)
		return NULL;
	advance(ep, &lx);
	struct expr *e = parse_not(ep);
	ep->depth--;
	return e ? node(ep, EX_NOT, e, NULL, lx.col) : NULL;
}

/* level := next (op next)*, left-nested: 1 - 2 - 3 is (1 - 2) - 3 */
static struct expr *parse_binary(struct ep *ep, enum level level)
{
	struct expr *l = parse_level(ep, level + 1);
	while (l) {
		struct lexeme lx = peek(ep);
		const struct binop *op = find_binop(level, &lx);
		if (!op)
			break;
		advance(ep, &lx);
		struct expr *r = parse_level(ep, level + 1);
		if (!r) {
			expr_free(l);
			return NULL;
		}
		l = node(ep, op->kind, l, r, lx.col);
	}
	return l;
}

/* X in LOW..HIGH, with `in` read already */
static struct expr *parse_in(struct ep *ep, struct expr *x, const struct lexeme *in)
{
	int range = ep->range;
	ep->range = 1;
	struct expr *lo = parse_level(ep, L_ADD), *hi = NULL;
	struct lexeme lx = peek(ep);
	if (lo && lx.kind != LX_DOTS) {
		perr(ep->p, lx.col, "expected '..' after the low bound of 'in' (X in LOW..HIGH)");
	} else if (lo) {
		advance(ep, &lx);
		hi = parse_level(ep, L_ADD);
	}
	ep->range = range;
	if (!hi) {
		expr_free(x);
		expr_free(lo);
		return NULL;
	}
	struct expr *e = node(ep, EX_IN, x, lo, in->col);
	if (e)
		e->c = hi;
	else
		expr_free(hi);
	return e;
}

/* cmp := add [CMPOP add | 'in' add..add]; one only, as `1 < x < 3` would
 * not mean what it says. */
static struct expr *parse_cmp(struct ep *ep)
{
	struct expr *e = parse_level(ep, L_ADD);
	if (!e)
		return NULL;
	struct lexeme lx = peek(ep);
	const struct binop *op = find_binop(L_CMP, &lx);
	if (lx_is(&lx, "in")) {
		advance(ep, &lx);
		e = parse_in(ep, e, &lx);
	} else if (op) {
		advance(ep, &lx);
		struct expr *r = parse_level(ep, L_ADD);
		if (!r) {
			expr_free(e);
			return NULL;
		}
		e = node(ep, op->kind, e, r, lx.col);
	}
	if (!e)
		return NULL;
	lx = peek(ep);
	if (!find_binop(L_CMP, &lx) && !lx_is(&lx, "in"))
		return e;
	expr_free(e);
	perr(ep->p, lx.col, "comparisons do not chain: join them with 'and'");
	return NULL;
}

static struct expr *parse_level(struct ep *ep, enum level level)
{
	switch (level) {
	case L_NOT:
		return parse_not(ep);
	case L_CMP:
		return parse_cmp(ep);
	case L_UNARY:
		return parse_unary(ep);
	default:
		return parse_binary(ep, level);
	}
}

int expr_parse(struct parser *p, const struct token *t, int *i, int end, struct expr **out)
{
	struct ep ep = { .p = p, .t = t, .i = *i, .end = end };
	struct expr *e = parse_level(&ep, L_OR);
	*out = NULL;
	if (e && ep.off) {
		/* stopped inside a word ("1..5..7"): *i cannot say where */
		struct lexeme lx = peek(&ep);
		perr(p, lx.col, "unexpected '%s'", ep.t[ep.i].text + ep.off);
		expr_free(e);
		return -1;
	}
	if (!e)
		return -1;
	*i = ep.i;
	*out = e;
	return 0;
}

/* Overflow sets *err: the result is not a number the case can trust. */
static long arith(enum ex_kind kind, long a, long b, int *err)
{
	long r = 0;
	switch (kind) {
	case EX_NEG:
		*err |= __builtin_sub_overflow(0L, a, &r);
		return r;
	case EX_ADD:
		*err |= __builtin_add_overflow(a, b, &r);
		return r;
	case EX_SUB:
		*err |= __builtin_sub_overflow(a, b, &r);
		return r;
	case EX_MUL:
		*err |= __builtin_mul_overflow(a, b, &r);
		return r;
	case EX_DIV:
	case EX_MOD:
		if (!b) {
			*err = 1;
			return 0;
		}
		if (b == -1)    /* LONG_MIN / -1 overflows; LONG_MIN % -1 traps on x86 */
			return kind == EX_MOD ? 0 : arith(EX_NEG, a, 0, err);
		return kind == EX_DIV ? a / b : a % b;
	default:
		return 0;
	}
}

static long compare(enum ex_kind kind, long a, long b)
{
	switch (kind) {
	case EX_EQ: return a == b;
	case EX_NE: return a != b;
	case EX_LT: return a < b;
	case EX_LE: return a <= b;
	case EX_GT: return a > b;
	default: return a >= b;
	}
}

static long eval(const struct expr *e, const long *vals, int *err)
{
	long a;
	switch (e->kind) {
	case EX_NUM:
		return e->val;
	case EX_VAR:
		return vals[e->slot];
	case EX_NOT:
		return !eval(e->a, vals, err);
	case EX_AND:
		return eval(e->a, vals, err) && eval(e->b, vals, err);
	case EX_OR:
		return eval(e->a, vals, err) || eval(e->b, vals, err);
	case EX_IN:
		a = eval(e->a, vals, err);
		return (eval(e->b, vals, err) <= a) & (a <= eval(e->c, vals, err));
	case EX_NEG:
		return arith(e->kind, eval(e->a, vals, err), 0, err);
	case EX_EQ: case EX_NE: case EX_LT: case EX_LE: case EX_GT: case EX_GE:
		a = eval(e->a, vals, err);
		return compare(e->kind, a, eval(e->b, vals, err));
	default:
		a = eval(e->a, vals, err);
		return arith(e->kind, a, eval(e->b, vals, err), err);
	}
}

long expr_eval(const struct expr *e, const long *vals, int *err)
{
	int bad = 0;
	long v = eval(e, vals, &bad);
	if (!bad)
		return v;
	*err = 1;
	return 0;
}

void expr_free(struct expr *e)
{
	if (!e)
		return;
	expr_free(e->a);
	expr_free(e->b);
	expr_free(e->c);
	free(e);
}
