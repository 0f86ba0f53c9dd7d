/* Private to exec.c and exec_calls.c. */
#ifndef NETREPRO_EXEC_INT_H
#define NETREPRO_EXEC_INT_H

#include "exec.h"

/* A socket variable. The addresses survive close() so that state(s) can
 * still find the 4-tuple, e.g. in TIME_WAIT. */
struct slot {
	int fd;
	int nonblock;
	struct sockaddr_storage local, peer;
	int have_local;         /* bound: a local address to look for */
	int have_peer;          /* connected, or connecting: the peer is known */
};

struct run {
	const struct scenario *sc;
	struct netns_host **hosts;
	const struct exec_env *env;
	long *vals;             /* integer variables, by slot */
	struct slot *slots;     /* socket variables, by slot */
	int cur_host;
	int quiet;              /* inside `repeat until error`: only failures */
	int mismatches, recorded;
	long suppressed;
	char iter[128];         /* "p=40003,#2": where in the loops we are */
	char *reason;
	size_t reasonlen;
};

void call_run(struct run *r, const struct step *st, struct outcome *o);
/* exec_prog.c: `exec -- PROGRAM ARG...` */
void exec_program(struct run *r, const struct step *st, struct outcome *o);
/* exec_calls.c: 0 when fd is ready for events, 1 when the step bound passed */
int wait_for(const struct run *r, int fd, short events);

#endif
