/* One function per call of the scenario language (the handlers the
 * registry's rows name). Each fills an outcome: the call's value, or -1 and
 * errno, or timed_out when a call that would block gave no answer within
 * the step bound. Messages (sendmsg, recvmsg, recverr) are exec_msg.c's,
 * option values exec_opt.c's. */
#include "exec_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


void result(struct outcome *o, long ret)
{
	o->ret = ret < 0 ? -1 : ret;
	o->failed = ret < 0;
	o->err = ret < 0 ? errno : 0;
}

long int_arg(const struct run *r, const struct arg *a)
{
	return a->kind == ARG_VAR ? r->vals[a->var] : a->i;
}

int addr_arg(const struct run *r, const struct arg *a, struct sockaddr_storage *ss, socklen_t *len)
{
	*ss = a->addr.ss;
	*len = a->addr.len;
	if (a->addr.port_var >= 0)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)r->vals[a->addr.port_var]);
	if (a->addr.scope_var >= 0)
		((struct sockaddr_in6 *)ss)->sin6_scope_id = (uint32_t)r->vals[a->addr.scope_var];
	if (a->addr.scope[0]) {
		unsigned idx = if_nametoindex(a->addr.scope);
		if (!idx) {
			errno = ENODEV;
			return -1;
		}
		((struct sockaddr_in6 *)ss)->sin6_scope_id = idx;
	}
	return 0;
}

void addr_text(const struct sockaddr_storage *ss, int with_port, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		char scope[16] = "";
		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
		if (in6->sin6_scope_id)
			snprintf(scope, sizeof scope, "%%%u", in6->sin6_scope_id);
		if (with_port)
			snprintf(buf, len, "[%s%s]:%u", ip, scope, ntohs(in6->sin6_port));
		else
			snprintf(buf, len, "%s%s", ip, scope);
	} else if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
		snprintf(buf, len, with_port ? "%s:%u" : "%s", ip, ntohs(in->sin_port));
	} else {
		snprintf(buf, len, "UNSPEC");
	}
}

unsigned port_of(const struct sockaddr_storage *ss)
{
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

char *run_buf(struct run *r, size_t n)
{
	if (n > r->cap) {
		char *bigger = realloc(r->buf, n);
		if (!bigger) {
			errno = ENOMEM;
			return NULL;
		}
		r->buf = bigger;
		r->cap = n;
	}
	return r->buf;
}

size_t recv_size(const struct run *r, const struct step *st)
{
	size_t want = st->nargs > 1 && st->args[1].kind != ARG_FLAG ? (size_t)int_arg(r, &st->args[1]) : 65536;
	return want > DATA_MAX ? DATA_MAX : want;   /* a captured size may be anything */
}

int flags_arg(const struct step *st)
{
	int flags = 0;
	for (int i = 0; i < st->nargs; i++)
		if (st->args[i].kind == ARG_FLAG)
			flags |= (int)st->args[i].i;
	return flags;
}

/* Wait until fd is ready for events, within the step bound. 0 ready, 1 timed out. */
int wait_for(const struct run *r, int fd, short events)
{
	if (fd < 0)
		return 0;   /* no socket: the call itself answers EBADF at once */
	struct pollfd p = { .fd = fd, .events = events };
	int n;
	do
		n = poll(&p, 1, r->env->step_timeout_ms);
	while (n < 0 && errno == EINTR);
	return n == 0;
}

/* What sock_diag will know the socket by: its local address, and its peer
 * when connected (a listener's, or one still connecting, is known by the
 * local address and the peer it was asked for, or none). */
static void remember_tuple(struct slot *s)
{
	socklen_t l = sizeof s->local, p = sizeof s->peer;
	struct sockaddr_storage peer;
	if (s->fd < 0 || getsockname(s->fd, (struct sockaddr *)&s->local, &l) < 0)
		return;
	s->have_local = port_of(&s->local) != 0;
	if (!getpeername(s->fd, (struct sockaddr *)&peer, &p)) {
		s->peer = peer;
		s->have_peer = 1;
	}
}

void call_socket(struct run *r, const struct step *st, struct outcome *o)
{
	int flags = flags_arg(st), proto = 0;
	for (int i = 2; i < st->nargs; i++)
		if (st->args[i].kind == ARG_INT)
			proto = (int)st->args[i].i;
	int fd = socket((int)st->args[0].i, (int)st->args[1].i | SOCK_CLOEXEC | flags, proto);
	result(o, fd < 0 ? -1 : 0);
	/* a failed socket() leaves the variable with no socket (EBADF next),
	 * not on the one it held before */
	if (st->capture >= 0)
		r->slots[st->capture] = (struct slot){ .fd = fd, .nonblock = !!(flags & SOCK_NONBLOCK) };
	else if (fd >= 0)
		close(fd);
}

void call_bind(struct run *r, const struct step *st, struct outcome *o)
{
	struct sockaddr_storage ss;
	socklen_t len;
	if (addr_arg(r, &st->args[1], &ss, &len) < 0)
		result(o, -1);
	else
		result(o, bind(FD(r, st, 0), (struct sockaddr *)&ss, len));
}

void call_listen(struct run *r, const struct step *st, struct outcome *o)
{
	result(o, listen(FD(r, st, 0), st->nargs > 1 ? (int)int_arg(r, &st->args[1]) : 128));
}

/* A blocking connect is made non-blocking and bounded by poll: the kernel's
 * synchronous answers (EADDRNOTAVAIL, ENETUNREACH) are the same either way. */
static void connect_bounded(struct run *r, struct slot *s, const struct sockaddr_storage *ss,
			    socklen_t len, struct outcome *o)
{
	int flags = fcntl(s->fd, F_GETFL);
	if (!s->nonblock)
		fcntl(s->fd, F_SETFL, flags | O_NONBLOCK);
	int rc = connect(s->fd, (const struct sockaddr *)ss, len);
	if ((rc == 0 || errno == EINPROGRESS) && ss->ss_family != AF_UNSPEC) {
		s->peer = *ss;          /* SYN_SENT has no getpeername() yet */
		s->have_peer = 1;
	}
	result(o, rc);
	if (rc < 0 && errno == EINPROGRESS && !s->nonblock) {
		if (wait_for(r, s->fd, POLLOUT)) {
			o->timed_out = 1;
		} else {
			int err = 0;
			socklen_t el = sizeof err;
			getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el);
			o->ret = err ? -1 : 0;
			o->failed = err != 0;
			o->err = err;
		}
	}
	if (!s->nonblock)
		fcntl(s->fd, F_SETFL, flags);
}

