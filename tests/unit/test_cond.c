/* Unit tests for runner/lang/cond.c (kernel versions, conditions) and
 * runner/exec/expect.c (which expectation applies, whether an outcome meets it,
 * how an outcome is shown). Conditions are parsed with the real parser
 * (parse_cond) so that precedence is tested as a case file spells it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "registry.h"
#include "parse_int.h"

/* ---- kver_parse / kver_cmp ---- */

static struct kver kv(const char *s)
{
	struct kver k;
	assert_int_equal(kver_parse(s, &k), 0);
	return k;
}

static void test_kver_parse_ok(void **state)
{
	(void)state;
	static const struct { const char *s; int v[3]; } ok[] = {
		{ "6", { 6, 0, 0 } },
		{ "6.1", { 6, 1, 0 } },
		{ "6.1.54", { 6, 1, 54 } },
		{ "6.12", { 6, 12, 0 } },
		{ "5.15.167", { 5, 15, 167 } },
		{ "0.0.0", { 0, 0, 0 } },
		{ "100000.1.2", { 100000, 1, 2 } },
	};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		struct kver k = { { -1, -1, -1 } };
		assert_int_equal(kver_parse(ok[i].s, &k), 0);
		assert_int_equal(k.v[0], ok[i].v[0]);
		assert_int_equal(k.v[1], ok[i].v[1]);
		assert_int_equal(k.v[2], ok[i].v[2]);
	}
}

static void test_kver_parse_garbage(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "abc", "v6.1", "-6.1", "+6", " 6.1", "6.1 ", "6.", "6..1", ".6",
		"6.x", "6.1x", "6.1-rc1", "6.1.2.3", "6.1.54+deb12", "6,1", "100001",
		"1.999999999999999999999", "6.1.",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct kver k;
		if (kver_parse(bad[i], &k) != -1)
			fail_msg("kver_parse accepted \"%s\"", bad[i]);
	}
}

static void test_kver_cmp_order(void **state)
{
	(void)state;
	/* ascending, each strictly below the next */
	static const char *const order[] = {
		"4.19", "5", "5.4.1", "5.15", "6.1", "6.1.1", "6.1.9", "6.1.10", "6.1.54",
		"6.2", "6.3", "6.10", "6.12", "6.12.117", "7",
	};
	size_t n = sizeof order / sizeof *order;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			struct kver a = kv(order[i]), b = kv(order[j]);
			int want = i < j ? -1 : i > j ? 1 : 0;
			if (kver_cmp(&a, &b) != want)
				fail_msg("kver_cmp(%s, %s) = %d, want %d", order[i], order[j],
					 kver_cmp(&a, &b), want);
		}
	struct kver a = kv("6.1"), b = kv("6.1.0"), c = kv("6");
	struct kver d = kv("6.0.0");
	assert_int_equal(kver_cmp(&a, &b), 0);
	assert_int_equal(kver_cmp(&c, &d), 0);
}

/* ---- parsing and evaluating conditions ---- */

struct pc {
	struct scenario sc;
	struct parser p;
	char err[CASE_ERRLEN];
	char *names[3], *values[3];
};

/* A parser whose scenario varies "a", "b" and "name". */
static void pc_init(struct pc *c)
{
	memset(c, 0, sizeof *c);
	c->names[0] = "a";
	c->names[1] = "b";
	c->names[2] = "name";
	c->sc.variant_names = c->names;
	c->sc.variant_values = c->values;
	c->sc.nvariants = 3;
	c->p = (struct parser){ .file = "t.case", .line = 7, .sc = &c->sc, .err = c->err, .host = 0 };
}

/* Parses text as a whole condition; NULL with c->err set on error. */
static struct cond *cond_of(struct pc *c, const char *text)
{
	struct line_toks lt;
	int col = 0;
	char msg[CASE_ERRLEN];
	assert_int_equal(lex_line(text, NULL, &lt, &col, msg, sizeof msg), 0);
	struct cond *out = NULL;
	int i = 0;
	int rc = parse_cond(&c->p, lt.t, &i, lt.n, &out);
	if (rc < 0 && out) {
		/* the caller would free it again (it did, in step_free) */
		lex_free(&lt);
		fail_msg("parse_cond(\"%s\") failed but left *out set", text);
	}
	if (rc == 0 && i != lt.n) {
		cond_free(out);
		out = NULL;
		snprintf(c->err, sizeof c->err, "trailing '%s'", lt.t[i].text);
	}
	lex_free(&lt);
	return rc < 0 ? NULL : out;
}

struct world {
	const char *kernel, *platform, *privilege, *a, *b, *name;
};

