/* One function per call of the scenario language. Each fills an outcome:
 * the call's value, or -1 and errno, or timed_out when a call that would block
 * gave no answer within the step bound. */
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

#define SLOT(r, st, i) (&(r)->slots[(st)->args[i].var])
#define FD(r, st, i) (SLOT(r, st, i)->fd)

static void result(struct outcome *o, long ret)
{
	o->ret = ret < 0 ? -1 : ret;
	o->failed = ret < 0;
	o->err = ret < 0 ? errno : 0;
}

static long int_arg(const struct run *r, const struct arg *a)
{
	return a->kind == ARG_VAR ? r->vals[a->var] : a->i;
}

/* The address with its port filled in from a variable if need be. */
static socklen_t addr_arg(const struct run *r, const struct arg *a, struct sockaddr_storage *ss)
{
	*ss = a->addr.ss;
	if (a->addr.port_var >= 0)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)r->vals[a->addr.port_var]);
	return a->addr.len;
}

static void addr_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
		snprintf(buf, len, "[%s]:%u", ip, ntohs(in6->sin6_port));
	} else {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
		snprintf(buf, len, "%s:%u", ip, ntohs(in->sin_port));
	}
}

static unsigned port_of(const struct sockaddr_storage *ss)
{
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

/* Wait until fd is ready for events, within the step bound. 0 ready, 1 timed out. */
int wait_for(const struct run *r, int fd, short events)
{
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

static void do_socket(struct run *r, const struct step *st, struct outcome *o)
{
	int nonblock = st->nargs > 2;
	int fd = socket((int)st->args[0].i, (int)st->args[1].i | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
	result(o, fd < 0 ? -1 : 0);
	/* a failed socket() leaves the variable with no socket (EBADF next),
	 * not on the one it held before */
	if (st->capture >= 0)
		r->slots[st->capture] = (struct slot){ .fd = fd, .nonblock = nonblock };
	else if (fd >= 0)
		close(fd);
}

static void do_bind(struct run *r, const struct step *st, struct outcome *o)
{
	struct sockaddr_storage ss;
	socklen_t len = addr_arg(r, &st->args[1], &ss);
	result(o, bind(FD(r, st, 0), (struct sockaddr *)&ss, len));
}

static void do_listen(struct run *r, const struct step *st, struct outcome *o)
{
	result(o, listen(FD(r, st, 0), st->nargs > 1 ? (int)int_arg(r, &st->args[1]) : 128));
}

/* A blocking connect is made non-blocking and bounded by poll: the kernel's
 * synchronous answers (EADDRNOTAVAIL, ENETUNREACH) are the same either way. */
static void do_connect(struct run *r, const struct step *st, struct outcome *o)
{
	struct slot *s = SLOT(r, st, 0);
	struct sockaddr_storage ss;
	socklen_t len = addr_arg(r, &st->args[1], &ss);
	int flags = fcntl(s->fd, F_GETFL);
	if (!s->nonblock)
		fcntl(s->fd, F_SETFL, flags | O_NONBLOCK);
	int rc = connect(s->fd, (struct sockaddr *)&ss, len);
	if (rc == 0 || errno == EINPROGRESS) {
		s->peer = ss;           /* SYN_SENT has no getpeername() yet */
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
	remember_tuple(s);
	struct sockaddr_storage local;
	socklen_t ll = sizeof local;
	if (!getsockname(s->fd, (struct sockaddr *)&local, &ll) && port_of(&local))
		addr_text(&local, o->detail, sizeof o->detail);
}

static void do_accept(struct run *r, const struct step *st, struct outcome *o)
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
	addr_text(&peer, o->detail, sizeof o->detail);
	if (st->capture >= 0) {
		r->slots[st->capture] = (struct slot){ .fd = fd };
		remember_tuple(&r->slots[st->capture]);
	} else {
		close(fd);
	}
}

static void do_send(struct run *r, const struct step *st, struct outcome *o)
{
	struct slot *s = SLOT(r, st, 0);
	const struct arg *data = &st->args[1];
	struct sockaddr_storage ss;
	socklen_t len = st->nargs > 2 ? addr_arg(r, &st->args[2], &ss) : 0;
	if (!s->nonblock && wait_for(r, s->fd, POLLOUT)) {
		o->timed_out = 1;
		return;
	}
	result(o, sendto(s->fd, data->str, data->len, MSG_NOSIGNAL | MSG_DONTWAIT,
			 len ? (struct sockaddr *)&ss : NULL, len));
}

static void do_recv(struct run *r, const struct step *st, struct outcome *o)
{
	struct slot *s = SLOT(r, st, 0);
	size_t want = st->nargs > 1 ? (size_t)int_arg(r, &st->args[1]) : sizeof o->data;
	if (want > sizeof o->data)
		want = sizeof o->data;
	if (!s->nonblock && wait_for(r, s->fd, POLLIN)) {
		o->timed_out = 1;
		return;
	}
	struct sockaddr_storage peer = { 0 };
	socklen_t pl = sizeof peer;
	ssize_t n = recvfrom(s->fd, o->data, want, MSG_DONTWAIT, (struct sockaddr *)&peer, &pl);
	result(o, n);
	if (n < 0)
		return;
	o->len = (size_t)n;
	if (st->call->id == CALL_RECVFROM && peer.ss_family)
		addr_text(&peer, o->detail, sizeof o->detail);
}

static void do_shutdown(struct run *r, const struct step *st, struct outcome *o)
{
	result(o, shutdown(FD(r, st, 0), (int)st->args[1].i));
}

static void do_close(struct run *r, const struct step *st, struct outcome *o)
{
	struct slot *s = SLOT(r, st, 0);
	remember_tuple(s);
	result(o, close(s->fd));
	s->fd = -1;
}

static void do_getname(struct run *r, const struct step *st, struct outcome *o)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len = sizeof ss;
	int rc = st->call->id == CALL_GETSOCKNAME
		? getsockname(FD(r, st, 0), (struct sockaddr *)&ss, &len)
		: getpeername(FD(r, st, 0), (struct sockaddr *)&ss, &len);
	result(o, rc < 0 ? -1 : (long)port_of(&ss));
	if (rc == 0)
		addr_text(&ss, o->detail, sizeof o->detail);
}

static void do_state(struct run *r, const struct step *st, struct outcome *o)
{
	struct sockaddr_storage local, peer;
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
	} else {
		addr_arg(r, &st->args[0], &local);
		addr_arg(r, &st->args[1], &peer);
	}
	int state = diag_tcp_state(&local, &peer);
	if (state < 0)
		errno = -state;
	result(o, state < 0 ? -1 : state);
	char a[72], b[72];
	addr_text(&local, a, sizeof a);
	addr_text(&peer, b, sizeof b);
	snprintf(o->detail, sizeof o->detail, "%s -> %s", a, b);
}

static void do_sleep(struct run *r, const struct step *st, struct outcome *o)
{
	long ms = int_arg(r, &st->args[0]);
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	result(o, 0);
}

static void do_getsockopt(struct run *r, const struct step *st, struct outcome *o)
{
	const struct sockopt_def *d = sockopt_find(st->args[1].str);
	int v = 0;
	socklen_t len = sizeof v;
	int rc = getsockopt(FD(r, st, 0), d->level, d->opt, &v, &len);
	result(o, rc);
	if (rc == 0)
		o->ret = v;     /* an option's value may itself be -1 */
}

static void do_setsockopt(struct run *r, const struct step *st, struct outcome *o);

static void (*const calls[])(struct run *, const struct step *, struct outcome *) = {
	[CALL_SOCKET] = do_socket, [CALL_BIND] = do_bind, [CALL_LISTEN] = do_listen,
	[CALL_CONNECT] = do_connect, [CALL_ACCEPT] = do_accept, [CALL_SEND] = do_send,
	[CALL_SENDTO] = do_send, [CALL_RECV] = do_recv, [CALL_RECVFROM] = do_recv,
	[CALL_SHUTDOWN] = do_shutdown, [CALL_CLOSE] = do_close,
	[CALL_GETSOCKNAME] = do_getname, [CALL_GETPEERNAME] = do_getname,
	[CALL_SETSOCKOPT] = do_setsockopt, [CALL_GETSOCKOPT] = do_getsockopt,
	[CALL_STATE] = do_state, [CALL_SLEEP] = do_sleep, [CALL_EXEC] = exec_program,
};

void call_run(struct run *r, const struct step *st, struct outcome *o)
{
	calls[st->call->id](r, st, o);
}

/* A device argument: a name looked up in the current host (ENODEV when it
 * has none by that name, rather than 0, which means "any" to the kernel),
 * or an index. */
static int ifindex_arg(const struct run *r, const struct arg *a, int *idx)
{
	if (a->kind != ARG_NAME) {
		*idx = (int)int_arg(r, a);
		return 0;
	}
	*idx = (int)if_nametoindex(a->str);
	if (!*idx)
		errno = ENODEV;
	return *idx ? 0 : -1;
}

/* setsockopt's value, built in the option's shape (enum optval_kind). */
static void do_setsockopt(struct run *r, const struct step *st, struct outcome *o)
{
	const struct sockopt_def *d = sockopt_find(st->args[1].str);
	const struct arg *v = &st->args[2];
	union {
		int i;
		struct linger l;
		struct ip_mreqn mreq;
		struct ipv6_mreq mreq6;
		struct in_addr in;
		unsigned u;
	} val;
	socklen_t len = 0;
	memset(&val, 0, sizeof val);
	const struct sockaddr_in *g4 = (const struct sockaddr_in *)&v->addr.ss;
	switch (d->kind) {
	case OV_INT: val.i = (int)int_arg(r, v); len = sizeof val.i; break;
	case OV_LINGER:
		val.l = (struct linger){ (int)int_arg(r, v), (int)int_arg(r, v + 1) };
		len = sizeof val.l;
		break;
	case OV_MREQ:
		val.mreq.imr_multiaddr = g4->sin_addr;
		val.mreq.imr_address = ((const struct sockaddr_in *)&v[1].addr.ss)->sin_addr;
		if (st->nargs > 4 && ifindex_arg(r, v + 2, &val.mreq.imr_ifindex) < 0) {
			result(o, -1);
			return;
		}
		len = sizeof val.mreq;
		break;
	case OV_MREQ6: {
		int idx;
		if (ifindex_arg(r, v + 1, &idx) < 0) {
			result(o, -1);
			return;
		}
		val.mreq6.ipv6mr_multiaddr = ((const struct sockaddr_in6 *)&v->addr.ss)->sin6_addr;
		val.mreq6.ipv6mr_interface = (unsigned)idx;
		len = sizeof val.mreq6;
		break;
	}
	case OV_INADDR: val.in = g4->sin_addr; len = sizeof val.in; break;
	case OV_IFINDEX:
		if (ifindex_arg(r, v, &val.i) < 0) {
			result(o, -1);
			return;
		}
		len = sizeof val.i;
		break;
	case OV_RANGE:
		val.u = (unsigned)int_arg(r, v + 1) << 16 | ((unsigned)int_arg(r, v) & 0xffff);
		len = sizeof val.u;
		break;
	}
	result(o, setsockopt(FD(r, st, 0), d->level, d->opt, &val, len));
}