void call_connect(struct run *r, const struct step *st, struct outcome *o)
{
	struct slot *s = SLOT(r, st, 0);
	struct sockaddr_storage ss;
	socklen_t len;
	if (addr_arg(r, &st->args[1], &ss, &len) < 0) {
		result(o, -1);
		return;
	}
	connect_bounded(r, s, &ss, len, o);
	if (ss.ss_family == AF_UNSPEC)
		s->have_peer = 0;       /* disconnected: the 4-tuple is gone */
	remember_tuple(s);
	struct sockaddr_storage local;
	socklen_t ll = sizeof local;
	if (!getsockname(s->fd, (struct sockaddr *)&local, &ll) && port_of(&local))
		addr_text(&local, 1, o->detail, sizeof o->detail);
}

void call_accept(struct run *r, const struct step *st, struct outcome *o)
{
	struct slot *s = SLOT(r, st, 0);
	if (st->capture >= 0 && st->capture != st->args[0].var)
		r->slots[st->capture] = (struct slot){ .fd = -1 };   /* until one comes */
	if (!s->nonblock && wait_for(r, s->fd, POLLIN)) {
		o->timed_out = 1;
		return;
	}
	struct sockaddr_storage peer;
	socklen_t pl = sizeof peer;
	int fd = accept4(s->fd, (struct sockaddr *)&peer, &pl, SOCK_CLOEXEC);
	result(o, fd < 0 ? -1 : 0);
	if (fd < 0)
		return;
	addr_text(&peer, 1, o->detail, sizeof o->detail);
	if (st->capture >= 0) {
		r->slots[st->capture] = (struct slot){ .fd = fd };
		remember_tuple(&r->slots[st->capture]);
	} else {
		close(fd);
	}
}

/* send, sendto: bounded like every call that can block; MSG_DONTWAIT
 * asked for is the kernel's non-blocking answer (EAGAIN) straight away. */
void call_send(struct run *r, const struct step *st, struct outcome *o)
{
	struct slot *s = SLOT(r, st, 0);
	const struct arg *data = &st->args[1];
	struct sockaddr_storage ss;
	socklen_t len = 0;
	int flags = flags_arg(st);
	if (st->nargs > 2 && st->args[2].kind == ARG_ADDR && addr_arg(r, &st->args[2], &ss, &len) < 0) {
		result(o, -1);
		return;
	}
	if (!s->nonblock && !(flags & MSG_DONTWAIT) && !(flags & MSG_FASTOPEN) && wait_for(r, s->fd, POLLOUT)) {
		o->timed_out = 1;
		return;
	}
	result(o, sendto(s->fd, data->str, data->len, MSG_NOSIGNAL | MSG_DONTWAIT | flags,
			 len ? (struct sockaddr *)&ss : NULL, len));
	/* A blocking sendto(MSG_FASTOPEN) without a cookie is a connect()
	 * and then the send: EINPROGRESS is only the non-blocking answer. */
	if (o->failed && o->err == EINPROGRESS && (flags & MSG_FASTOPEN) && !s->nonblock &&
	    !(flags & MSG_DONTWAIT)) {
		if (wait_for(r, s->fd, POLLOUT)) {
			o->timed_out = 1;
			return;
		}
		int err = 0;
		socklen_t el = sizeof err;
		getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el);
		errno = err;
		result(o, err ? -1 : send(s->fd, data->str, data->len, MSG_NOSIGNAL | MSG_DONTWAIT));
	}
	if (flags & MSG_FASTOPEN)
		remember_tuple(s);
}

