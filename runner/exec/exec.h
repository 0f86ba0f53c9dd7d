/* exec: run a scenario's steps against the kernel and record each answer. */
#ifndef NETREPRO_EXEC_H
#define NETREPRO_EXEC_H

#include <jansson.h>
#include <stddef.h>
#include <sys/socket.h>

#include "case.h"
#include "registry.h"

struct netns_host;

/* What a call came back with. */
struct outcome {
	long ret;               /* the call's value (see enum call_value); -1 on error */
	int failed;             /* the call failed (a value of -1 alone does not say so) */
	int err;                /* errno when failed */
	int timed_out;          /* no answer within the step bound */
	char detail[160];       /* an address, data received: for the record */
	char data[512];         /* recv: the bytes */
	size_t len;
};

struct exec_env {
	struct cond_ctx cond;
	int step_timeout_ms;
	int record_cap;         /* steps recorded before only mismatches are */
	void (*emit)(void *arg, json_t *step);   /* takes the reference */
	void *emit_arg;
};

/* Runs the steps. Returns the number of mismatched steps, or -1 for a fault
 * of our own (reason set). *suppressed: passing steps not recorded (loops,
 * record_cap). */
int exec_steps(const struct scenario *sc, struct netns_host **hosts,
	       const struct exec_env *env, long *suppressed, char *reason, size_t len);

/* The expectation that applies here: the first alternative whose guard
 * holds, or NULL (record only). */
const struct expect *expect_pick(const struct step *st, const struct cond_ctx *ctx);
/* 1 if o is what e asks for; vars holds the integer variables. */
int expect_match(const struct expect *e, const struct outcome *o, const long *vars);
/* Bytes as printable ASCII (\n, \xHH), cut with "..." to fit len; the
 * length written. */
size_t escape_bytes(const char *data, size_t n, char *buf, size_t len);
/* The observed result as the record shows it: "0", "EADDRINUSE", "TIME_WAIT". */
void outcome_text(const struct outcome *o, enum call_value v, char *buf, size_t len);

/* The TCP state of the socket with this 4-tuple in the current network
 * namespace, read with sock_diag: 1..12 as in tbl_tcp_state, 0 when there is
 * none, or a negative errno. */
int diag_tcp_state(const struct sockaddr_storage *local, const struct sockaddr_storage *peer);

#endif
