/* Messages with ancillary data: sendmsg with a source address or
 * interface (PKTINFO), a TTL, hop limit, TOS or GSO size per message;
 * recvmsg with what came with the data; recverr, one queued error
 * (IP_RECVERR, IPV6_RECVERR) as struct sock_extended_err says it. */
#include "exec_int.h"

#include <errno.h>
#include <linux/errqueue.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

#define CMSG_ROOM 1024

static int sock_family(int fd)
{
	int fam = AF_INET;
	socklen_t l = sizeof fam;
	getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &fam, &l);
	return fam;
}

static struct cmsghdr *cmsg_add(struct msghdr *m, int level, int type, const void *v, size_t len)
{
	struct cmsghdr *c = (struct cmsghdr *)((char *)m->msg_control + m->msg_controllen);
	c->cmsg_level = level;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(c), v, len);
	m->msg_controllen += CMSG_SPACE(len);
	return c;
}

/* from ADDR and dev IF: one PKTINFO of the address's (or socket's) family. */
static int add_pktinfo(struct run *r, const struct step *st, int fam, struct msghdr *m)
{
	const struct arg *from = NULL, *dev = NULL;
	for (int i = 0; i < st->nargs; i++)
		if (st->args[i].kind == ARG_CMSG && st->args[i].i == CM_FROM)
			from = &st->args[i];
		else if (st->args[i].kind == ARG_CMSG && st->args[i].i == CM_DEV)
			dev = &st->args[i];
	if (!from && !dev)
		return 0;
	int idx = 0;
	if (dev) {
		struct arg a = { .kind = dev->str ? ARG_NAME : dev->var >= 0 ? ARG_VAR : ARG_INT,
				 .str = dev->str, .i = dev->val, .var = dev->var };
		if (ifindex_arg(r, &a, &idx) < 0)
			return -1;
	}
	if (from)
		fam = from->addr.ss.ss_family;
	if (fam == AF_INET6) {
		struct in6_pktinfo pi = { .ipi6_ifindex = (unsigned)idx };
		if (from) {
			/* a link-local source's scope is its interface, unless dev says */
			struct sockaddr_storage src;
			socklen_t len;
			if (addr_arg(r, from, &src, &len) < 0)
				return -1;
			pi.ipi6_addr = ((const struct sockaddr_in6 *)&src)->sin6_addr;
			if (!dev)
				pi.ipi6_ifindex = ((const struct sockaddr_in6 *)&src)->sin6_scope_id;
		}
		cmsg_add(m, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof pi);
	} else {
		struct in_pktinfo pi = { .ipi_ifindex = idx };
		if (from)
			pi.ipi_spec_dst = ((const struct sockaddr_in *)&from->addr.ss)->sin_addr;
		cmsg_add(m, IPPROTO_IP, IP_PKTINFO, &pi, sizeof pi);
	}
	return 0;
}

static void add_numbers(struct run *r, const struct step *st, int fam, struct msghdr *m)
{
	for (int i = 0; i < st->nargs; i++) {
		const struct arg *a = &st->args[i];
		if (a->kind != ARG_CMSG || a->i == CM_FROM || a->i == CM_DEV)
			continue;
		int v = (int)(a->var >= 0 ? r->vals[a->var] : a->val);
		if (a->i == CM_SEGMENT) {
			uint16_t gso = (uint16_t)v;
			cmsg_add(m, SOL_UDP, UDP_SEGMENT, &gso, sizeof gso);
		} else if (a->i == CM_TTL) {
			cmsg_add(m, IPPROTO_IP, IP_TTL, &v, sizeof v);
		} else if (a->i == CM_HOPLIMIT) {
			cmsg_add(m, IPPROTO_IPV6, IPV6_HOPLIMIT, &v, sizeof v);
		} else if (fam == AF_INET6) {
			cmsg_add(m, IPPROTO_IPV6, IPV6_TCLASS, &v, sizeof v);
		} else {
			cmsg_add(m, IPPROTO_IP, IP_TOS, &v, sizeof v);  /* an int: the kernel checks 0..255 */
		}
	}
}

void call_sendmsg(struct run *r, const struct step *st, struct outcome *o)
{
	struct slot *s = SLOT(r, st, 0);
	const struct arg *data = &st->args[1];
	struct sockaddr_storage to;
	socklen_t tolen = 0;
	union { char buf[CMSG_ROOM]; struct cmsghdr align; } ctl;
	memset(&ctl, 0, sizeof ctl);
	struct iovec iov = { data->str, data->len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf };
	int flags = flags_arg(st), fam = sock_family(s->fd);
	if (st->nargs > 2 && st->args[2].kind == ARG_ADDR && addr_arg(r, &st->args[2], &to, &tolen) < 0) {
		result(o, -1);
		return;
	}
	if (tolen) {
		m.msg_name = &to;
		m.msg_namelen = tolen;
	}
	if (add_pktinfo(r, st, fam, &m) < 0) {
		result(o, -1);
		return;
	}
	add_numbers(r, st, fam, &m);
	if (!m.msg_controllen)
		m.msg_control = NULL;
	if (!s->nonblock && !(flags & (MSG_DONTWAIT | MSG_FASTOPEN)) && wait_for(r, s->fd, POLLOUT)) {
		o->timed_out = 1;
		return;
	}
	result(o, sendmsg(s->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT | flags));
}

