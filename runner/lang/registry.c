#include "registry.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#ifndef IP_LOCAL_PORT_RANGE
#define IP_LOCAL_PORT_RANGE 51  /* Linux 6.3; older headers lack it */
#endif
#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define E(x) { #x, x }
const struct name_val tbl_errno[] = {
	E(EPERM), E(ENOENT), E(EINTR), E(EIO), E(EBADF), E(EAGAIN), E(ENOMEM),
	E(EACCES), E(EFAULT), E(EBUSY), E(EEXIST), E(ENODEV), E(EINVAL),
	E(ENFILE), E(EMFILE), E(ENOSPC), E(EPIPE), E(ENOSYS), E(ENOBUFS),
	E(ENOTSOCK), E(EDESTADDRREQ), E(EMSGSIZE), E(EPROTOTYPE),
	E(ENOPROTOOPT), E(EPROTONOSUPPORT), E(ESOCKTNOSUPPORT), E(EOPNOTSUPP),
	E(EPFNOSUPPORT), E(EAFNOSUPPORT), E(EADDRINUSE), E(EADDRNOTAVAIL),
	E(ENETDOWN), E(ENETUNREACH), E(ENETRESET), E(ECONNABORTED),
	E(ECONNRESET), E(EISCONN), E(ENOTCONN), E(ESHUTDOWN), E(ETIMEDOUT),
	E(ECONNREFUSED), E(EHOSTDOWN), E(EHOSTUNREACH), E(EALREADY),
	E(EINPROGRESS), E(ENONET), E(ENOTSUP), E(EWOULDBLOCK),
	{ NULL, 0 },
};

const struct name_val tbl_family[] = {
	{ "AF_INET", AF_INET }, { "AF_INET6", AF_INET6 }, { NULL, 0 },
};
const struct name_val tbl_socktype[] = {
	{ "SOCK_STREAM", SOCK_STREAM }, { "SOCK_DGRAM", SOCK_DGRAM }, { NULL, 0 },
};
const struct name_val tbl_level[] = {
	{ "SOL_SOCKET", SOL_SOCKET }, { "SOL_IP", IPPROTO_IP },
	{ "SOL_IPV6", IPPROTO_IPV6 }, { "SOL_TCP", IPPROTO_TCP },
	{ "IPPROTO_IP", IPPROTO_IP }, { "IPPROTO_IPV6", IPPROTO_IPV6 },
	{ "IPPROTO_TCP", IPPROTO_TCP }, { NULL, 0 },
};
const struct name_val tbl_shut[] = {
	{ "SHUT_RD", SHUT_RD }, { "SHUT_WR", SHUT_WR }, { "SHUT_RDWR", SHUT_RDWR },
	{ NULL, 0 },
};
/* Values as sock_diag reports them (include/net/tcp_states.h); 0 is ours:
 * no socket with that 4-tuple. */
const struct name_val tbl_tcp_state[] = {
	{ "NONE", 0 }, { "ESTABLISHED", 1 }, { "SYN_SENT", 2 }, { "SYN_RECV", 3 },
	{ "FIN_WAIT1", 4 }, { "FIN_WAIT2", 5 }, { "TIME_WAIT", 6 }, { "CLOSE", 7 },
	{ "CLOSE_WAIT", 8 }, { "LAST_ACK", 9 }, { "LISTEN", 10 }, { "CLOSING", 11 },
	{ "NEW_SYN_RECV", 12 }, { NULL, 0 },
};

