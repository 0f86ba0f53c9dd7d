/* exec: run a scenario's steps against the kernel and record each answer. */
#ifndef NETREPRO_EXEC_H
#define NETREPRO_EXEC_H

#include <jansson.h>
#include <stddef.h>
#include <sys/socket.h>

#include "case.h"
#include "record.h"
#include "registry.h"

struct netns_host;

/* What came with a message (recvfrom, recvmsg) or a queued error
 * (recverr): each part is there when its MI_ bit is set in have. */
enum { MI_FROM = 1, MI_TO = 2, MI_DEV = 4, MI_TTL = 8, MI_TOS = 16, MI_EE = 32, MI_OFFENDER = 64 };
struct msg_info {
	unsigned have;
	struct sockaddr_storage from, to, offender;
	char dev[16];           /* the interface it came in by (PKTINFO) */
	int ttl, tos;
	int flags;              /* msg_flags: MSG_TRUNC, MSG_CTRUNC */
	struct { unsigned err, info; int origin, type, code; } ee;
};

/* What a call came back with. */
struct outcome {
	long ret;               /* the call's value (see enum call_value); -1 on error */
	int failed;             /* the call failed (a value of -1 alone does not say so) */
	int err;                /* errno when failed */
	int timed_out;          /* no answer within the step bound */
	int val_errno;          /* ret is an errno (recverr, SO_ERROR): errno names compare with it */
	long pair[2];           /* an option's two numbers */
	char *data;             /* bytes received, an option's text, a program's output */
	size_t len;             /* bytes in data */
	size_t truelen;         /* what the kernel said the whole was (MSG_TRUNC), else len */
	struct msg_info msg;
	char detail[256];       /* an address, a 4-tuple: for the record */
	int fault;              /* not the kernel's answer but our failure (detail says
				 * which): the case is an ERROR */
};

struct exec_env {
	struct cond_ctx cond;
	int step_timeout_ms;
	int record_cap;         /* steps recorded before only mismatches are */
	int fail_cap;           /* mismatches recorded: a loop of them must not fill the record */
	void (*emit)(void *arg, json_t *step);   /* takes the reference */
	void *emit_arg;
	const char *capture_dir;    /* pcap files go to DIR/CASE/; NULL: none written */
	const char *capture_name;   /* what the record calls DIR (relative to the record) */
	json_t *captures;           /* filled with what each capture saw (array), or NULL */
	json_t *bugs;               /* filled with each known bug's fix: "has" or "fixed" (object), or NULL */
	int exec_in_userns;         /* the worker is in the user namespace that owns the hosts,
				     * whose root is nobody (or the user) outside: `exec` runs
				     * programs in it; 0 (in place): in a new one each */
};

/* What exec_steps counted besides the mismatches. */
struct exec_counts {
	long suppressed;        /* passing steps not recorded (loops, record_cap) */
	long failed_suppressed; /* mismatches not recorded, past fail_cap */
	int known_bugs;         /* steps that showed a known kernel bug */
};

/* Runs the steps. Returns the number of mismatched steps (recorded or
 * not), or -1 for a fault of our own (reason set). */
int exec_steps(const struct scenario *sc, struct netns_host **hosts,
	       const struct exec_env *env, struct exec_counts *counts, char *reason, size_t len);

/* The expectation that applies here: the first alternative whose guard
 * holds, or NULL (record only). */
const struct expect *expect_pick(const struct step *st, const struct cond_ctx *ctx);
/* What a step's answer means, known kernel bugs included. The picked
 * alternative is the first whose guard holds. When it is a `bug` answer
 * (this kernel is in the bug's range), the answer passes as a known bug
 * when it is that answer, and as correct, "fixed", when it is the first
 * correct alternative's. Otherwise the pick decides; and where the
 * alternative picked on SOME kernel (every `kernel` test holding) is a bug
 * answer, a correct answer says the bug is fixed here, and the bug's
 * answer that this kernel has it all the same (outside its range). */
struct verdict {
	const struct expect *e;     /* what the record shows as expected; NULL: record only */
	int ok;                     /* not a failure (a known bug is not one) */
	enum bug_state bug_state;
	const char *bug;            /* the bug's fix, when bug_state is set */
	int in_range;
};
void expect_judge(const struct step *st, const struct cond_ctx *ctx, const struct outcome *o,
		  const long *vars, struct verdict *v);

/* 1 when every answer of e leaves the value to the kernel (a predicate,
 * ok, a captured $value): the record marks the step kernel_picks. */
int expect_loose(const struct expect *e);
/* 1 if o is what e asks for; vars holds the integer variables. */
int expect_match(const struct expect *e, const struct outcome *o, const long *vars);
/* The observed result as the record shows it, in the words an expectation
 * uses: "0", "EADDRINUSE", "TIME_WAIT", "40000 40007", "\"ping\" from
 * 10.0.1.2:4000 ttl 63", "EHOSTUNREACH from 10.0.2.1 icmp 11 0". st gives
 * the shape (its call, its option); as_data shows the data whatever the
 * call. The details shown are those e checks (all of them without e), so
 * that what the kernel picks (a source port) is compared only when a case
 * asks for it. Allocated; NULL without memory. */
char *outcome_text(const struct outcome *o, const struct step *st, int as_data, const struct expect *e);
/* Every detail of a message or queued error, " from 10.0.1.2:4000 ttl 63"
 * ("" for other calls). Allocated; NULL without memory. */
char *outcome_details(const struct outcome *o, const struct step *st);
/* "10.0.1.1:80", "[fe80::1%2]:80"; with_port 0: the address alone. */
void addr_text(const struct sockaddr_storage *ss, int with_port, char *buf, size_t len);

/* netem on a host's interface, or off (exec_topo.c): 0 or a negative errno. */
struct topo_netem;
int topology_netem(struct netns_host *h, const struct topo_netem *t, char *err);

/* 1 when this kernel (in the current network namespace) has no socket of
 * the protocol: EPROTONOSUPPORT, a module neither built in nor loadable. */
int protocol_missing(int proto);

/* The TCP state of the socket with this 4-tuple in the current network
 * namespace, read with sock_diag: 1..12 as in tbl_tcp_state, 0 when there is
 * none, or a negative errno. */
int diag_tcp_state(const struct sockaddr_storage *local, const struct sockaddr_storage *peer);

#endif
