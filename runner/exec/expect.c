/* Expectations: which alternative applies, whether an outcome meets it,
 * and the outcome in the words an expectation uses. */
#include "exec.h"
#include "record.h"

#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct expect *expect_pick(const struct step *st, const struct cond_ctx *ctx)
{
	for (int i = 0; i < st->nalts; i++)
		if (cond_eval(st->alts[i].guard, ctx))
			return &st->alts[i].e;
	return NULL;
}

static const struct expect_alt *alt_pick(const struct step *st, const struct cond_ctx *ctx, int no_bugs)
{
	for (int i = 0; i < st->nalts; i++)
		if ((!no_bugs || !st->alts[i].bug) && cond_eval(st->alts[i].guard, ctx))
			return &st->alts[i];
	return NULL;
}

void expect_judge(const struct step *st, const struct cond_ctx *ctx, const struct outcome *o,
		  const long *vars, struct verdict *v)
{
	const struct expect_alt *pick = alt_pick(st, ctx, 0);
	*v = (struct verdict){ .e = pick ? &pick->e : NULL, .ok = 1 };
	if (pick && pick->bug) {
		const struct expect_alt *correct = alt_pick(st, ctx, 1);
		v->bug = pick->bug;
		v->in_range = 1;
		if (expect_match(&pick->e, o, vars)) {
			v->bug_state = BUG_HAS;
		} else if (correct && expect_match(&correct->e, o, vars)) {
			v->bug_state = BUG_FIXED;
			v->e = &correct->e;
		} else {
			v->ok = 0;
			v->e = correct ? &correct->e : &pick->e;
		}
		return;
	}
	v->ok = !pick || expect_match(&pick->e, o, vars);
	struct cond_ctx any = *ctx;
	any.any_kernel = 1;
	const struct expect_alt *some = alt_pick(st, &any, 0);
	if (!some || !some->bug)
		return;
	v->bug = some->bug;
	if (v->ok) {
		v->bug_state = BUG_FIXED;
	} else if (expect_match(&some->e, o, vars)) {
		v->bug_state = BUG_HAS;     /* the bug, on a kernel the case thought fixed */
		v->ok = 1;
		v->e = &some->e;
	}
}

static int cmp_long(long a, long b)
{
	return (a > b) - (a < b);
}

/* Same family and address (and port, when asked); a scope is not compared. */
static int same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b, int port)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_addr.s_addr == y->sin_addr.s_addr && (!port || x->sin_port == y->sin_port);
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
	return !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) &&
	       (!port || x->sin6_port == y->sin6_port);
}

/* The ICMP type and code of what a raw socket read: an IPv4 one gets the
 * IP header first, an ICMPv6 one the ICMPv6 header alone (raw(7)). */
static int data_icmp(const struct outcome *o, int *type, int *code, int *v6)
{
	const unsigned char *d = (const unsigned char *)o->data;
	size_t off = 0;
	*v6 = (o->msg.have & MI_FROM) && o->msg.from.ss_family == AF_INET6;
	if (!d || !o->len)
		return 0;
	if (!*v6)
		off = (d[0] >> 4) == 4 ? (size_t)(d[0] & 15) * 4 : o->len;
	if (off + 2 > o->len)
		return 0;
	*type = d[off];
	*code = d[off + 1];
	return 1;
}

static int icmp_holds(const struct expect_attr *a, const struct outcome *o)
{
	const struct msg_info *m = &o->msg;
	int type, code, v6;
	if (m->have & MI_EE)
		return m->ee.origin == (a->key == AT_ICMP6 ? SO_EE_ORIGIN_ICMP6 : SO_EE_ORIGIN_ICMP) &&
		       m->ee.type == a->a && m->ee.code == a->b;
	return data_icmp(o, &type, &code, &v6) && v6 == (a->key == AT_ICMP6) && type == a->a && code == a->b;
}

/* `from ADDR:$p`: the address with the captured port put in. */
static struct sockaddr_storage with_port(const struct sockaddr_tmpl *t, const long *vars)
{
	struct sockaddr_storage ss = t->ss;
	if (t->port_var >= 0 && vars) {
		uint16_t port = htons((uint16_t)vars[t->port_var]);
		if (ss.ss_family == AF_INET)
			((struct sockaddr_in *)&ss)->sin_port = port;
		else if (ss.ss_family == AF_INET6)
			((struct sockaddr_in6 *)&ss)->sin6_port = port;
	}
	return ss;
}

static int attr_holds(const struct expect_attr *a, const struct outcome *o, const long *vars)
{
	const struct msg_info *m = &o->msg;
	int ee = (m->have & MI_EE) != 0;
	struct sockaddr_storage want = with_port(&a->addr, vars);
	switch (a->key) {
	case AT_FROM: return (m->have & MI_FROM) && same_addr(&m->from, &want, a->with_port);
	case AT_TO: return (m->have & MI_TO) && same_addr(&m->to, &a->addr.ss, 0);
	case AT_DEV: return (m->have & MI_DEV) && !strcmp(m->dev, a->name);
	case AT_TTL: return (m->have & MI_TTL) && m->ttl == a->a;
	case AT_TOS: return (m->have & MI_TOS) && m->tos == a->a;
	case AT_LEN: return (long)o->truelen == a->a;
	case AT_ICMP:
	case AT_ICMP6: return icmp_holds(a, o);
	case AT_FLAGS: return (m->flags & a->a) == a->a;
	case AT_ORIGIN: return ee && m->ee.origin == a->a;
	case AT_INFO: return ee && m->ee.info == (unsigned long)a->a;
	}
	return 0;
}

