/* registry: every name a case file may use, as data. A call is one row of
 * the call table, a socket option one row of the option table; values
 * that share a layout (an int, a pair, a struct, a string) share one value
 * shape. `netrepro help calls|options` and the README's lists are printed
 * from these rows. */
#ifndef NETREPRO_REGISTRY_H
#define NETREPRO_REGISTRY_H

#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>

struct name_val { const char *name; long val; };

/* Value of name in a table ending with {NULL, 0}; 0 and *found = 0 if absent.
 * A name may be written with or without the table's prefix ("SO_" ...). */
long table_find(const struct name_val *t, const char *name, int *found);
const char *table_name(const struct name_val *t, long val);

extern const struct name_val tbl_errno[];
extern const struct name_val tbl_family[];     /* INET, INET6, UNSPEC */
extern const struct name_val tbl_socktype[];   /* STREAM, DGRAM, RAW, SEQPACKET */
extern const struct name_val tbl_proto[];      /* TCP, UDP, ... ICMPV6 */
extern const struct name_val tbl_level[];      /* SOCKET, IP, IPV6, TCP, UDP */
extern const struct name_val tbl_shut[];       /* RD, WR, RDWR */
extern const struct name_val tbl_tcp_state[];  /* ESTABLISHED ... NONE */
extern const struct name_val tbl_msg_flag[];   /* DONTWAIT, PEEK, TRUNC ... */
extern const struct name_val tbl_pmtudisc[];   /* DONT, WANT, DO, PROBE ... */
extern const struct name_val tbl_ee_origin[];  /* NONE, LOCAL, ICMP, ICMP6 */

const char *errno_name(int e);                 /* "EADDRINUSE", or "E<n>" */

struct run;
struct step;
struct outcome;

/* What a getsockopt gives back, and so what its expectation looks like. */
enum value_out {
	OUT_NONE,   /* write-only: getsockopt is refused at parse time */
	OUT_INT,    /* a number (named through the option's table, if any) */
	OUT_PAIR,   /* two numbers: "= 1 5" */
	OUT_STR,    /* text: "= \"eth0\"" */
	OUT_ADDR,   /* an address: "= 10.0.1.1" */
};

/* A value shape: how an option's value is written in a case (sig, as the
 * call signatures below), laid out for the kernel (encode) and read back
 * (decode). encode returns the length, or -1 with errno set (ENODEV: no
 * such interface in this host). */
struct value_shape {
	const char *name;           /* "int", "pair", ... for help */
	const char *written;        /* "N", "ON, SECONDS", ... for help */
	const char *sig;
	enum value_out out;
	int (*encode)(struct run *r, const struct step *st, int first, void *buf, size_t cap);
	void (*decode)(const void *buf, socklen_t len, struct outcome *o);
};

extern const struct value_shape shape_int, shape_pair, shape_range, shape_string,
	shape_ifindex, shape_mreqn, shape_mreq6, shape_mcast_if, shape_icmp6_filter;

struct sockopt_def {
	const char *name;
	int level;
	int opt;
	const struct value_shape *shape;
	const struct name_val *names;   /* OUT_INT values by name (DO, INET6, ECONNREFUSED) */
	const char *summary;
};
const struct sockopt_def *sockopt_find(const char *name);
extern const struct sockopt_def sockopt_table[];  /* ends with a NULL name */

/* Calls. sig describes the arguments, one letter each, checked by the
 * parser; an argument is what stands between two commas:
 *   s socket   A address:port   C address:port or UNSPEC   P ip address
 *   F family   T type   R protocol (name or number)   N NONBLOCK
 *   i integer  M milliseconds, 0 to a day (SLEEP_MAX_MS)  q "string" (or "string" * N)   n interface name or index
 *   O option name and value   o option name
 *   H shutdown how   S state target (socket, or two addresses)
 *   h a capture point: HOST:IF, or HOST (all its interfaces)
 *   Y a net.* sysctl name
 *   B a pcap filter expression, "..."
 *   f a message flag   K a message flag or a `from|dev|ttl|hoplimit|tos|
 *   segment VALUE` ancillary item   X a program and its arguments after "--"
 * '[' makes the rest optional (an optional argument that does not fit its
 * letter is tried against the next one); '*' before a letter: any number. */
#define SLEEP_MAX_MS 86400000L   /* a day, as the longest run timeout */

enum call_value {
	VAL_ZERO,   /* 0; a capture gets 0, or the errno when it fails */
	VAL_SOCK,   /* a new socket */
	VAL_COUNT,  /* a byte count */
	VAL_DATA,   /* bytes received, shown as the bytes */
	VAL_PORT,   /* a port (getsockname) */
	VAL_OPT,    /* an option's value, in the option's shape */
	VAL_STATE,  /* a TCP state */
	VAL_EXIT,   /* a program's exit status (its output is kept) */
	VAL_ERR,    /* an errno taken from the socket (recverr) */
	VAL_NUMBER, /* a number (an interface index) */
	VAL_SYSCTL, /* a sysctl's text; its numbers compare as a pair, or the first alone */
};
typedef void call_fn(struct run *r, const struct step *st, struct outcome *o);
struct call_def {
	const char *name;
	const char *sig;
	const char *written;        /* the arguments as help shows them */
	enum call_value value;
	call_fn *run;
	const char *summary;
	int msg;                    /* its outcome has message details (from, to, ttl ...) */
	const struct name_val *names; /* VAL_NUMBER values by name (wait: done, tentative ...) */
};
const struct call_def *call_find(const char *name);
extern const struct call_def call_table[];        /* ends with a NULL name */
/* Not in the table (they have no call syntax): a topology line run as a
 * step, and `wait HOST:IF dad`. */
extern const struct call_def call_topology_def, call_wait_def;
extern const struct name_val tbl_dad[];        /* done, dadfailed, tentative */

/* The registry as text: `netrepro help calls` / `help options`. md: the
 * README's Markdown lists, which a test compares with the README. */
void registry_print_calls(FILE *f, int md);
void registry_print_options(FILE *f, int md);

/* Handlers, in runner/exec/. */
call_fn call_socket, call_bind, call_listen, call_connect, call_accept, call_send,
	call_recv, call_sendmsg, call_recvmsg, call_recverr, call_shutdown, call_close,
	call_getname, call_setsockopt, call_getsockopt, call_state, call_sleep, call_exec, call_ifindex,
	call_packets, call_topology, call_wait, call_sysctl;

#endif