static int eval_in(const char *text, const struct world *w)
{
	struct pc c;
	pc_init(&c);
	struct cond *cd = cond_of(&c, text);
	if (!cd)
		fail_msg("cannot parse \"%s\": %s", text, c.err);
	const char *values[3] = { w->a, w->b, w->name };
	struct cond_ctx ctx = { .platform = w->platform, .privilege = w->privilege,
				.variant_values = values };
	assert_int_equal(kver_parse(w->kernel, &ctx.kernel), 0);
	int r = cond_eval(cd, &ctx);
	cond_free(cd);
	return r;
}

static const struct world base = { "6.1.54", "linux", "root", "1", "2", "x" };

static void test_cond_eval_null_is_true(void **state)
{
	(void)state;
	struct cond_ctx ctx = { 0 };
	assert_int_equal(cond_eval(NULL, &ctx), 1);
}

static void test_cond_tree_shape(void **state)
{
	(void)state;
	struct pc c;
	pc_init(&c);
	/* and binds tighter: or(a == 1, and(b == 2, kernel >= 6.3)) */
	struct cond *t = cond_of(&c, "a == 1 or b == 2 and kernel >= 6.3");
	assert_non_null(t);
	assert_int_equal(t->kind, COND_OR);
	assert_int_equal(t->l->kind, COND_CMP);
	assert_int_equal(t->l->subj, SUBJ_VARIANT);
	assert_int_equal(t->l->variant, 0);
	assert_string_equal(t->l->value, "1");
	assert_int_equal(t->r->kind, COND_AND);
	assert_int_equal(t->r->l->subj, SUBJ_VARIANT);
	assert_int_equal(t->r->l->variant, 1);
	assert_int_equal(t->r->r->subj, SUBJ_KERNEL);
	assert_int_equal(t->r->r->op, OP_GE);
	assert_int_equal(t->r->r->kv.v[0], 6);
	assert_int_equal(t->r->r->kv.v[1], 3);
	cond_free(t);

	/* parentheses group: and(or(a == 1, b == 2), kernel >= 6.3) */
	t = cond_of(&c, "(a == 1 or b == 2) and kernel >= 6.3");
	assert_non_null(t);
	assert_int_equal(t->kind, COND_AND);
	assert_int_equal(t->l->kind, COND_OR);
	assert_int_equal(t->l->l->variant, 0);
	assert_int_equal(t->l->r->variant, 1);
	assert_int_equal(t->r->subj, SUBJ_KERNEL);
	cond_free(t);

	/* a chain of or is left-nested, every operator kept */
	t = cond_of(&c, "a != 1 or a < 2 or a <= 3 or a > 4 or a >= 5");
	assert_non_null(t);
	enum cond_op ops[5];
	struct cond *n = t;
	for (int i = 4; i > 0; i--) {
		assert_int_equal(n->kind, COND_OR);
		ops[i] = n->r->op;
		n = n->l;
	}
	ops[0] = n->op;
	assert_int_equal(ops[0], OP_NE);
	assert_int_equal(ops[1], OP_LT);
	assert_int_equal(ops[2], OP_LE);
	assert_int_equal(ops[3], OP_GT);
	assert_int_equal(ops[4], OP_GE);
	cond_free(t);
}

static void test_cond_precedence_eval(void **state)
{
	(void)state;
	const char *e = "a == 1 or b == 2 and kernel >= 6.3";
	struct world w = base;
	/* a == 1 alone makes it true, whatever the kernel */
	w.a = "1"; w.b = "9"; w.kernel = "5.10";
	assert_true(eval_in(e, &w));
	/* a != 1: needs both b == 2 and kernel >= 6.3 */
	w.a = "0"; w.b = "2"; w.kernel = "6.1.54";
	assert_false(eval_in(e, &w));      /* (a or b) and kernel would be false too... */
	w.kernel = "6.3";
	assert_true(eval_in(e, &w));
	w.b = "3";
	assert_false(eval_in(e, &w));
	/* ...this one tells the two readings apart: (a == 1 or b == 2) and
	 * kernel >= 6.3 is false on 5.10, a == 1 or (...) is true */
	w.a = "1"; w.b = "2"; w.kernel = "5.10";
	assert_true(eval_in(e, &w));
	assert_false(eval_in("b == 2 and kernel >= 6.3 or a == 0", &w));
	w.a = "0";
	assert_true(eval_in("b == 2 and kernel >= 6.3 or a == 0", &w));

	/* parentheses: the other reading, (a == 1 or b == 2) and kernel >= 6.3 */
	const char *grouped = "(a == 1 or b == 2) and kernel >= 6.3";
	w.a = "1"; w.b = "9"; w.kernel = "5.10";
	assert_true(eval_in(e, &w));
	assert_false(eval_in(grouped, &w));
	w.kernel = "6.3";
	assert_true(eval_in(grouped, &w));
	w.a = "0"; w.b = "2";
	assert_true(eval_in(grouped, &w));
	w.b = "3";
	assert_false(eval_in(grouped, &w));
	/* nested, and around a single comparison */
	w.a = "0"; w.b = "2"; w.kernel = "6.1";
	assert_true(eval_in("((a == 1) or (b == 2 and (kernel < 6.3)))", &w));
	assert_false(eval_in("a == 1 or (b == 2 and kernel >= 6.3)", &w));
}