static void read_pktinfo(const struct cmsghdr *c, struct msg_info *mi)
{
	unsigned idx;
	if (c->cmsg_level == IPPROTO_IP) {
		struct in_pktinfo pi;
		memcpy(&pi, CMSG_DATA(c), sizeof pi);
		struct sockaddr_in *to = (struct sockaddr_in *)&mi->to;
		to->sin_family = AF_INET;
		to->sin_addr = pi.ipi_addr;
		idx = (unsigned)pi.ipi_ifindex;
	} else {
		struct in6_pktinfo pi;
		memcpy(&pi, CMSG_DATA(c), sizeof pi);
		struct sockaddr_in6 *to = (struct sockaddr_in6 *)&mi->to;
		to->sin6_family = AF_INET6;
		to->sin6_addr = pi.ipi6_addr;
		idx = pi.ipi6_ifindex;
	}
	mi->have |= MI_TO;
	if (idx && if_indextoname(idx, mi->dev))
		mi->have |= MI_DEV;
}

static void read_ee(const struct cmsghdr *c, struct msg_info *mi)
{
	struct sock_extended_err ee;
	memcpy(&ee, CMSG_DATA(c), sizeof ee);
	mi->ee.err = ee.ee_errno;
	mi->ee.origin = ee.ee_origin;
	mi->ee.type = ee.ee_type;
	mi->ee.code = ee.ee_code;
	mi->ee.info = ee.ee_info;
	mi->have |= MI_EE;
	/* the offender follows the struct; AF_UNSPEC when the kernel has none */
	size_t room = c->cmsg_len - CMSG_LEN(sizeof ee);
	const struct sockaddr *off = (const struct sockaddr *)(CMSG_DATA(c) + sizeof ee);
	if (room >= sizeof(struct sockaddr_in) && off->sa_family != AF_UNSPEC) {
		memcpy(&mi->offender, off, room < sizeof mi->offender ? room : sizeof mi->offender);
		mi->have |= MI_OFFENDER;
	}
}

static void read_cmsgs(struct msghdr *m, struct msg_info *mi)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		int ip = c->cmsg_level == IPPROTO_IP, ip6 = c->cmsg_level == IPPROTO_IPV6;
		int v = 0;
		memcpy(&v, CMSG_DATA(c), c->cmsg_len - CMSG_LEN(0) < sizeof v ? c->cmsg_len - CMSG_LEN(0) : sizeof v);
		if ((ip && c->cmsg_type == IP_PKTINFO) || (ip6 && c->cmsg_type == IPV6_PKTINFO)) {
			read_pktinfo(c, mi);
		} else if ((ip && c->cmsg_type == IP_TTL) || (ip6 && c->cmsg_type == IPV6_HOPLIMIT)) {
			mi->ttl = v;
			mi->have |= MI_TTL;
		} else if (ip && c->cmsg_type == IP_TOS) {
			mi->tos = *(unsigned char *)CMSG_DATA(c);
			mi->have |= MI_TOS;
		} else if (ip6 && c->cmsg_type == IPV6_TCLASS) {
			mi->tos = v;
			mi->have |= MI_TOS;
		} else if ((ip && c->cmsg_type == IP_RECVERR) || (ip6 && c->cmsg_type == IPV6_RECVERR)) {
			read_ee(c, mi);
		}
	}
}

/* One recvmsg into the run's buffer; want bytes at most kept. */
static void recv_one(struct run *r, int fd, size_t want, int flags, struct outcome *o)
{
	char *buf = run_buf(r, want ? want : 1);
	union { char buf[CMSG_ROOM]; struct cmsghdr align; } ctl;
	struct sockaddr_storage from = { 0 };
	struct iovec iov = { buf, want };
	struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov,
			    .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf };
	if (!buf) {
		result(o, -1);
		return;
	}
	ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT | flags);
	result(o, n);
	if (n < 0)
		return;
	o->data = buf;
	o->truelen = (size_t)n;
	o->len = (size_t)n < want ? (size_t)n : want;
	o->msg.flags = m.msg_flags;
	if (m.msg_namelen && from.ss_family) {
		o->msg.from = from;
		o->msg.have |= MI_FROM;
	}
	read_cmsgs(&m, &o->msg);
}

void call_recvmsg(struct run *r, const struct step *st, struct outcome *o)
{
	struct slot *s = SLOT(r, st, 0);
	int flags = flags_arg(st);
	size_t want = recv_size(r, st);
	if (!s->nonblock && !(flags & (MSG_DONTWAIT | MSG_ERRQUEUE)) && wait_for(r, s->fd, POLLIN)) {
		o->timed_out = 1;
		return;
	}
	recv_one(r, s->fd, want, flags, o);
}

/* Reading the error queue never blocks in the kernel; on a blocking
 * socket recverr first waits (within the step bound) for an error to be
 * queued, as an ICMP error arrives a round trip after the send. */
void call_recverr(struct run *r, const struct step *st, struct outcome *o)
{
	struct slot *s = SLOT(r, st, 0);
	int flags = flags_arg(st);
	if (!s->nonblock && !(flags & MSG_DONTWAIT))
		wait_for(r, s->fd, 0);      /* POLLERR is always reported */
	recv_one(r, s->fd, 65536, MSG_ERRQUEUE | (flags & ~MSG_DONTWAIT), o);
	o->val_errno = 1;
	if (o->failed)
		return;
	if (!(o->msg.have & MI_EE)) {
		errno = ENOMSG;     /* data without an error: not what IP_RECVERR queues */
		result(o, -1);
		return;
	}
	o->ret = o->msg.ee.err;
	o->msg.have &= ~MI_FROM;    /* the error's address is the offender */
	if (o->msg.have & MI_OFFENDER) {
		o->msg.from = o->msg.offender;
		o->msg.have |= MI_FROM;
	}
}
