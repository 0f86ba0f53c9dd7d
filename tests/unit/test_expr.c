/* Unit tests for runner/lang/expr.c: the integer expressions of `check` and
 * `if`. Lines are lexed with the real lexer (lex_line) so that the splitting
 * of words like `p+1` and `40000..40007` is tested as a case file spells
 * them; errors are checked by their "FILE:LINE:COL: " prefix and message. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "parse_int.h"

/* The scenario's variables, by slot, and their values at evaluation. */
static const struct var vars[] = {
	{ "p", VAR_INT }, { "q", VAR_INT }, { "s", VAR_SOCK }, { "n", VAR_INT },
	{ "r", VAR_INT }, { "lo", VAR_INT }, { "hi", VAR_INT }, { "z", VAR_INT },
};
static const long vals[] = { 40003, 40004, 3, 8, EADDRINUSE, 40000, 40007, 0 };

struct px {
	struct scenario sc;
	struct var vars[sizeof vars / sizeof *vars];
	struct parser p;
	char err[CASE_ERRLEN];
	struct line_toks lt;
};

static void px_init(struct px *c, const char *text)
{
	int col = 0;
	char msg[CASE_ERRLEN];
	memset(c, 0, sizeof *c);
	memcpy(c->vars, vars, sizeof vars);
	c->sc.vars = c->vars;
	c->sc.nvars = (int)(sizeof vars / sizeof *vars);
	c->p = (struct parser){ .file = "t.case", .line = 7, .sc = &c->sc, .err = c->err, .host = 0 };
	if (lex_line(text, NULL, &c->lt, &col, msg, sizeof msg) < 0)
		fail_msg("cannot lex \"%.60s\": %d: %s", text, col, msg);
}

/* Parses tokens [0, end) of text (end < 0: all); *stop gets where it stopped. */
static struct expr *parse_part(const char *text, int end, int *stop, char *err)
{
	struct px c;
	px_init(&c, text);
	struct expr *e = (struct expr *)&c;     /* must be overwritten */
	int i = 0;
	int rc = expr_parse(&c.p, c.lt.t, &i, end < 0 ? c.lt.n : end, &e);
	if (rc == 0 && !e)
		fail_msg("expr_parse(\"%.60s\") returned 0 without a tree", text);
	if (rc < 0 && (e || i != 0))
		fail_msg("expr_parse(\"%.60s\") failed but left *out or *i set", text);
	if (rc < 0 && strncmp(c.err, "t.case:7:", 9))
		fail_msg("expr_parse(\"%.60s\") failed without a message: '%s'", text, c.err);
	*stop = i;
	if (err)
		strcpy(err, c.err);
	lex_free(&c.lt);
	return e;
}

static int ntokens(const char *text)
{
	struct px c;
	px_init(&c, text);
	int n = c.lt.n;
	lex_free(&c.lt);
	return n;
}

/* The value of text, which must parse whole and evaluate without error. */
static long ev(const char *text)
{
	char err[CASE_ERRLEN];
	int stop;
	struct expr *e = parse_part(text, -1, &stop, err);
	if (!e)
		fail_msg("cannot parse \"%s\": %s", text, err);
	if (stop != ntokens(text))
		fail_msg("\"%s\": stopped at token %d", text, stop);
	int bad = 0;
	long v = expr_eval(e, vals, &bad);
	expr_free(e);
	if (bad)
		fail_msg("\"%s\": eval error", text);
	return v;
}

/* text must fail with "t.case:7:COL: " and a message holding want. */
static void bad(const char *text, int col, const char *want)
{
	char err[CASE_ERRLEN], prefix[32];
	int stop;
	struct expr *e = parse_part(text, -1, &stop, err);
	if (e) {
		expr_free(e);
		fail_msg("\"%.60s\" parsed", text);
	}
	snprintf(prefix, sizeof prefix, "t.case:7:%d: ", col);
	if (strncmp(err, prefix, strlen(prefix)) || !strstr(err, want))
		fail_msg("\"%.60s\": got '%s', want '%s...%s'", text, err, prefix, want);
}

/* ---- values and operators ---- */

