/* tables: every name a case file may use, as data. Adding an errno, a socket
 * option or a call is one row here (and, for a call, one function in
 * exec_calls.c). */
#ifndef NETREPRO_TABLES_H
#define NETREPRO_TABLES_H

#include <stddef.h>

struct name_val { const char *name; long val; };

/* Value of name in a table ending with {NULL, 0}; 0 and *found = 0 if absent.
 * A name may be written with or without the table's prefix ("SO_" ...). */
long table_find(const struct name_val *t, const char *name, int *found);
const char *table_name(const struct name_val *t, long val);

extern const struct name_val tbl_errno[];
extern const struct name_val tbl_family[];     /* INET, INET6 */
extern const struct name_val tbl_socktype[];   /* STREAM, DGRAM */
extern const struct name_val tbl_level[];      /* SOCKET, IP, IPV6, TCP */
extern const struct name_val tbl_shut[];       /* RD, WR, RDWR */
extern const struct name_val tbl_tcp_state[];  /* ESTABLISHED ... NONE */

const char *errno_name(int e);                 /* "EADDRINUSE", or "E<n>" */

/* How a socket option's value is written in a case and passed to the kernel. */
enum optval_kind {
	OV_INT,     /* 1 */
	OV_LINGER,  /* onoff, seconds */
	OV_MREQ,    /* group, interface address [, device]: struct ip_mreqn */
	OV_MREQ6,   /* group, device (or index): struct ipv6_mreq */
	OV_INADDR,  /* an IPv4 address: struct in_addr */
	OV_RANGE,   /* lo, hi: IP_LOCAL_PORT_RANGE's u32 (hi << 16 | lo) */
	OV_IFINDEX, /* a device name or index: an int ifindex */
};
struct sockopt_def {
	const char *name;
	int level;
	int opt;
	enum optval_kind kind;
};
const struct sockopt_def *sockopt_find(const char *name);

/* Calls. sig describes the arguments, one letter each, checked by the parser:
 *   s socket   A address:port   P ip address   F family   T type
 *   i integer  q "string"       O option name and value   o option name
 *   H shutdown how   N NONBLOCK flag   S state target (socket, or two addresses)
 *   X a program and its arguments after "--" (exec, a statement of its own)
 * and '[' makes the rest optional. */
enum call_id {
	CALL_SOCKET, CALL_BIND, CALL_LISTEN, CALL_CONNECT, CALL_ACCEPT,
	CALL_SEND, CALL_SENDTO, CALL_RECV, CALL_RECVFROM, CALL_SHUTDOWN,
	CALL_CLOSE, CALL_GETSOCKNAME, CALL_GETPEERNAME, CALL_SETSOCKOPT,
	CALL_GETSOCKOPT, CALL_STATE, CALL_SLEEP, CALL_EXEC,
};
/* What a successful call's value is, and so what a capture receives. */
/* VAL_DATA: a byte count, shown as the bytes themselves. VAL_EXIT: a
 * program's exit status (its output goes to the record's detail). */
enum call_value { VAL_ZERO, VAL_SOCK, VAL_COUNT, VAL_DATA, VAL_PORT, VAL_OPT, VAL_STATE, VAL_EXIT };
struct call_def {
	const char *name;
	enum call_id id;
	const char *sig;
	enum call_value value;
};
const struct call_def *call_find(const char *name);

#endif