static void test_cond_kernel_ranges(void **state)
{
	(void)state;
	const char *r = "kernel >= 6.1 and kernel < 6.1.54";
	struct world w = base;
	static const struct { const char *k; int in; } kernels[] = {
		{ "6.0.19", 0 }, { "6.1", 1 }, { "6.1.0", 1 }, { "6.1.53", 1 },
		{ "6.1.54", 0 }, { "6.12", 0 }, { "5.15.167", 0 },
	};
	for (size_t i = 0; i < sizeof kernels / sizeof *kernels; i++) {
		w.kernel = kernels[i].k;
		if (eval_in(r, &w) != kernels[i].in)
			fail_msg("%s on %s: want %d", r, w.kernel, kernels[i].in);
	}
	w.kernel = "6.1";
	assert_true(eval_in("kernel == 6.1.0", &w));
	assert_true(eval_in("kernel <= 6.1", &w));
	assert_false(eval_in("kernel != 6.1.0", &w));
	assert_false(eval_in("kernel > 6.1", &w));
	assert_true(eval_in("kernel > 6.0.99", &w));
}

static void test_cond_platform_privilege(void **state)
{
	(void)state;
	struct world w = base;
	assert_true(eval_in("platform == linux", &w));
	assert_false(eval_in("platform == wsl2", &w));
	assert_true(eval_in("platform != wsl1", &w));
	assert_true(eval_in("privilege == root", &w));
	assert_false(eval_in("privilege == rootless", &w));
	w.platform = "wsl2";
	w.privilege = "rootless";
	assert_true(eval_in("platform == wsl2 and privilege == rootless", &w));
	assert_false(eval_in("platform == wsl2 and privilege != rootless", &w));
	assert_true(eval_in("platform == linux or privilege == rootless", &w));
	/* quoted values are the same value */
	assert_true(eval_in("platform == \"wsl2\"", &w));
}

static void test_cond_variant_numeric_vs_string(void **state)
{
	(void)state;
	struct world w = base;
	/* both numbers: compared as numbers ("9" < "10", "010" == "10") */
	w.a = "9";
	assert_true(eval_in("a < 10", &w));
	assert_false(eval_in("a > 10", &w));
	w.a = "10";
	assert_true(eval_in("a == 010", &w));
	assert_true(eval_in("a > 9", &w));
	w.a = "-3";
	assert_true(eval_in("a < 2", &w));
	/* otherwise as strings: "10" < "9a" by bytes, "b" > "a" */
	w.a = "10";
	assert_true(eval_in("a < 9a", &w));
	w.name = "b";
	assert_true(eval_in("name > a", &w));
	assert_true(eval_in("name == b", &w));
	assert_false(eval_in("name == B", &w));
	w.name = "multicast";
	assert_true(eval_in("name != none and name != default", &w));
	assert_false(eval_in("name == none or name == default", &w));
}