static const struct sockopt_def sockopts[] = {
	{ "SO_REUSEADDR", SOL_SOCKET, SO_REUSEADDR, OV_INT },
	{ "SO_REUSEPORT", SOL_SOCKET, SO_REUSEPORT, OV_INT },
	{ "SO_LINGER", SOL_SOCKET, SO_LINGER, OV_LINGER },
	{ "SO_BROADCAST", SOL_SOCKET, SO_BROADCAST, OV_INT },
	{ "SO_KEEPALIVE", SOL_SOCKET, SO_KEEPALIVE, OV_INT },
	{ "SO_RCVBUF", SOL_SOCKET, SO_RCVBUF, OV_INT },
	{ "SO_SNDBUF", SOL_SOCKET, SO_SNDBUF, OV_INT },
	{ "SO_ERROR", SOL_SOCKET, SO_ERROR, OV_INT },
	{ "SO_TYPE", SOL_SOCKET, SO_TYPE, OV_INT },
	{ "IPV6_V6ONLY", IPPROTO_IPV6, IPV6_V6ONLY, OV_INT },
	{ "IPV6_JOIN_GROUP", IPPROTO_IPV6, IPV6_JOIN_GROUP, OV_MREQ6 },
	{ "IPV6_LEAVE_GROUP", IPPROTO_IPV6, IPV6_LEAVE_GROUP, OV_MREQ6 },
	{ "IPV6_MULTICAST_LOOP", IPPROTO_IPV6, IPV6_MULTICAST_LOOP, OV_INT },
	{ "IPV6_MULTICAST_HOPS", IPPROTO_IPV6, IPV6_MULTICAST_HOPS, OV_INT },
	{ "IPV6_MULTICAST_IF", IPPROTO_IPV6, IPV6_MULTICAST_IF, OV_IFINDEX },
	{ "IPV6_FREEBIND", IPPROTO_IPV6, 78 /* Linux 4.15 */, OV_INT },
	{ "IP_ADD_MEMBERSHIP", IPPROTO_IP, IP_ADD_MEMBERSHIP, OV_MREQ },
	{ "IP_DROP_MEMBERSHIP", IPPROTO_IP, IP_DROP_MEMBERSHIP, OV_MREQ },
	{ "IP_MULTICAST_IF", IPPROTO_IP, IP_MULTICAST_IF, OV_INADDR },
	{ "IP_MULTICAST_LOOP", IPPROTO_IP, IP_MULTICAST_LOOP, OV_INT },
	{ "IP_MULTICAST_TTL", IPPROTO_IP, IP_MULTICAST_TTL, OV_INT },
	{ "IP_MULTICAST_ALL", IPPROTO_IP, IP_MULTICAST_ALL, OV_INT },
	{ "IP_TTL", IPPROTO_IP, IP_TTL, OV_INT },
	{ "IP_BIND_ADDRESS_NO_PORT", IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, OV_INT },
	{ "IP_FREEBIND", IPPROTO_IP, IP_FREEBIND, OV_INT },
	{ "IP_TRANSPARENT", IPPROTO_IP, IP_TRANSPARENT, OV_INT },
	{ "IP_LOCAL_PORT_RANGE", IPPROTO_IP, IP_LOCAL_PORT_RANGE, OV_RANGE },
	{ "TCP_NODELAY", IPPROTO_TCP, TCP_NODELAY, OV_INT },
	{ "TCP_LINGER2", IPPROTO_TCP, TCP_LINGER2, OV_INT },
	{ "TCP_SYNCNT", IPPROTO_TCP, TCP_SYNCNT, OV_INT },
	{ NULL, 0, 0, OV_INT },
};

static const struct call_def calls[] = {
	{ "socket", CALL_SOCKET, "FT[N", VAL_SOCK },
	{ "bind", CALL_BIND, "sA", VAL_ZERO },
	{ "listen", CALL_LISTEN, "s[i", VAL_ZERO },
	{ "connect", CALL_CONNECT, "sA", VAL_ZERO },
	{ "accept", CALL_ACCEPT, "s", VAL_SOCK },
	{ "send", CALL_SEND, "sq", VAL_COUNT },
	{ "sendto", CALL_SENDTO, "sqA", VAL_COUNT },
	{ "recv", CALL_RECV, "s[i", VAL_DATA },
	{ "recvfrom", CALL_RECVFROM, "s[i", VAL_DATA },
	{ "shutdown", CALL_SHUTDOWN, "sH", VAL_ZERO },
	{ "close", CALL_CLOSE, "s", VAL_ZERO },
	{ "getsockname", CALL_GETSOCKNAME, "s", VAL_PORT },
	{ "getpeername", CALL_GETPEERNAME, "s", VAL_PORT },
	{ "setsockopt", CALL_SETSOCKOPT, "sO", VAL_ZERO },
	{ "getsockopt", CALL_GETSOCKOPT, "so", VAL_OPT },
	{ "state", CALL_STATE, "S", VAL_STATE },
	{ "sleep", CALL_SLEEP, "i", VAL_ZERO },
	{ "exec", CALL_EXEC, "X", VAL_EXIT },
	{ NULL, 0, NULL, VAL_ZERO },
};

/* An entry matches its full name or the name without the prefix up to its
 * first '_': "INET" for AF_INET, "STREAM" for SOCK_STREAM. */
static int name_matches(const char *entry, const char *name)
{
	if (!strcasecmp(entry, name))
		return 1;
	const char *us = strchr(entry, '_');
	return us && !strcasecmp(us + 1, name);
}

long table_find(const struct name_val *t, const char *name, int *found)
{
	for (; t->name; t++)
		if (name_matches(t->name, name)) {
			*found = 1;
			return t->val;
		}
	*found = 0;
	return 0;
}

const char *table_name(const struct name_val *t, long val)
{
	for (; t->name; t++)
		if (t->val == val)
			return t->name;
	return NULL;
}

const char *errno_name(int e)
{
	/* EAGAIN == EWOULDBLOCK and ENOTSUP == EOPNOTSUPP on Linux: the first
	 * row wins, so the record always says the same name. */
	const char *n = table_name(tbl_errno, e);
	if (n)
		return n;
	n = strerrorname_np(e);
	return n ? n : "E?";
}

const struct sockopt_def *sockopt_find(const char *name)
{
	for (const struct sockopt_def *d = sockopts; d->name; d++)
		if (!strcasecmp(d->name, name))
			return d;
	return NULL;
}

const struct call_def *call_find(const char *name)
{
	for (const struct call_def *c = calls; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}
