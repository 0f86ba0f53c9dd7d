/* Socket options: setsockopt and getsockopt through the option's value
 * shape. A shape lays a case's values out for the kernel (encode) and reads
 * the kernel's answer back into the outcome (decode); every option of one
 * layout shares its shape. */
#include "exec_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

static int enc_int(struct run *r, const struct step *st, int first, void *buf, size_t cap)
{
	(void)cap;
	*(int *)buf = (int)int_arg(r, &st->args[first]);
	return sizeof(int);
}

static void dec_int(const void *buf, socklen_t len, struct outcome *o)
{
	/* a u8 option (IP_MULTICAST_TTL ...) may answer with one byte */
	o->ret = len == 1 ? *(const unsigned char *)buf : *(const int *)buf;
}

static int enc_pair(struct run *r, const struct step *st, int first, void *buf, size_t cap)
{
	(void)cap;
	struct linger *l = buf;
	l->l_onoff = (int)int_arg(r, &st->args[first]);
	l->l_linger = (int)int_arg(r, &st->args[first + 1]);
	return sizeof *l;
}

static void dec_pair(const void *buf, socklen_t len, struct outcome *o)
{
	(void)len;
	const struct linger *l = buf;
	o->pair[0] = l->l_onoff;
	o->pair[1] = l->l_linger;
	o->ret = l->l_onoff;
}

/* IP_LOCAL_PORT_RANGE: one u32, hi << 16 | lo; written as two numbers, or
 * as the packed value itself (what the kernel's selftest writes). */
static int enc_range(struct run *r, const struct step *st, int first, void *buf, size_t cap)
{
	(void)cap;
	unsigned v = (unsigned)int_arg(r, &st->args[first]);
	if (first + 1 < st->nargs)
		v = (unsigned)int_arg(r, &st->args[first + 1]) << 16 | (v & 0xffff);
	*(unsigned *)buf = v;
	return sizeof(unsigned);
}

static void dec_range(const void *buf, socklen_t len, struct outcome *o)
{
	(void)len;
	unsigned v = *(const unsigned *)buf;
	o->pair[0] = v & 0xffff;
	o->pair[1] = v >> 16;
	o->ret = v;
}

/* The data buffer of the run holds what decode writes as text. */
static int enc_string(struct run *r, const struct step *st, int first, void *buf, size_t cap)
{
	(void)r;
	const struct arg *a = &st->args[first];
	size_t n = a->len < cap ? a->len : cap;
	memcpy(buf, a->str, n);
	return (int)n;
}

static void dec_string(const void *buf, socklen_t len, struct outcome *o)
{
	size_t n = strnlen(buf, len);   /* SO_BINDTODEVICE counts its NUL */
	memmove(o->data, buf, n);
	o->len = o->truelen = n;
}

static int enc_ifindex(struct run *r, const struct step *st, int first, void *buf, size_t cap)
{
	(void)cap;
	return ifindex_arg(r, &st->args[first], buf) < 0 ? -1 : (int)sizeof(int);
}

static struct in_addr in4_of(const struct arg *a)
{
	return ((const struct sockaddr_in *)&a->addr.ss)->sin_addr;
}

/* ip_mreqn: group, local address[, interface]. */
static int enc_mreqn(struct run *r, const struct step *st, int first, void *buf, size_t cap)
{
	(void)cap;
	struct ip_mreqn *m = buf;
	memset(m, 0, sizeof *m);
	m->imr_multiaddr = in4_of(&st->args[first]);
	m->imr_address = in4_of(&st->args[first + 1]);
	if (first + 2 < st->nargs && ifindex_arg(r, &st->args[first + 2], &m->imr_ifindex) < 0)
		return -1;
	return sizeof *m;
}

static int enc_mreq6(struct run *r, const struct step *st, int first, void *buf, size_t cap)
{
	(void)cap;
	struct ipv6_mreq *m = buf;
	int idx;
	if (ifindex_arg(r, &st->args[first + 1], &idx) < 0)
		return -1;
	m->ipv6mr_multiaddr = ((const struct sockaddr_in6 *)&st->args[first].addr.ss)->sin6_addr;
	m->ipv6mr_interface = (unsigned)idx;
	return sizeof *m;
}

/* IP_MULTICAST_IF: an address alone is a struct in_addr; an interface,
 * or an address and an interface, a struct ip_mreqn. */