static void test_cond_parse_errors(void **state)
{
	(void)state;
	static const struct { const char *text, *err; } bad[] = {
		{ "kernel >= 6.x", "t.case:7:11: bad kernel version '6.x'" },
		{ "kernel >= banana", "t.case:7:11: bad kernel version 'banana'" },
		{ "colour == red", "t.case:7:1: unknown condition subject 'colour'" },
		{ "platform == bsd", "t.case:7:13: platform compares with == or !=" },
		{ "platform < linux", "t.case:7:12: platform compares with == or !=" },
		{ "privilege == admin", "t.case:7:14: privilege compares with" },
		{ "a = 1", "t.case:7:3: expected a comparison (== != < <= > >=) after 'a'" },
		{ "a ==", "t.case:7:1: incomplete condition" },
		{ "a == 1 and", "t.case:7:8: incomplete condition" },
		{ "a == 1 or", "t.case:7:8: incomplete condition" },
		{ "a == (", "t.case:7:6: expected a value after '=='" },
		{ "\"a\" == 1", "t.case:7:1: expected a condition" },
		/* an error after a complete term: nothing may be left behind */
		{ "a == 1 or kernel >= 6.x", "t.case:7:21: bad kernel version '6.x'" },
		{ "a == 1 and b == 2 or b == 3 and c == 4", "t.case:7:33: unknown condition subject 'c'" },
		{ "a == 1 or b == 2 or", "t.case:7:18: incomplete condition" },
		{ "(a == 1 or b == 2", "t.case:7:17: expected ')' to close the '(' at column 1" },
		{ "((a == 1) and b == 2", "t.case:7:20: expected ')' to close the '(' at column 1" },
		{ "(a == 1 b == 2)", "t.case:7:9: expected ')' to close the '(' at column 1" },
		{ "()", "t.case:7:2: incomplete condition" },
		{ "( )", "t.case:7:3: incomplete condition" },
		{ "(kernel >= 6.x)", "t.case:7:12: bad kernel version '6.x'" },
		{ "a == 1 and (b == 2 or c == 3)", "t.case:7:23: unknown condition subject 'c'" },
		{ "a == 1)", "trailing ')'" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct pc c;
		pc_init(&c);
		struct cond *cd = cond_of(&c, bad[i].text);
		if (cd) {
			cond_free(cd);
			fail_msg("\"%s\" parsed", bad[i].text);
		}
		if (strncmp(c.err, bad[i].err, strlen(bad[i].err)))
			fail_msg("\"%s\": got \"%s\", want \"%s...\"", bad[i].text, c.err, bad[i].err);
	}
}

/* ---- expectations ---- */

static struct outcome ok_ret(long ret)
{
	return (struct outcome){ .ret = ret };
}

static struct outcome failed(int e)
{
	return (struct outcome){ .ret = -1, .failed = 1, .err = e };
}

static struct outcome timed_out(void)
{
	return (struct outcome){ .ret = -1, .failed = 1, .timed_out = 1 };
}

static void test_expect_match_kinds(void **state)
{
	(void)state;
	long vars[4] = { 0, 40001, 7, 0 };
	struct outcome zero = ok_ret(0), five = ok_ret(5), port = ok_ret(40001);
	struct outcome inuse = failed(EADDRINUSE), again = failed(EAGAIN), to = timed_out();

	struct expect none = { .kind = EXP_NONE };
	assert_true(expect_match(&none, &zero, vars));
	assert_true(expect_match(&none, &inuse, vars));
	assert_true(expect_match(&none, &to, vars));

	struct expect ok = { .kind = EXP_OK };
	assert_true(expect_match(&ok, &zero, vars));
	assert_true(expect_match(&ok, &five, vars));
	assert_false(expect_match(&ok, &inuse, vars));
	assert_false(expect_match(&ok, &to, vars));

	struct expect i0 = { .kind = EXP_INT, .i = 0 }, i5 = { .kind = EXP_INT, .i = 5 };
	struct expect im1 = { .kind = EXP_INT, .i = -1 };
	assert_true(expect_match(&i0, &zero, vars));
	assert_false(expect_match(&i0, &five, vars));
	assert_true(expect_match(&i5, &five, vars));
	assert_false(expect_match(&i0, &inuse, vars));
	assert_false(expect_match(&i0, &to, vars));
	/* a failure is not "the value -1" */
	assert_false(expect_match(&im1, &inuse, vars));

	/* "0 or EADDRINUSE or TIMEOUT": any answer of the chain passes */
	struct expect tmo = { .kind = EXP_TIMEOUT };
	struct expect eaddr = { .kind = EXP_ERRNO, .i = EADDRINUSE, .or = &tmo };
	struct expect chain = { .kind = EXP_INT, .i = 0, .or = &eaddr };
	assert_true(expect_match(&chain, &zero, vars));
	assert_true(expect_match(&chain, &inuse, vars));
	assert_true(expect_match(&chain, &to, vars));
	assert_false(expect_match(&chain, &five, vars));
	assert_false(expect_match(&chain, &again, vars));
	assert_false(expect_match(&eaddr, &zero, vars));    /* the head is one of them */

	struct expect v = { .kind = EXP_VAR, .var = 1 };
	assert_true(expect_match(&v, &port, vars));
	assert_false(expect_match(&v, &five, vars));
	vars[1] = 5;
	assert_true(expect_match(&v, &five, vars));
	assert_false(expect_match(&v, &inuse, vars));

	struct expect e = { .kind = EXP_ERRNO, .i = EADDRINUSE };
	assert_true(expect_match(&e, &inuse, vars));
	assert_false(expect_match(&e, &again, vars));
	assert_false(expect_match(&e, &zero, vars));
	assert_false(expect_match(&e, &to, vars));
	/* EWOULDBLOCK is EAGAIN */
	struct expect wb = { .kind = EXP_ERRNO, .i = EWOULDBLOCK };
	assert_true(expect_match(&wb, &again, vars));

	struct expect t = { .kind = EXP_TIMEOUT };
	assert_true(expect_match(&t, &to, vars));
	assert_false(expect_match(&t, &zero, vars));
	assert_false(expect_match(&t, &again, vars));
}

static void test_expect_match_data_and_state(void **state)
{
	(void)state;
	struct expect s = { .kind = EXP_STR, .str = "hi\0x", .len = 4 };
	char buf[4];
	struct outcome o = { .ret = 4, .data = buf, .len = 4, .truelen = 4 };
	memcpy(o.data, "hi\0x", 4);
	assert_true(expect_match(&s, &o, NULL));
	o.data[3] = 'y';
	assert_false(expect_match(&s, &o, NULL));       /* a byte after the NUL differs */
	o.data[3] = 'x';
	o.len = o.truelen = 3;
	assert_false(expect_match(&s, &o, NULL));       /* shorter */
	struct outcome f = failed(EAGAIN);
	assert_false(expect_match(&s, &f, NULL));
	struct expect empty = { .kind = EXP_STR, .str = "", .len = 0 };
	struct outcome eof = { .ret = 0, .len = 0 };
	assert_true(expect_match(&empty, &eof, NULL));

	struct expect tw = { .kind = EXP_STATE, .i = 6 }, nonestate = { .kind = EXP_STATE, .i = 0 };
	struct outcome six = ok_ret(6), zero = ok_ret(0);
	assert_true(expect_match(&tw, &six, NULL));
	assert_false(expect_match(&tw, &zero, NULL));
	assert_true(expect_match(&nonestate, &zero, NULL));
	assert_false(expect_match(&nonestate, &six, NULL));
	struct outcome err = failed(ENOENT);
	assert_false(expect_match(&tw, &err, NULL));
}

/* Predicates, pairs, errno values and a message's details. */
static void test_expect_match_second_edition(void **state)
{
	(void)state;
	long vars[2] = { 40000, 40007 };
	struct outcome p3 = ok_ret(40003), p9 = ok_ret(40009), inuse = failed(EADDRINUSE), to = timed_out();
	struct expect in = { .kind = EXP_RANGE, .i = 40000, .j = 40007, .lo_var = -1, .hi_var = -1 };
	assert_true(expect_match(&in, &p3, vars));
	assert_false(expect_match(&in, &p9, vars));
	assert_false(expect_match(&in, &inuse, vars));
	struct expect in_vars = { .kind = EXP_RANGE, .lo_var = 0, .hi_var = 1 };
	assert_true(expect_match(&in_vars, &p3, vars));
	assert_false(expect_match(&in_vars, &p9, vars));
	struct expect ge = { .kind = EXP_CMP, .op = OP_GE, .i = 40003, .var = -1 };
	assert_true(expect_match(&ge, &p3, vars));
	assert_true(expect_match(&ge, &p9, vars));
	assert_false(expect_match(&ge, &inuse, vars));
	struct expect ne_var = { .kind = EXP_CMP, .op = OP_NE, .var = 1 };
	assert_true(expect_match(&ne_var, &p3, vars));
	struct expect error = { .kind = EXP_ERROR };
	assert_true(expect_match(&error, &inuse, vars));
	assert_false(expect_match(&error, &p3, vars));
	assert_false(expect_match(&error, &to, vars));      /* a timeout is no errno */
	struct expect e_inuse = { .kind = EXP_ERRNO, .i = EADDRINUSE };
	struct expect not_inuse = { .kind = EXP_NOT, .not = &e_inuse };
	assert_false(expect_match(&not_inuse, &inuse, vars));
	assert_true(expect_match(&not_inuse, &p3, vars));
	assert_true(expect_match(&not_inuse, &(struct outcome){ .ret = -1, .failed = 1, .err = EINVAL }, vars));
	assert_false(expect_match(&not_inuse, &to, vars));

	struct outcome pair = ok_ret(0);
	pair.pair[0] = 1;
	pair.pair[1] = 5;
	struct expect p15 = { .kind = EXP_PAIR, .i = 1, .j = 5 }, p10 = { .kind = EXP_PAIR, .i = 1, .j = 0 };
	assert_true(expect_match(&p15, &pair, vars));
	assert_false(expect_match(&p10, &pair, vars));

	/* SO_ERROR, recverr: the value is an errno */
	struct outcome refused = ok_ret(ECONNREFUSED);
	struct expect e_refused = { .kind = EXP_ERRNO, .i = ECONNREFUSED };
	assert_false(expect_match(&e_refused, &refused, vars));
	refused.val_errno = 1;
	assert_true(expect_match(&e_refused, &refused, vars));

	struct sockaddr_in from = { .sin_family = AF_INET, .sin_port = htons(4000) };
	inet_pton(AF_INET, "10.0.2.1", &from.sin_addr);
	struct outcome err = ok_ret(EHOSTUNREACH);
	err.val_errno = 1;
	err.msg.have = MI_FROM | MI_EE;
	memcpy(&err.msg.from, &from, sizeof from);
	err.msg.ee.origin = 2;
	err.msg.ee.type = 11;
	struct expect_attr attrs[2] = { { .key = AT_FROM }, { .key = AT_ICMP, .a = 11, .b = 0 } };
	memcpy(&attrs[0].addr.ss, &from, sizeof from);
	struct expect ttl_exceeded = { .kind = EXP_ERRNO, .i = EHOSTUNREACH, .attrs = attrs, .nattrs = 2 };
	assert_true(expect_match(&ttl_exceeded, &err, vars));
	err.msg.ee.type = 3;
	assert_false(expect_match(&ttl_exceeded, &err, vars));          /* another ICMP type */
	err.msg.ee.type = 11;
	((struct sockaddr_in *)&err.msg.from)->sin_port = htons(9);
	assert_true(expect_match(&ttl_exceeded, &err, vars));           /* the port not asked */
	attrs[0].with_port = 1;
	assert_false(expect_match(&ttl_exceeded, &err, vars));          /* now it is */
	err.msg.have = MI_EE;
	attrs[0].with_port = 0;
	assert_false(expect_match(&ttl_exceeded, &err, vars));          /* no offender at all */
}

/* `icmp T C` on what a raw socket read: after the IPv4 header, or at the
 * start of an ICMPv6 message; `flags` on msg_flags. */
static void test_expect_match_raw_icmp_and_flags(void **state)
{
	(void)state;
	unsigned char v4[28] = { 0x45 };        /* 20-byte IPv4 header, then ICMP */
	v4[20] = 11;
	v4[21] = 0;
	struct outcome o = ok_ret(28);
	o.data = (char *)v4;
	o.len = o.truelen = sizeof v4;
	o.msg.have = MI_FROM;
	o.msg.from.ss_family = AF_INET;
	struct expect_attr te = { .key = AT_ICMP, .a = 11, .b = 0 };
	struct expect e = { .kind = EXP_OK, .attrs = &te, .nattrs = 1 };
	assert_true(expect_match(&e, &o, NULL));
	te.a = 3;
	assert_false(expect_match(&e, &o, NULL));
	te.key = AT_ICMP6;                      /* an IPv4 packet is no ICMPv6 */
	te.a = 11;
	assert_false(expect_match(&e, &o, NULL));
	unsigned char v6[8] = { 3, 0 };
	o.data = (char *)v6;
	o.len = o.truelen = sizeof v6;
	o.msg.from.ss_family = AF_INET6;
	te.a = 3;
	assert_true(expect_match(&e, &o, NULL));
	o.len = o.truelen = 1;                  /* too short to hold a type and a code */
	assert_false(expect_match(&e, &o, NULL));
	unsigned char bad[4] = { 0x4f, 1, 2, 3 };       /* IHL 60 bytes: past the end */
	o.data = (char *)bad;
	o.len = o.truelen = sizeof bad;
	o.msg.from.ss_family = AF_INET;
	te.key = AT_ICMP;
	assert_false(expect_match(&e, &o, NULL));

	struct expect_attr tr = { .key = AT_FLAGS, .a = MSG_TRUNC };
	struct expect f = { .kind = EXP_OK, .attrs = &tr, .nattrs = 1 };
	o.msg.flags = MSG_TRUNC | MSG_CTRUNC;
	assert_true(expect_match(&f, &o, NULL));
	o.msg.flags = MSG_CTRUNC;
	assert_false(expect_match(&f, &o, NULL));
}

/* outcome_text of o for a step of call (and option), compared and freed. */
static void shows(const struct outcome *o, const char *call, const char *opt, const char *want)
{
	struct step st = { .call = call_find(call), .opt = opt ? sockopt_find(opt) : NULL };
	char *got = outcome_text(o, &st, 0, NULL);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_outcome_text(void **state)
{
	(void)state;
	struct outcome o = ok_ret(0);
	shows(&o, "bind", NULL, "0");
	o = ok_ret(40001);
	shows(&o, "getsockname", NULL, "40001");
	o = failed(EADDRINUSE);
	shows(&o, "bind", NULL, "EADDRINUSE");
	o = failed(EWOULDBLOCK);
	shows(&o, "send", NULL, "EAGAIN");
	o = timed_out();
	shows(&o, "connect", NULL, "TIMEOUT");
	o = ok_ret(6);
	shows(&o, "state", NULL, "TIME_WAIT");
	o = ok_ret(0);
	shows(&o, "state", NULL, "NONE");
	o = ok_ret(10);
	shows(&o, "state", NULL, "LISTEN");
}

/* Values in an option's shape, messages and queued errors are shown in the
 * words an expectation uses, so an observed line can be pasted back. */
static void test_outcome_text_shapes(void **state)
{
	(void)state;
	struct outcome o = ok_ret(2);
	shows(&o, "getsockopt", "IP_MTU_DISCOVER", "DO");
	o = ok_ret(ECONNREFUSED);
	shows(&o, "getsockopt", "SO_ERROR", "ECONNREFUSED");
	o = ok_ret(0);
	shows(&o, "getsockopt", "SO_ERROR", "0");
	o = ok_ret(10);
	shows(&o, "getsockopt", "SO_DOMAIN", "INET6");
	o = ok_ret(0);
	o.pair[0] = 40000;
	o.pair[1] = 40007;
	shows(&o, "getsockopt", "IP_LOCAL_PORT_RANGE", "40000 40007");
	char data[] = "ping\n\"";
	o = ok_ret(6);
	o.data = data;
	o.len = o.truelen = 6;
	shows(&o, "recv", NULL, "\"ping\\n\\x22\"");
	o.truelen = 1400;
	shows(&o, "recv", NULL, "\"ping\\n\\x22\" len 1400");
	struct sockaddr_in from = { .sin_family = AF_INET, .sin_port = htons(4000) };
	inet_pton(AF_INET, "10.0.1.2", &from.sin_addr);
	o.truelen = 6;
	memcpy(&o.msg.from, &from, sizeof from);
	o.msg.have = MI_FROM | MI_TTL;
	o.msg.ttl = 63;
	shows(&o, "recvmsg", NULL, "\"ping\\n\\x22\" from 10.0.1.2:4000 ttl 63");
	o = ok_ret(EHOSTUNREACH);
	o.val_errno = 1;
	memcpy(&o.msg.from, &from, sizeof from);
	o.msg.have = MI_FROM | MI_EE;
	o.msg.ee.origin = 2;
	o.msg.ee.type = 11;
	shows(&o, "recverr", NULL, "EHOSTUNREACH from 10.0.1.2 icmp 11 0");
	o.msg.ee.origin = 1;
	o.msg.ee.info = 1400;
	o.ret = EMSGSIZE;
	o.msg.have = MI_EE;
	shows(&o, "recverr", NULL, "EMSGSIZE origin LOCAL info 1400");
}

/* A step with alternatives, guards parsed from text. */
static void add_alt(struct pc *c, struct step *st, const char *guard, enum expect_kind k, long i)
{
	if (!st->alts)
		st->alts = calloc(CASE_MAX_ALTS, sizeof *st->alts);
	struct expect_alt *a = &st->alts[st->nalts++];
	a->guard = guard ? cond_of(c, guard) : NULL;
	if (guard && !a->guard)
		fail_msg("guard \"%s\": %s", guard, c->err);
	a->e = (struct expect){ .kind = k, .i = i };
}

static void test_expect_pick(void **state)
{
	(void)state;
	struct pc c;
	pc_init(&c);
	struct step st = { .kind = STEP_CALL };
	add_alt(&c, &st, "a == 0 and kernel < 6.3", EXP_ERRNO, EADDRINUSE);
	add_alt(&c, &st, "platform == wsl2", EXP_ERRNO, EADDRNOTAVAIL);
	add_alt(&c, &st, "a == 0", EXP_INT, 7);
	add_alt(&c, &st, NULL, EXP_INT, 0);

	const char *values[3] = { "0", "2", "x" };
	struct cond_ctx ctx = { .platform = "linux", .privilege = "root", .variant_values = values };
	ctx.kernel = kv("6.1");
	const struct expect *e = expect_pick(&st, &ctx);
	assert_ptr_equal(e, &st.alts[0].e);
	/* the first that holds wins, even when a later one holds too */
	ctx.platform = "wsl2";
	assert_ptr_equal(expect_pick(&st, &ctx), &st.alts[0].e);
	ctx.kernel = kv("6.3");
	assert_ptr_equal(expect_pick(&st, &ctx), &st.alts[1].e);
	ctx.platform = "linux";
	assert_ptr_equal(expect_pick(&st, &ctx), &st.alts[2].e);
	values[0] = "1";
	e = expect_pick(&st, &ctx);
	assert_ptr_equal(e, &st.alts[3].e);
	assert_int_equal(e->kind, EXP_INT);
	assert_int_equal(e->i, 0);

	/* without an unguarded last alternative: none holds → NULL */
	cond_free(st.alts[3].guard);
	st.nalts = 3;
	assert_null(expect_pick(&st, &ctx));
	for (int i = 0; i < st.nalts; i++)
		cond_free(st.alts[i].guard);
	free(st.alts);

	/* no alternatives at all: record only */
	struct step bare = { .kind = STEP_CALL };
	assert_null(expect_pick(&bare, &ctx));
}

/* Known kernel bugs: `EADDRINUSE when a == 1 | 0 bug "F" when a == 0 and
 * kernel < 6.1.54 | EADDRINUSE`, as the bind cases write them. */
static void test_expect_judge_known_bug(void **state)
{
	(void)state;
	struct pc c;
	pc_init(&c);
	struct step st = { .kind = STEP_CALL };
	add_alt(&c, &st, "a == 1", EXP_ERRNO, EADDRINUSE);
	add_alt(&c, &st, "a == 0 and kernel < 6.1.54", EXP_INT, 0);
	st.alts[1].bug = "F";
	add_alt(&c, &st, NULL, EXP_ERRNO, EADDRINUSE);
	const char *values[3] = { "0", "2", "x" };
	struct cond_ctx ctx = { .platform = "linux", .privilege = "root", .variant_values = values };
	struct outcome buggy = { .ret = 0 }, right = { .ret = -1, .failed = 1, .err = EADDRINUSE },
		other = { .ret = -1, .failed = 1, .err = EINVAL };
	struct verdict v;

	/* in the bug's range: the buggy answer is a known bug, not a failure */
	ctx.kernel = kv("6.1.50");
	expect_judge(&st, &ctx, &buggy, NULL, &v);
	assert_true(v.ok);
	assert_int_equal(v.bug_state, BUG_HAS);
	assert_string_equal(v.bug, "F");
	assert_true(v.in_range);
	assert_ptr_equal(v.e, &st.alts[1].e);
	/* in range, the correct answer: fixed (a backport), and it passes */
	expect_judge(&st, &ctx, &right, NULL, &v);
	assert_true(v.ok);
	assert_int_equal(v.bug_state, BUG_FIXED);
	assert_ptr_equal(v.e, &st.alts[2].e);
	/* anything else fails, shown against the correct answer */
	expect_judge(&st, &ctx, &other, NULL, &v);
	assert_false(v.ok);
	assert_ptr_equal(v.e, &st.alts[2].e);

	/* outside the range: correct is fixed; the bug is still the bug */
	ctx.kernel = kv("6.12");
	expect_judge(&st, &ctx, &right, NULL, &v);
	assert_true(v.ok);
	assert_int_equal(v.bug_state, BUG_FIXED);
	assert_false(v.in_range);
	expect_judge(&st, &ctx, &buggy, NULL, &v);
	assert_true(v.ok);
	assert_int_equal(v.bug_state, BUG_HAS);
	assert_false(v.in_range);
	expect_judge(&st, &ctx, &other, NULL, &v);
	assert_false(v.ok);
	assert_int_equal(v.bug_state, BUG_NONE);

	/* a variant where an earlier answer decides: the bug cannot show */
	values[0] = "1";
	expect_judge(&st, &ctx, &right, NULL, &v);
	assert_true(v.ok);
	assert_int_equal(v.bug_state, BUG_NONE);
	for (int i = 0; i < st.nalts; i++)
		cond_free(st.alts[i].guard);
	free(st.alts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kver_parse_ok),
		cmocka_unit_test(test_expect_judge_known_bug),
		cmocka_unit_test(test_kver_parse_garbage),
		cmocka_unit_test(test_kver_cmp_order),
		cmocka_unit_test(test_cond_eval_null_is_true),
		cmocka_unit_test(test_cond_tree_shape),
		cmocka_unit_test(test_cond_precedence_eval),
		cmocka_unit_test(test_cond_kernel_ranges),
		cmocka_unit_test(test_cond_platform_privilege),
		cmocka_unit_test(test_cond_variant_numeric_vs_string),
		cmocka_unit_test(test_cond_parse_errors),
		cmocka_unit_test(test_expect_match_kinds),
		cmocka_unit_test(test_expect_match_data_and_state),
		cmocka_unit_test(test_expect_match_second_edition),
		cmocka_unit_test(test_expect_match_raw_icmp_and_flags),
		cmocka_unit_test(test_outcome_text),
		cmocka_unit_test(test_outcome_text_shapes),
		cmocka_unit_test(test_expect_pick),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