static void test_literals(void **state)
{
	(void)state;
	assert_int_equal(ev("42"), 42);
	assert_int_equal(ev("0"), 0);
	assert_int_equal(ev("0x10"), 16);
	assert_int_equal(ev("0XfF"), 255);
	assert_int_equal(ev("-5"), -5);
	assert_int_equal(ev("- 5"), -5);
	assert_int_equal(ev("-0x10"), -16);
	assert_int_equal(ev("--5"), 5);
	assert_int_equal(ev("- -5"), 5);
	assert_int_equal(ev("-(2)"), -2);
	assert_true(ev("9223372036854775807") == LONG_MAX);
	assert_true(ev("-9223372036854775808") == LONG_MIN);
	assert_true(ev("-0x8000000000000000") == LONG_MIN);
}

static void test_arithmetic(void **state)
{
	(void)state;
	assert_int_equal(ev("2 + 3"), 5);
	assert_int_equal(ev("2 - 3"), -1);
	assert_int_equal(ev("6 * 7"), 42);
	assert_int_equal(ev("7 / 2"), 3);
	assert_int_equal(ev("-7 / 2"), -3);     /* C: toward zero */
	assert_int_equal(ev("7 % 3"), 1);
	assert_int_equal(ev("-7 % 2"), -1);
	assert_int_equal(ev("7 / -1"), -7);
	assert_int_equal(ev("7 % -1"), 0);
	assert_int_equal(ev("-p"), -40003);
	assert_int_equal(ev("-(p - q)"), 1);
}

static void test_comparisons(void **state)
{
	(void)state;
	static const struct { const char *text; long want; } cases[] = {
		{ "1 == 1", 1 }, { "1 == 2", 0 }, { "1 != 2", 1 }, { "1 != 1", 0 },
		{ "1 < 2", 1 }, { "2 < 2", 0 }, { "2 <= 2", 1 }, { "3 <= 2", 0 },
		{ "3 > 2", 1 }, { "2 > 2", 0 }, { "2 >= 2", 1 }, { "1 >= 2", 0 },
		{ "-1 < 0", 1 }, { "p<q", 1 }, { "q>=p", 1 }, { "p==q", 0 },
		{ "1 and 1", 1 }, { "1 and 0", 0 }, { "0 and 1", 0 }, { "2 and -1", 1 },
		{ "0 or 0", 0 }, { "0 or 7", 1 }, { "not 0", 1 }, { "not 5", 0 },
		{ "not not 5", 1 },
	};
	for (size_t k = 0; k < sizeof cases / sizeof *cases; k++)
		if (ev(cases[k].text) != cases[k].want)
			fail_msg("\"%s\" = %ld, want %ld", cases[k].text, ev(cases[k].text), cases[k].want);
}

static void test_precedence(void **state)
{
	(void)state;
	assert_int_equal(ev("1 + 2 * 3 == 7"), 1);
	assert_int_equal(ev("1 + 2 * 3"), 7);
	assert_int_equal(ev("(1 + 2) * 3"), 9);
	assert_int_equal(ev("1 - 2 - 3"), -4);          /* left to right */
	assert_int_equal(ev("24 / 4 / 2"), 3);
	assert_int_equal(ev("2 * 7 % 4"), 2);           /* (2 * 7) % 4 */
	assert_int_equal(ev("-2 * 3"), -6);
	assert_int_equal(ev("not 1 == 2 or 0"), 1);     /* (not (1 == 2)) or 0 */
	assert_int_equal(ev("not 1 == 1 or 0"), 0);
	assert_int_equal(ev("1 or 0 and 0"), 1);        /* and binds tighter */
	assert_int_equal(ev("(1 or 0) and 0"), 0);
	assert_int_equal(ev("not 0 and 0"), 0);         /* not binds tighter than and */
	assert_int_equal(ev("not (0 and 0)"), 1);
	assert_int_equal(ev("not (p == 1 or q == 2)"), 1);
	assert_int_equal(ev("not (p == 40003 or q == 2)"), 0);
	assert_int_equal(ev("n >= 8 and r == EADDRINUSE"), 1);
	assert_int_equal(ev("n >= 9 and r == EADDRINUSE"), 0);
	assert_int_equal(ev("((((1))))"), 1);
}