void call_recv(struct run *r, const struct step *st, struct outcome *o)
{
	struct slot *s = SLOT(r, st, 0);
	int flags = flags_arg(st);
	size_t want = recv_size(r, st);
	char *buf = run_buf(r, want ? want : 1);
	if (!buf) {
		result(o, -1);
		return;
	}
	if (!s->nonblock && !(flags & (MSG_DONTWAIT | MSG_ERRQUEUE)) && wait_for(r, s->fd, POLLIN)) {
		o->timed_out = 1;
		return;
	}
	struct sockaddr_storage peer = { 0 };
	socklen_t pl = sizeof peer;
	ssize_t n = recvfrom(s->fd, buf, want, MSG_DONTWAIT | flags, (struct sockaddr *)&peer, &pl);
	result(o, n);
	if (n < 0)
		return;
	o->data = buf;
	o->truelen = (size_t)n;             /* MSG_TRUNC: the whole, even when more than want */
	o->len = (size_t)n < want ? (size_t)n : want;
	if (st->call->msg && peer.ss_family) {
		o->msg.from = peer;
		o->msg.have |= MI_FROM;
	}
}

void call_shutdown(struct run *r, const struct step *st, struct outcome *o)
{
	result(o, shutdown(FD(r, st, 0), (int)st->args[1].i));
}

void call_close(struct run *r, const struct step *st, struct outcome *o)
{
	struct slot *s = SLOT(r, st, 0);
	remember_tuple(s);
	result(o, close(s->fd));
	s->fd = -1;
}

void call_getname(struct run *r, const struct step *st, struct outcome *o)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len = sizeof ss;
	int rc = !strcmp(st->call->name, "getsockname")
		? getsockname(FD(r, st, 0), (struct sockaddr *)&ss, &len)
		: getpeername(FD(r, st, 0), (struct sockaddr *)&ss, &len);
	result(o, rc < 0 ? -1 : (long)port_of(&ss));
	if (rc == 0)
		addr_text(&ss, 1, o->detail, sizeof o->detail);
}

void call_state(struct run *r, const struct step *st, struct outcome *o)
{
	struct sockaddr_storage local, peer;
	socklen_t len;
	if (st->args[0].kind == ARG_SOCK) {
		struct slot *s = SLOT(r, st, 0);
		remember_tuple(s);
		if (!s->have_local) {
			result(o, 0);       /* never bound: nothing to look for */
			return;
		}
		local = s->local;
		peer = s->peer;
		if (!s->have_peer) {    /* a listener: the peer is the zero address */
			memset(&peer, 0, sizeof peer);
			peer.ss_family = local.ss_family;
		}
	} else if (addr_arg(r, &st->args[0], &local, &len) < 0 || addr_arg(r, &st->args[1], &peer, &len) < 0) {
		result(o, -1);
		return;
	}
	int state = diag_tcp_state(&local, &peer);
	if (state < 0)
		errno = -state;
	result(o, state < 0 ? -1 : state);
	char a[72], b[72];
	addr_text(&local, 1, a, sizeof a);
	addr_text(&peer, 1, b, sizeof b);
	snprintf(o->detail, sizeof o->detail, "%s -> %s", a, b);
}

void call_sleep(struct run *r, const struct step *st, struct outcome *o)
{
	long ms = int_arg(r, &st->args[0]);
	if (ms < 0 || ms > SLEEP_MAX_MS) {     /* from a variable: the parser saw no number */
		errno = EINVAL;
		result(o, -1);
		snprintf(o->detail, sizeof o->detail, "%ld ms is not 0 to %ld", ms, SLEEP_MAX_MS);
		return;
	}
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	result(o, 0);
}

void call_ifindex(struct run *r, const struct step *st, struct outcome *o)
{
	int idx;
	result(o, ifindex_arg(r, &st->args[0], &idx) < 0 ? -1 : idx);
}

int ifindex_arg(const struct run *r, const struct arg *a, int *idx)
{
	if (a->kind != ARG_NAME) {
		*idx = (int)int_arg(r, a);
		return 0;
	}
	/* ENODEV when the host has none by that name, rather than 0, which
	 * means "any" to the kernel */
	*idx = (int)if_nametoindex(a->str);
	if (!*idx)
		errno = ENODEV;
	return *idx ? 0 : -1;
}

int protocol_missing(int proto)
{
	int type = proto == IPPROTO_UDPLITE || proto == IPPROTO_ICMP || proto == IPPROTO_UDP ? SOCK_DGRAM
		: proto == IPPROTO_TCP || proto == IPPROTO_SCTP || proto == IPPROTO_MPTCP ? SOCK_STREAM : SOCK_RAW;
	int fam = proto == IPPROTO_ICMPV6 ? AF_INET6 : AF_INET;
	int fd = socket(fam, type | SOCK_CLOEXEC, proto);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return errno == EPROTONOSUPPORT || errno == ESOCKTNOSUPPORT || errno == EAFNOSUPPORT;
}
