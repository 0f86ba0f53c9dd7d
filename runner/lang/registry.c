#include "registry.h"

#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
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
	E(ENFILE), E(EMFILE), E(ENOSPC), E(EPIPE), E(ERANGE), E(ENOSYS), E(ENOBUFS),
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
	{ "AF_INET", AF_INET }, { "AF_INET6", AF_INET6 }, { "AF_UNSPEC", AF_UNSPEC }, { NULL, 0 },
};
const struct name_val tbl_socktype[] = {
	{ "SOCK_STREAM", SOCK_STREAM }, { "SOCK_DGRAM", SOCK_DGRAM }, { "SOCK_RAW", SOCK_RAW },
	{ "SOCK_SEQPACKET", SOCK_SEQPACKET }, { NULL, 0 },
};
const struct name_val tbl_proto[] = {
	{ "IPPROTO_TCP", IPPROTO_TCP }, { "IPPROTO_UDP", IPPROTO_UDP },
	{ "IPPROTO_UDPLITE", IPPROTO_UDPLITE }, { "IPPROTO_SCTP", IPPROTO_SCTP },
	{ "IPPROTO_MPTCP", IPPROTO_MPTCP }, { "IPPROTO_ICMP", IPPROTO_ICMP },
	{ "IPPROTO_ICMPV6", IPPROTO_ICMPV6 }, { "IPPROTO_RAW", IPPROTO_RAW },
	{ "IPPROTO_IP", IPPROTO_IP }, { NULL, 0 },
};
const struct name_val tbl_level[] = {
	{ "SOL_SOCKET", SOL_SOCKET }, { "SOL_IP", IPPROTO_IP },
	{ "SOL_IPV6", IPPROTO_IPV6 }, { "SOL_TCP", IPPROTO_TCP }, { "SOL_UDP", IPPROTO_UDP },
	{ "IPPROTO_IP", IPPROTO_IP }, { "IPPROTO_IPV6", IPPROTO_IPV6 },
	{ "IPPROTO_TCP", IPPROTO_TCP }, { "IPPROTO_UDP", IPPROTO_UDP },
	{ "SOL_ICMPV6", IPPROTO_ICMPV6 }, { "IPPROTO_ICMPV6", IPPROTO_ICMPV6 }, { NULL, 0 },
};
const struct name_val tbl_msg_flag[] = {
	{ "MSG_DONTWAIT", MSG_DONTWAIT }, { "MSG_PEEK", MSG_PEEK }, { "MSG_TRUNC", MSG_TRUNC },
	{ "MSG_FASTOPEN", MSG_FASTOPEN }, { "MSG_ERRQUEUE", MSG_ERRQUEUE },
	{ "MSG_WAITALL", MSG_WAITALL }, { "MSG_MORE", MSG_MORE }, { "MSG_CONFIRM", MSG_CONFIRM },
	{ "MSG_DONTROUTE", MSG_DONTROUTE }, { "MSG_OOB", MSG_OOB }, { "MSG_CTRUNC", MSG_CTRUNC },
	{ "MSG_EOR", MSG_EOR }, { NULL, 0 },
};
/* IP_MTU_DISCOVER's values; IPV6_MTU_DISCOVER's are the same numbers. */
const struct name_val tbl_pmtudisc[] = {
	{ "IP_PMTUDISC_DONT", IP_PMTUDISC_DONT }, { "IP_PMTUDISC_WANT", IP_PMTUDISC_WANT },
	{ "IP_PMTUDISC_DO", IP_PMTUDISC_DO }, { "IP_PMTUDISC_PROBE", IP_PMTUDISC_PROBE },
	{ "IP_PMTUDISC_INTERFACE", IP_PMTUDISC_INTERFACE }, { "IP_PMTUDISC_OMIT", IP_PMTUDISC_OMIT },
	{ NULL, 0 },
};
/* struct sock_extended_err's ee_origin (linux/errqueue.h) */
const struct name_val tbl_ee_origin[] = {
	{ "SO_EE_ORIGIN_NONE", 0 }, { "SO_EE_ORIGIN_LOCAL", 1 }, { "SO_EE_ORIGIN_ICMP", 2 },
	{ "SO_EE_ORIGIN_ICMP6", 3 }, { "SO_EE_ORIGIN_TXSTATUS", 4 }, { "SO_EE_ORIGIN_ZEROCOPY", 5 },
	{ "SO_EE_ORIGIN_TXTIME", 6 }, { NULL, 0 },
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

/* Socket options, one row each: name, level, option, value shape, the
 * names its values go by, and a line for `netrepro help options`. */
const struct sockopt_def sockopt_table[] = {
	{ "SO_REUSEADDR", SOL_SOCKET, SO_REUSEADDR, &shape_int, NULL, "bind a port in TIME_WAIT or, for UDP, share it" },
	{ "SO_REUSEPORT", SOL_SOCKET, SO_REUSEPORT, &shape_int, NULL, "several sockets on one address and port" },
	{ "SO_LINGER", SOL_SOCKET, SO_LINGER, &shape_pair, NULL, "close() waits, or resets with 1 0" },
	{ "SO_BROADCAST", SOL_SOCKET, SO_BROADCAST, &shape_int, NULL, "send to a broadcast address" },
	{ "SO_KEEPALIVE", SOL_SOCKET, SO_KEEPALIVE, &shape_int, NULL, "TCP keepalive probes" },
	{ "SO_RCVBUF", SOL_SOCKET, SO_RCVBUF, &shape_int, NULL, "receive buffer (the kernel doubles it)" },
	{ "SO_SNDBUF", SOL_SOCKET, SO_SNDBUF, &shape_int, NULL, "send buffer (the kernel doubles it)" },
	{ "SO_ERROR", SOL_SOCKET, SO_ERROR, &shape_int, tbl_errno, "the pending error, cleared when read" },
	{ "SO_TYPE", SOL_SOCKET, SO_TYPE, &shape_int, tbl_socktype, "the socket's type" },
	{ "SO_DOMAIN", SOL_SOCKET, SO_DOMAIN, &shape_int, tbl_family, "the socket's family" },
	{ "SO_PROTOCOL", SOL_SOCKET, SO_PROTOCOL, &shape_int, tbl_proto, "the socket's protocol" },
	{ "SO_BINDTODEVICE", SOL_SOCKET, SO_BINDTODEVICE, &shape_string, NULL, "only this interface (\"\" unbinds)" },
	{ "SO_BINDTOIFINDEX", SOL_SOCKET, SO_BINDTOIFINDEX, &shape_ifindex, NULL, "only this interface, by index (Linux 5.0)" },
	{ "IPV6_V6ONLY", IPPROTO_IPV6, IPV6_V6ONLY, &shape_int, NULL, "IPv6 only, no v4-mapped addresses" },
	{ "IPV6_JOIN_GROUP", IPPROTO_IPV6, IPV6_JOIN_GROUP, &shape_mreq6, NULL, "join a multicast group" },
	{ "IPV6_LEAVE_GROUP", IPPROTO_IPV6, IPV6_LEAVE_GROUP, &shape_mreq6, NULL, "leave a multicast group" },
	{ "IPV6_MULTICAST_LOOP", IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &shape_int, NULL, "own multicast comes back" },
	{ "IPV6_MULTICAST_HOPS", IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &shape_int, NULL, "hop limit of multicast sent" },
	{ "IPV6_MULTICAST_IF", IPPROTO_IPV6, IPV6_MULTICAST_IF, &shape_ifindex, NULL, "interface multicast leaves by" },
	{ "IPV6_UNICAST_HOPS", IPPROTO_IPV6, IPV6_UNICAST_HOPS, &shape_int, NULL, "hop limit (-1: the route's)" },
	{ "IPV6_MTU_DISCOVER", IPPROTO_IPV6, IPV6_MTU_DISCOVER, &shape_int, tbl_pmtudisc, "path MTU discovery: DONT, WANT, DO, PROBE ..." },
	{ "IPV6_MTU", IPPROTO_IPV6, IPV6_MTU, &shape_int, NULL, "the path MTU of a connected socket" },
	{ "IPV6_RECVERR", IPPROTO_IPV6, IPV6_RECVERR, &shape_int, NULL, "queue errors (ICMPv6) for recverr()" },
	{ "IPV6_RECVPKTINFO", IPPROTO_IPV6, IPV6_RECVPKTINFO, &shape_int, NULL, "recvmsg() gets the destination and interface" },
	{ "IPV6_RECVHOPLIMIT", IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &shape_int, NULL, "recvmsg() gets the hop limit" },
	{ "IPV6_TCLASS", IPPROTO_IPV6, IPV6_TCLASS, &shape_int, NULL, "traffic class of what is sent" },
	{ "IPV6_RECVTCLASS", IPPROTO_IPV6, IPV6_RECVTCLASS, &shape_int, NULL, "recvmsg() gets the traffic class" },
	{ "IPV6_FREEBIND", IPPROTO_IPV6, 78 /* Linux 4.15 */, &shape_int, NULL, "bind an address the host lacks" },
	{ "IP_ADD_MEMBERSHIP", IPPROTO_IP, IP_ADD_MEMBERSHIP, &shape_mreqn, NULL, "join a multicast group" },
	{ "IP_DROP_MEMBERSHIP", IPPROTO_IP, IP_DROP_MEMBERSHIP, &shape_mreqn, NULL, "leave a multicast group" },
	{ "IP_MULTICAST_IF", IPPROTO_IP, IP_MULTICAST_IF, &shape_mcast_if, NULL, "interface multicast leaves by" },
	{ "IP_MULTICAST_LOOP", IPPROTO_IP, IP_MULTICAST_LOOP, &shape_int, NULL, "own multicast comes back" },
	{ "IP_MULTICAST_TTL", IPPROTO_IP, IP_MULTICAST_TTL, &shape_int, NULL, "TTL of multicast sent" },
	{ "IP_MULTICAST_ALL", IPPROTO_IP, IP_MULTICAST_ALL, &shape_int, NULL, "receive every group any socket joined" },
	{ "IP_TTL", IPPROTO_IP, IP_TTL, &shape_int, NULL, "TTL of what is sent" },
	{ "IP_TOS", IPPROTO_IP, IP_TOS, &shape_int, NULL, "TOS byte of what is sent" },
	{ "IP_MTU_DISCOVER", IPPROTO_IP, IP_MTU_DISCOVER, &shape_int, tbl_pmtudisc, "path MTU discovery: DONT, WANT, DO, PROBE ..." },
	{ "IP_MTU", IPPROTO_IP, IP_MTU, &shape_int, NULL, "the path MTU of a connected socket" },
	{ "IP_RECVERR", IPPROTO_IP, IP_RECVERR, &shape_int, NULL, "queue errors (ICMP, local) for recverr()" },
	{ "IP_PKTINFO", IPPROTO_IP, IP_PKTINFO, &shape_int, NULL, "recvmsg() gets the destination and interface" },
	{ "IP_RECVTTL", IPPROTO_IP, IP_RECVTTL, &shape_int, NULL, "recvmsg() gets the TTL" },
	{ "IP_RECVTOS", IPPROTO_IP, IP_RECVTOS, &shape_int, NULL, "recvmsg() gets the TOS byte" },
	{ "IP_BIND_ADDRESS_NO_PORT", IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &shape_int, NULL, "bind(port 0) picks the port at connect" },
	{ "IP_FREEBIND", IPPROTO_IP, IP_FREEBIND, &shape_int, NULL, "bind an address the host lacks" },
	{ "IP_TRANSPARENT", IPPROTO_IP, IP_TRANSPARENT, &shape_int, NULL, "bind and send as any address (TPROXY)" },
	{ "IP_LOCAL_PORT_RANGE", IPPROTO_IP, IP_LOCAL_PORT_RANGE, &shape_range, NULL, "this socket's ephemeral ports (Linux 6.3)" },
	{ "TCP_NODELAY", IPPROTO_TCP, TCP_NODELAY, &shape_int, NULL, "no Nagle delay" },
	{ "TCP_LINGER2", IPPROTO_TCP, TCP_LINGER2, &shape_int, NULL, "FIN_WAIT2 lifetime, seconds" },
	{ "TCP_SYNCNT", IPPROTO_TCP, TCP_SYNCNT, &shape_int, NULL, "SYN retransmissions before giving up" },
	{ "TCP_FASTOPEN", IPPROTO_TCP, TCP_FASTOPEN, &shape_int, NULL, "a listener's TFO queue length" },
	{ "TCP_FASTOPEN_CONNECT", IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &shape_int, NULL, "connect() defers the SYN to carry data" },
	{ "UDP_SEGMENT", IPPROTO_UDP, UDP_SEGMENT, &shape_int, NULL, "GSO: one send, datagrams of this size" },
	{ "ICMP6_FILTER", IPPROTO_ICMPV6, ICMP6_FILTER, &shape_icmp6_filter, NULL, "a raw ICMPv6 socket receives only these types" },
	{ NULL, 0, 0, NULL, NULL, NULL },
};

/* Calls, one row each: name, signature, value, handler. */
const struct call_def call_table[] = {
	{ "socket", "FT[RN", "FAMILY, TYPE[, PROTO][, NONBLOCK]", VAL_SOCK, call_socket, "a socket: INET|INET6, STREAM|DGRAM|RAW|SEQPACKET, TCP|UDP|UDPLITE|SCTP|MPTCP|ICMP|ICMPV6 or a number", 0, NULL },
	{ "bind", "sA", "s, ADDR:PORT", VAL_ZERO, call_bind, "bind to an address", 0, NULL },
	{ "listen", "s[i", "s[, BACKLOG]", VAL_ZERO, call_listen, "listen (backlog 128)", 0, NULL },
	{ "connect", "sC", "s, ADDR:PORT|UNSPEC", VAL_ZERO, call_connect, "connect (bounded by the step timeout); UNSPEC disconnects", 0, NULL },
	{ "accept", "s", "s", VAL_SOCK, call_accept, "accept a connection (bounded)", 0, NULL },
	{ "send", "sq*f", "s, \"DATA\"[, FLAG...]", VAL_COUNT, call_send, "send data", 0, NULL },
	{ "sendto", "sqA*f", "s, \"DATA\", ADDR:PORT[, FLAG...]", VAL_COUNT, call_send, "send data to an address", 0, NULL },
	{ "sendmsg", "sq[A*K", "s, \"DATA\"[, ADDR:PORT][, from ADDR][, dev IF][, ttl N][, hoplimit N][, tos N][, segment N][, FLAG...]", VAL_COUNT, call_sendmsg, "send with ancillary data: source address or interface (PKTINFO), TTL, hop limit, TOS, UDP_SEGMENT", 0, NULL },
	{ "recv", "s[i*f", "s[, SIZE][, FLAG...]", VAL_DATA, call_recv, "receive (size 65536): the data", 0, NULL },
	{ "recvfrom", "s[i*f", "s[, SIZE][, FLAG...]", VAL_DATA, call_recv, "receive: the data and the sender (from)", 1, NULL },
	{ "recvmsg", "s[i*f", "s[, SIZE][, FLAG...]", VAL_DATA, call_recvmsg, "receive with ancillary data: from, to, dev, ttl, tos, len", 1, NULL },
	{ "recverr", "s*f", "s[, DONTWAIT]", VAL_ERR, call_recverr, "one error from the error queue (waits, bounded, for one to come unless DONTWAIT): errno, from, origin, icmp type and code, info", 1, NULL },
	{ "shutdown", "sH", "s, RD|WR|RDWR", VAL_ZERO, call_shutdown, "shut a direction down", 0, NULL },
	{ "close", "s", "s", VAL_ZERO, call_close, "close the socket", 0, NULL },
	{ "getsockname", "s", "s", VAL_PORT, call_getname, "the local port (address in the record)", 0, NULL },
	{ "getpeername", "s", "s", VAL_PORT, call_getname, "the peer's port (address in the record)", 0, NULL },
	{ "setsockopt", "sO", "s, [LEVEL,] OPTION, VALUE...", VAL_ZERO, call_setsockopt, "set an option (see help options)", 0, NULL },
	{ "getsockopt", "so", "s, [LEVEL,] OPTION", VAL_OPT, call_getsockopt, "read an option, in its shape", 0, NULL },
	{ "state", "S", "s | LOCAL:PORT, PEER:PORT", VAL_STATE, call_state, "the TCP state, through sock_diag", 0, NULL },
	{ "ifindex", "n", "IF", VAL_NUMBER, call_ifindex, "the interface's index in the step's host (ENODEV: none); a scope `%$i`", 0, NULL },
	{ "packets", "hB", "HOST:IF|HOST, \"FILTER\"", VAL_NUMBER, call_packets, "frames captured so far (a `capture` line) that match a pcap filter; waits, bounded, for the count the step expects", 0, NULL },
	{ "sysctl", "Y[i", "net.NAME[, FIELD]", VAL_SYSCTL, call_sysctl, "read a sysctl in the step's host (in place: this namespace): = \"TEXT\", = LO HI for two numbers, or the first number (FIELD: the n-th) for predicates and captures", 0, NULL },
	{ "sleep", "M", "MS", VAL_ZERO, call_sleep, "wait (at most a day)", 0, NULL },
	{ "exec", "X", "-- PROGRAM ARG...", VAL_EXIT, call_exec, "run a program in the host, contained: root there, nobody on the machine (only with --allow-exec)", 0, NULL },
	{ NULL, NULL, NULL, VAL_ZERO, NULL, NULL, 0, NULL },
};
const struct name_val tbl_dad[] = {
	{ "done", 0 }, { "dadfailed", 1 }, { "tentative", 2 }, { NULL, 0 },
};
const struct call_def call_topology_def = { "topology", "", "", VAL_ZERO, call_topology,
	"a topology line run as a step", 0, NULL };
const struct call_def call_wait_def = { "wait", "", "", VAL_NUMBER, call_wait,
	"wait HOST:IF dad: until no IPv6 address there is tentative", 0, tbl_dad };

/* An entry matches its full name or what follows one of its '_': "INET"
 * for AF_INET, "STREAM" for SOCK_STREAM, "DO" for IP_PMTUDISC_DO. */
static int name_matches(const char *entry, const char *name)
{
	if (!strcasecmp(entry, name))
		return 1;
	for (const char *us = strchr(entry, '_'); us; us = strchr(us + 1, '_'))
		if (!strcasecmp(us + 1, name))
			return 1;
	return 0;
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
	for (const struct sockopt_def *d = sockopt_table; d->name; d++)
		if (!strcasecmp(d->name, name))
			return d;
	return NULL;
}

const struct call_def *call_find(const char *name)
{
	for (const struct call_def *c = call_table; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static const char *value_name(enum call_value v)
{
	static const char *const names[] = {
		[VAL_ZERO] = "0", [VAL_SOCK] = "a socket", [VAL_COUNT] = "bytes sent",
		[VAL_DATA] = "the data", [VAL_PORT] = "a port", [VAL_OPT] = "the option's value",
		[VAL_STATE] = "a TCP state", [VAL_EXIT] = "exit status", [VAL_ERR] = "an errno", [VAL_NUMBER] = "a number", [VAL_SYSCTL] = "its value",
	};
	return names[v];
}

/* s, with a Markdown table's cell separator escaped when md. */
static void put(FILE *f, const char *s, int md)
{
	for (; *s; s++) {
		if (md && *s == '|')
			fputc('\\', f);
		fputc(*s, f);
	}
}

void registry_print_calls(FILE *f, int md)
{
	for (const struct call_def *c = call_table; c->name; c++) {
		/* exec is a statement: exec -- PROGRAM ARG... */
		const char *open = strcmp(c->sig, "X") ? "(" : " ", *close = strcmp(c->sig, "X") ? ")" : "";
		fputs(md ? "| `" : "", f);
		fprintf(f, "%s%s", c->name, open);
		put(f, c->written, md);
		fprintf(f, md ? "%s` | %s | " : "%s\n    value: %s; ", close, value_name(c->value));
		put(f, c->summary, md);
		fputs(md ? " |\n" : "\n", f);
	}
}

/* "DONT|WANT|DO": the short names an option's values go by. */
static void print_names(FILE *f, const struct name_val *t, int md)
{
	if (t == tbl_errno) {
		fputs("0 or an errno name", f);
		return;
	}
	for (const struct name_val *n = t; n->name; n++) {
		if (n != t)
			put(f, "|", md);
		fputs(strrchr(n->name, '_') + 1, f);
	}
}

void registry_print_options(FILE *f, int md)
{
	for (const struct sockopt_def *d = sockopt_table; d->name; d++) {
		const char *lvl = strchr(table_name(tbl_level, d->level), '_') + 1;
		fprintf(f, md ? "| `%s` | %s | " : "%-24s %-7s ", d->name, lvl);
		if (d->names)
			print_names(f, d->names, md);
		else
			put(f, d->shape->written, md);
		fprintf(f, md ? " (%s%s) | %s |\n" : " (%s%s)\n    %s\n", d->shape->name,
			d->shape->out == OUT_NONE ? ", set only" : "", d->summary);
	}
}