static void test_ranges(void **state)
{
	(void)state;
	assert_int_equal(ev("p in 40000..40007"), 1);
	assert_int_equal(ev("p in 40004..40007"), 0);
	assert_int_equal(ev("p in 40000..40002"), 0);
	assert_int_equal(ev("p in 40003..40003"), 1);   /* inclusive */
	assert_int_equal(ev("p in 40000 .. 40007"), 1);
	assert_int_equal(ev("p in 40000.. 40007"), 1);
	assert_int_equal(ev("p in 40000 ..40007"), 1);
	assert_int_equal(ev("p in $lo..$hi"), 1);
	assert_int_equal(ev("p in lo..hi"), 1);
	assert_int_equal(ev("q in p..p"), 0);
	assert_int_equal(ev("q in p+1..p+1"), 1);
	assert_int_equal(ev("p in 0x9c40..0x9c47"), 1);
	assert_int_equal(ev("-3 in -5..-1"), 1);
	assert_int_equal(ev("0 in -5..-1"), 0);
	assert_int_equal(ev("p + 1 in 40004..40004"), 1);       /* + binds tighter */
	assert_int_equal(ev("p in (lo)..(hi)"), 1);
	assert_int_equal(ev("not p in 1..2"), 1);
	assert_int_equal(ev("(p in 1..2) == 0"), 1);
	assert_int_equal(ev("p in 40000..40007 and q in 40000..40007"), 1);
	assert_int_equal(ev("5 in 7..3"), 0);                   /* empty range */
}

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(ev("r == EADDRINUSE"), 1);
	assert_int_equal(ev("EADDRINUSE"), EADDRINUSE);
	assert_int_equal(ev("EAGAIN == EWOULDBLOCK"), 1);
	assert_int_equal(ev("ECONNREFUSED"), ECONNREFUSED);
	assert_int_equal(ev("$p"), 40003);
	assert_int_equal(ev("$p == p"), 1);
	assert_int_equal(ev("q == p + 1"), 1);
	assert_int_equal(ev("q == $p+1"), 1);
	assert_int_equal(ev("p+1 == q"), 1);
	assert_int_equal(ev("p+1==q"), 1);
	assert_int_equal(ev("p%2 == 1"), 1);
	assert_int_equal(ev("p % 2 == 0"), 0);
	assert_int_equal(ev("p*2-q"), 40002);
	assert_int_equal(ev("q-p"), 1);
	assert_int_equal(ev("$q-$p"), 1);
	assert_int_equal(ev("q/2"), 20002);
	assert_int_equal(ev("p+-1"), 40002);
	assert_int_equal(ev("2*-3"), -6);
	assert_int_equal(ev("z"), 0);
}

/* One tree, many values: what a `for` loop does with `check p % 2 == 0`. */
static void test_eval_per_values(void **state)
{
	(void)state;
	char err[CASE_ERRLEN];
	int stop, even = 0;
	struct expr *e = parse_part("p % 2 == 0 and p in lo..hi", -1, &stop, err);
	assert_non_null(e);
	for (long v = 39990; v < 40020; v++) {
		long vv[sizeof vals / sizeof *vals];
		memcpy(vv, vals, sizeof vv);
		vv[0] = v;
		int bad = 0;
		long got = expr_eval(e, vv, &bad);
		assert_int_equal(bad, 0);
		assert_int_equal(got, v % 2 == 0 && v >= 40000 && v <= 40007);
		even += (int)got;
	}
	assert_int_equal(even, 4);
	expr_free(e);
}

/* ---- where parsing stops ---- */

static void test_trailing_left_to_caller(void **state)
{
	(void)state;
	static const struct { const char *text; int stop; } cases[] = {
		{ "n = 8", 1 },                 /* the old `check n = 8`: the caller's */
		{ "p == 1 )", 3 },
		{ "1 + 2) * 3", 3 },
		{ "n == 8 when x", 3 },
		{ "p in 1..5 , 3", 3 },
		{ "r == EADDRINUSE | 0", 3 },
		{ "p \"x\"", 1 },
		{ "p q", 1 },
	};
	for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
		int stop = -1;
		char err[CASE_ERRLEN];
		struct expr *e = parse_part(cases[k].text, -1, &stop, err);
		if (!e)
			fail_msg("\"%s\": %s", cases[k].text, err);
		expr_free(e);
		if (stop != cases[k].stop)
			fail_msg("\"%s\": stopped at %d, want %d", cases[k].text, stop, cases[k].stop);
	}
}