static int value_holds(const struct expect *e, const struct outcome *o, const long *vars)
{
	int ok = !o->timed_out && !o->failed;
	switch (e->kind) {
	case EXP_NONE: return 1;
	case EXP_OK: return ok;
	case EXP_INT: return ok && o->ret == e->i;
	case EXP_VAR: return ok && o->ret == vars[e->var];
	case EXP_ERRNO: return (!o->timed_out && o->failed && o->err == e->i) ||
			       (ok && o->val_errno && o->ret == e->i);
	case EXP_STR: return ok && o->len == e->len && (!e->len || !memcmp(o->data, e->str, e->len));
	case EXP_STATE: return ok && o->ret == e->i;
	case EXP_TIMEOUT: return o->timed_out;
	case EXP_PAIR: return ok && o->pair[0] == e->i && o->pair[1] == e->j;
	case EXP_RANGE:
		return ok && o->ret >= (e->lo_var >= 0 ? vars[e->lo_var] : e->i) &&
		       o->ret <= (e->hi_var >= 0 ? vars[e->hi_var] : e->j);
	case EXP_CMP: return ok && cond_op_holds(e->op, cmp_long(o->ret, e->var >= 0 ? vars[e->var] : e->i));
	case EXP_ERROR: return (!o->timed_out && o->failed) || (ok && o->val_errno && o->ret != 0);
	case EXP_NOT: return !o->timed_out && !value_holds(e->not, o, vars);
	}
	return 0;
}

int expect_loose(const struct expect *e)
{
	for (; e; e = e->or)
		if (e->kind != EXP_RANGE && e->kind != EXP_CMP && e->kind != EXP_ERROR && e->kind != EXP_NOT &&
		    e->kind != EXP_OK && e->kind != EXP_VAR)
			return 0;
	return 1;
}

static int match_one(const struct expect *e, const struct outcome *o, const long *vars)
{
	if (!value_holds(e, o, vars))
		return 0;
	for (int i = 0; i < e->nattrs; i++)
		if (!attr_holds(&e->attrs[i], o, vars))
			return 0;
	return 1;
}

int expect_match(const struct expect *e, const struct outcome *o, const long *vars)
{
	for (; e; e = e->or)
		if (match_one(e, o, vars))
			return 1;
	return 0;
}

/* The data as a case would write it, whole up to 64 KiB, else its first
 * 4 KiB and "..." (the record keeps the length and a digest of the rest). */
#define SHOWN_WHOLE (64u << 10)
#define SHOWN_HEAD (4u << 10)

static char *quote_bytes(const struct outcome *o)
{
	size_t n = o->len <= SHOWN_WHOLE ? o->len : SHOWN_HEAD;
	size_t cap = n * 4 + 16;
	char *buf = malloc(cap);
	if (!buf)
		return NULL;
	buf[0] = '"';
	size_t w = 1 + data_escape(o->data, n, buf + 1, cap - 8);
	snprintf(buf + w, cap - w, n < o->len ? "\"..." : "\"");
	return buf;
}

/* *s with more text after it; *s is NULL when memory ran out. */
static void append(char **s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void append(char **s, const char *fmt, ...)
{
	if (!*s)
		return;
	char *more = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&more, fmt, ap);
	va_end(ap);
	char *joined = n < 0 ? NULL : malloc(strlen(*s) + (size_t)n + 1);
	if (joined)
		sprintf(joined, "%s%s", *s, more);
	free(more);
	free(*s);
	*s = joined;
}

#define SHOW(k) (1u << (k))
#define SHOW_ALL (~0u)           /* every detail the kernel gave */
#define SHOW_PORT (1u << 31)
#define SHOW_EVERY (1u << 30)   /* no expectation chose: every detail the kernel gave */

/* Which details an expectation checks (in any of its answers), and so
 * which the observed text shows: what the kernel picks (a source port, a
 * TTL) stays out of what records compare unless a case asks for it. */
static unsigned shown_by(const struct expect *e)
{
	unsigned mask = 0;
	for (; e; e = e->or)
		for (int i = 0; i < e->nattrs; i++)
			mask |= SHOW(e->attrs[i].key) | (e->attrs[i].with_port ? SHOW_PORT : 0);
	return mask;
}

