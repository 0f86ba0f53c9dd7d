/* expr: integer expressions over values captured while the steps run, the
 * conditions of `check` and `if`:
 *
 *   check p in 40000..40007        check q == p + 1
 *   if n >= 8 and r == EADDRINUSE  if not (a == 1 or b == 2)
 *
 * Parsed once into a tree that names variables by slot; evaluated each time
 * the step runs. Static guards over kernel and variants are parse_cond.c's,
 * not this. */
#ifndef NETREPRO_EXPR_H
#define NETREPRO_EXPR_H

struct parser;
struct token;
struct expr;                    /* opaque tree */

#define EXPR_MAX_DEPTH 64       /* nested '(', `not` and unary '-' */
#define EXPR_MAX_TERMS 4096     /* nodes in one tree; also bounds its height */

/* Parses t[*i] up to t[end] (exclusive) into *out and moves *i past it.
 *
 * Operands: decimal or 0x numbers, errno names (EADDRINUSE, exact case),
 * integer variables by name or as $name. Operators, loosest first: `or`;
 * `and`; `not`; one comparison (== != < <= > >=) or `X in A..B` (inclusive,
 * A and B additive expressions); + -; * / %; unary -; parentheses. Words
 * are split at + - * / %, so `p+1` is p + 1; `..` splits a word only in the
 * bounds after `in`.
 *
 * Parsing stops before the first token that cannot continue the expression
 * (a bare `=`, `when`, a ')' never opened ...): the caller checks *i == end.
 * On error *out is NULL, *i is unchanged, and "FILE:LINE:COL: message" is in
 * p->err (perr()): an undefined name, a socket variable, a missing operand,
 * an unclosed '(', chained comparisons, nesting beyond EXPR_MAX_DEPTH, more
 * than EXPR_MAX_TERMS nodes, no memory. Returns 0 or -1. */
int expr_parse(struct parser *p, const struct token *t, int *i, int end, struct expr **out);

/* The value of e, vals[slot] standing for each variable; comparisons and
 * logic give 0 or 1, and `and`/`or` skip their right side when the left one
 * decides (so `d != 0 and n / d > 2` is safe). Division or modulo by zero
 * and overflow of + - * / or unary - return 0 and set *err = 1; otherwise
 * *err is left as it was. */
long expr_eval(const struct expr *e, const long *vals, int *err);

void expr_free(struct expr *e); /* NULL-safe */

#endif