static void test_end_bounds_parse(void **state)
{
	(void)state;
	int stop;
	char err[CASE_ERRLEN];
	/* tokens: p == 1 + 2 -> only [0, 3) is ours */
	struct expr *e = parse_part("p == 40003 + 2", 3, &stop, err);
	assert_non_null(e);
	assert_int_equal(stop, 3);
	int bad = 0;
	assert_int_equal(expr_eval(e, vals, &bad), 1);
	expr_free(e);
	/* a '(' cut off by end misses its operand */
	assert_null(parse_part("p == ( 1 )", 3, &stop, err));
	assert_non_null(strstr(err, "t.case:7:7: missing operand after '('"));
}

/* ---- errors, with their columns ---- */

static void test_errors_names(void **state)
{
	(void)state;
	bad("p == zz", 6, "unknown name 'zz'");
	bad("$zz == 1", 1, "undefined variable '$zz'");
	bad("q == $zz+1", 6, "undefined variable '$zz'");
	bad("p+zz", 3, "unknown name 'zz'");
	bad("s == 1", 1, "'s' is a socket, not a number");
	bad("p == $s", 6, "'$s' is a socket");
	bad("eaddrinuse", 1, "unknown name 'eaddrinuse'");  /* errno names: exact case */
	bad("$", 1, "undefined variable '$'");
	bad("a:eth0 == 1", 1, "bad value 'a:eth0'");
	bad("p == 10.0.0.1", 6, "bad number '10.0.0.1'");
	bad("0x", 1, "bad number '0x'");
	bad("1e3", 1, "bad number '1e3'");
	bad("99999999999999999999", 1, "bad number");
	bad("-9223372036854775809", 1, "bad number '-9223372036854775809'");
	bad("p == 40000..40007", 6, "'..' makes a range only after 'in'");
	bad("x_very_long_name_that_goes_on_and_on_well_past_sixty_four_characters_x", 1,
	    "is too long");
}

static void test_errors_syntax(void **state)
{
	(void)state;
	bad("p +", 4, "missing operand after '+'");
	bad("p+", 3, "missing operand after '+'");
	bad("p ==", 5, "missing operand after '=='");
	bad("not", 4, "missing operand after 'not'");
	bad("p in", 5, "missing operand after 'in'");
	bad("p in 1..", 9, "missing operand after '..'");
	bad("", 1, "expected an expression");
	bad("p + * 2", 5, "got '*'");
	bad("p * / 2", 5, "got '/'");
	bad("()", 2, "got ')'");
	bad("p == and", 6, "got 'and'");
	bad("p == in", 6, "got 'in'");
	bad("1 + not 0", 5, "got 'not'");
	bad("p + = 8", 5, "got '='");
	bad("p == \"x\"", 6, "expected a number, not a string");
	bad("(p == 1", 8, "expected ')' to close the '(' at column 1");
	bad("p == (1 + 2", 12, "expected ')' to close the '(' at column 6");
	bad("((1)", 5, "expected ')' to close the '(' at column 1");
	bad("(1 2)", 4, "expected ')' to close the '(' at column 1");
	bad("(n = 8)", 4, "expected ')'");
	bad("1 < 2 < 3", 7, "comparisons do not chain");
	bad("p in 1..5 == 1", 11, "comparisons do not chain");
	bad("p == 1 in 0..1", 8, "comparisons do not chain");
	bad("p in 5", 7, "expected '..'");
	bad("p in 1..5..7", 10, "unexpected '..7'");
	bad("(p in 1..5..7)", 11, "expected ')'");
}

static char *repeat(const char *head, const char *unit, int n, const char *mid, const char *tail, int m)
{
	size_t len = strlen(head) + strlen(unit) * (size_t)n + strlen(mid) + strlen(tail) * (size_t)m + 1;
	char *s = malloc(len), *w = s;
	assert_non_null(s);
	w = stpcpy(w, head);
	for (int k = 0; k < n; k++)
		w = stpcpy(w, unit);
	w = stpcpy(w, mid);
	for (int k = 0; k < m; k++)
		w = stpcpy(w, tail);
	return s;
}