/* " from 10.0.1.2:4000 to 10.0.1.1 dev eth0 ttl 63", " icmp 11 0 info 1400" */
static void append_msg(char **s, const struct outcome *o, int is_err, unsigned show)
{
	const struct msg_info *m = &o->msg;
	char a[80];
	if ((m->have & MI_FROM) && (show & SHOW(AT_FROM))) {
		addr_text(&m->from, !is_err && (show & SHOW_PORT), a, sizeof a);
		append(s, " from %s", a);
	}
	if ((m->have & MI_TO) && (show & SHOW(AT_TO))) {
		addr_text(&m->to, 0, a, sizeof a);
		append(s, " to %s", a);
	}
	if ((m->have & MI_DEV) && (show & SHOW(AT_DEV)))
		append(s, " dev %s", m->dev);
	if ((m->have & MI_TTL) && (show & SHOW(AT_TTL)))
		append(s, " ttl %d", m->ttl);
	if ((m->have & MI_TOS) && (show & SHOW(AT_TOS)))
		append(s, " tos %d", m->tos);
	if (o->truelen != o->len)
		append(s, " len %zu", o->truelen);
	for (const struct name_val *f = tbl_msg_flag; (show & SHOW(AT_FLAGS)) && f->name; f++)
		if (m->flags & f->val)
			append(s, " flags %s", f->name + 4);
	int type, code, v6;
	/* bytes read as ICMP only when asked: other data would read as noise */
	if (!(m->have & MI_EE) && !(show & SHOW_EVERY) && (show & (SHOW(AT_ICMP) | SHOW(AT_ICMP6))) &&
	    data_icmp(o, &type, &code, &v6))
		append(s, " icmp%s %d %d", v6 ? "6" : "", type, code);
	if (!(m->have & MI_EE))
		return;
	if ((m->ee.origin == SO_EE_ORIGIN_ICMP || m->ee.origin == SO_EE_ORIGIN_ICMP6) &&
	    (show & (SHOW(AT_ICMP) | SHOW(AT_ICMP6))))
		append(s, " icmp%s %d %d", m->ee.origin == SO_EE_ORIGIN_ICMP6 ? "6" : "", m->ee.type, m->ee.code);
	else if (show & SHOW(AT_ORIGIN))
		append(s, " origin %s", strrchr(table_name(tbl_ee_origin, m->ee.origin) ?
						 table_name(tbl_ee_origin, m->ee.origin) : "_?", '_') + 1);
	if (m->ee.info && (show & SHOW(AT_INFO)))
		append(s, " info %u", m->ee.info);
}

/* A number by the name it goes by: DO, INET6, UDP, ECONNREFUSED. */
static char *named(const struct name_val *names, long v)
{
	const char *n = table_name(names, v);
	char *s = NULL;
	if (names == tbl_errno)
		return v ? strdup(errno_name((int)v)) : strdup("0");
	if (n)
		return strdup(strrchr(n, '_') ? strrchr(n, '_') + 1 : n);
	return asprintf(&s, "%ld", v) < 0 ? NULL : s;
}

static char *value_text(const struct outcome *o, const struct step *st, int as_data)
{
	enum call_value v = st->call ? st->call->value : VAL_COUNT;
	char *s = NULL;
	if (o->timed_out)
		return strdup("TIMEOUT");
	if (o->failed)
		return strdup(errno_name(o->err));
	if (v == VAL_STATE && table_name(tbl_tcp_state, o->ret))
		return strdup(table_name(tbl_tcp_state, o->ret));
	if (v == VAL_DATA || as_data)
		return quote_bytes(o);
	if (v == VAL_ERR)
		return named(tbl_errno, o->ret);
	if (st->call && st->call->names)
		return named(st->call->names, o->ret);
	if (v == VAL_SYSCTL)    /* numbers as numbers ("60536 65535"), else the quoted text */
		return strspn(o->data ? o->data : "x", "0123456789 -") == o->len && o->len
			? strndup(o->data, o->len) : quote_bytes(o);
	if (v == VAL_OPT) {
		enum value_out out = st->opt->shape->out;
		if (out == OUT_PAIR)
			return asprintf(&s, "%ld %ld", o->pair[0], o->pair[1]) < 0 ? NULL : s;
		if (out == OUT_STR)
			return quote_bytes(o);
		if (out == OUT_ADDR)
			return strndup(o->data, o->len);
		if (st->opt->names)
			return named(st->opt->names, o->ret);
	}
	return asprintf(&s, "%ld", o->ret) < 0 ? NULL : s;
}

char *outcome_details(const struct outcome *o, const struct step *st)
{
	char *s = strdup("");
	if (st->call && st->call->msg && !o->failed && !o->timed_out)
		append_msg(&s, o, st->call->value == VAL_ERR, SHOW_ALL);
	return s;
}

char *outcome_text(const struct outcome *o, const struct step *st, int as_data, const struct expect *e)
{
	char *s = value_text(o, st, as_data);
	unsigned show = e && e->kind != EXP_NONE ? shown_by(e) : SHOW_ALL;
	if (st->call && (st->call->msg || st->call->value == VAL_DATA) && !o->failed && !o->timed_out)
		append_msg(&s, o, st->call->value == VAL_ERR, show);
	return s;
}