static int enc_mcast_if(struct run *r, const struct step *st, int first, void *buf, size_t cap)
{
	(void)cap;
	const struct arg *a = &st->args[first];
	if (a->kind == ARG_IP && first + 1 >= st->nargs) {
		*(struct in_addr *)buf = in4_of(a);
		return sizeof(struct in_addr);
	}
	struct ip_mreqn *m = buf;
	memset(m, 0, sizeof *m);
	const struct arg *dev = a->kind == ARG_IP ? a + 1 : a;
	if (a->kind == ARG_IP)
		m->imr_address = in4_of(a);
	return ifindex_arg(r, dev, &m->imr_ifindex) < 0 ? -1 : (int)sizeof *m;
}

/* ICMP6_FILTER: the ICMPv6 types a raw socket still receives, all others
 * blocked (RFC 3542, 3.2). */
static int enc_icmp6_filter(struct run *r, const struct step *st, int first, void *buf, size_t cap)
{
	(void)cap;
	struct icmp6_filter *f = buf;
	ICMP6_FILTER_SETBLOCKALL(f);
	for (int i = first; i < st->nargs; i++) {
		long type = int_arg(r, &st->args[i]);
		if (type < 0 || type > 255) {
			errno = EINVAL;
			return -1;
		}
		ICMP6_FILTER_SETPASS((int)type, f);
	}
	return sizeof *f;
}

static void dec_addr(const void *buf, socklen_t len, struct outcome *o)
{
	(void)len;
	inet_ntop(AF_INET, buf, o->data, INET_ADDRSTRLEN);
	o->len = o->truelen = strlen(o->data);
}

const struct value_shape shape_int = { "int", "N", "i", OUT_INT, enc_int, dec_int };
const struct value_shape shape_pair = { "pair", "ON, SECONDS", "ii", OUT_PAIR, enc_pair, dec_pair };
const struct value_shape shape_range = { "range", "LO, HI | PACKED", "i[i", OUT_PAIR, enc_range, dec_range };
const struct value_shape shape_string = { "string", "\"NAME\"", "q", OUT_STR, enc_string, dec_string };
const struct value_shape shape_ifindex = { "ifindex", "IF | INDEX", "n", OUT_INT, enc_ifindex, dec_int };
const struct value_shape shape_mreqn = { "ip_mreqn", "GROUP, ADDR[, IF]", "PP[n", OUT_NONE, enc_mreqn, NULL };
const struct value_shape shape_mreq6 = { "ipv6_mreq", "GROUP, IF", "Pn", OUT_NONE, enc_mreq6, NULL };
const struct value_shape shape_icmp6_filter = { "icmp6_filter", "TYPE...", "i[iiiii", OUT_NONE,
						enc_icmp6_filter, NULL };
const struct value_shape shape_mcast_if = { "in_addr|ip_mreqn", "ADDR | IF | ADDR, IF", "M[n", OUT_ADDR,
					    enc_mcast_if, dec_addr };

/* Room for any option's value, aligned for the structs the shapes lay out. */
union optbuf {
	char b[256];
	long align;
	struct ip_mreqn mreqn;
	struct ipv6_mreq mreq6;
};

void call_setsockopt(struct run *r, const struct step *st, struct outcome *o)
{
	const struct sockopt_def *d = st->opt;
	union optbuf buf;
	memset(&buf, 0, sizeof buf);
	int len = d->shape->encode(r, st, 2, &buf, sizeof buf);
	result(o, len < 0 ? -1 : setsockopt(FD(r, st, 0), d->level, d->opt, &buf, (socklen_t)len));
}

void call_getsockopt(struct run *r, const struct step *st, struct outcome *o)
{
	const struct sockopt_def *d = st->opt;
	union optbuf buf;
	socklen_t len = sizeof buf;
	memset(&buf, 0, sizeof buf);
	o->data = run_buf(r, sizeof buf);
	if (!o->data) {
		result(o, -1);
		return;
	}
	int rc = getsockopt(FD(r, st, 0), d->level, d->opt, &buf, &len);
	result(o, rc);
	if (rc == 0)
		d->shape->decode(&buf, len, o);  /* an option's value may itself be -1 */
	o->val_errno = d->names == tbl_errno;
}