/* A hostile file: nesting fails cleanly at the limit, not with the stack. */
static void test_errors_depth(void **state)
{
	(void)state;
	char *s = repeat("", "(", 10000, "1", ")", 10000);
	bad(s, EXPR_MAX_DEPTH + 1, "nested too deeply");
	free(s);
	s = repeat("", "not ", 10000, "1", "", 0);
	bad(s, 4 * EXPR_MAX_DEPTH + 1, "nested too deeply");
	free(s);
	s = repeat("", "-", 10000, "1", "", 0);
	bad(s, EXPR_MAX_DEPTH + 1, "nested too deeply");
	free(s);
	s = repeat("", "( not -", 5000, "1", ")", 5000);
	bad(s, 7 * 21 + 3, "nested too deeply");       /* the 65th level: the 22nd `not` */
	free(s);
	/* at the limit it still parses */
	s = repeat("", "(", EXPR_MAX_DEPTH, "7", ")", EXPR_MAX_DEPTH);
	assert_int_equal(ev(s), 7);
	free(s);
}

static void test_errors_terms(void **state)
{
	(void)state;
	char *s = repeat("1", "+1", 1999, "", "", 0);
	assert_int_equal(ev(s), 2000);
	free(s);
	s = repeat("1", " + 1", 1999, "", "", 0);
	assert_int_equal(ev(s), 2000);
	free(s);
	s = repeat("1", "+1", 9999, "", "", 0);   /* one word of 20,000 bytes */
	bad(s, 2 * 2048, "expression too long (more than 4096 terms)");  /* node 4097: the 2048th '+' */
	free(s);
	s = repeat("1", " or 1", 9999, "", "", 0);
	bad(s, 5 * 2047 + 3, "expression too long");
	free(s);
}

/* ---- evaluation errors ---- */

static long ev_err(const char *text, int *bad)
{
	char err[CASE_ERRLEN];
	int stop;
	struct expr *e = parse_part(text, -1, &stop, err);
	if (!e)
		fail_msg("cannot parse \"%s\": %s", text, err);
	long v = expr_eval(e, vals, bad);
	expr_free(e);
	return v;
}

static void test_eval_errors(void **state)
{
	(void)state;
	static const char *const fails[] = {
		"p / 0", "p % 0", "p / z", "p % (q - q)", "1 + p / 0", "p / 0 == 0",
		"not p / 0", "1 and p % z", "0 or p / 0", "p / 0 in 0..1", "0 in p/0..1",
		"9223372036854775807 + 1", "-9223372036854775808 - 1",
		"4611686018427387904 * 2", "-9223372036854775808 * -1",
		"-(-9223372036854775808)", "-9223372036854775808 / -1",
		"(9223372036854775807 + 1) * 0",
	};
	for (size_t k = 0; k < sizeof fails / sizeof *fails; k++) {
		int err = 0;
		long v = ev_err(fails[k], &err);
		if (err != 1 || v != 0)
			fail_msg("\"%s\": got %ld, err %d; want 0, err 1", fails[k], v, err);
	}
	/* the side `and`/`or` do not need is not evaluated */
	int err = 0;
	assert_int_equal(ev_err("z != 0 and p / z > 2", &err), 0);
	assert_int_equal(ev_err("z == 0 or p / z > 2", &err), 1);
	assert_true(ev_err("-9223372036854775808 % -1", &err) == 0);
	assert_true(ev_err("-9223372036854775807 - 1", &err) == LONG_MIN);
	assert_int_equal(err, 0);
	/* success leaves *err as it was: errors of several evaluations add up */
	err = 1;
	assert_int_equal(ev_err("1 + 1", &err), 2);
	assert_int_equal(err, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literals),
		cmocka_unit_test(test_arithmetic),
		cmocka_unit_test(test_comparisons),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_eval_per_values),
		cmocka_unit_test(test_trailing_left_to_caller),
		cmocka_unit_test(test_end_bounds_parse),
		cmocka_unit_test(test_errors_names),
		cmocka_unit_test(test_errors_syntax),
		cmocka_unit_test(test_errors_depth),
		cmocka_unit_test(test_errors_terms),
		cmocka_unit_test(test_eval_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
