/* spawner: the process that forks the workers.
 *
 * The scheduler forks it once, before the first case, and from then on
 * never forks itself: it asks the spawner for a worker and gets back the
 * worker's pid and the read end of its record pipe. The spawner reaps the
 * workers and passes their wait statuses on.
 *
 * Why a process of its own: after a fork every page the parent writes while
 * the child lives is a copy-on-write fault (and on a virtual machine, a TLB
 * flush sent to the other CPUs). The scheduler writes all the time (JSON,
 * records, KTAP); the spawner writes almost nothing between two forks. It
 * was the largest part of netrepro's own cost per case in `make bench`.
 *
 * Lifetime: the spawner dies with the scheduler (PDEATHSIG), and every
 * worker with the spawner, so a SIGKILL of netrepro still frees every
 * namespace. */
#ifndef NETREPRO_SPAWNER_H
#define NETREPRO_SPAWNER_H

#include "case.h"
#include "worker.h"

#include <sys/types.h>     /* pid_t */

#define SPAWNER_MAX_EXITS 128

struct spawner {
	pid_t pid;
	int sock;               /* SOCK_SEQPACKET to the spawner; -1 once it is gone */
	/* wait statuses that came in while the scheduler waited for a start */
	struct spawner_exit { int index, status; } exits[SPAWNER_MAX_EXITS];
	int nexits;
};

/* Forks the spawner; its workers run work(sc[index], o, pipe). sc and o
 * must stay valid (the spawner keeps its own copy of them from the fork
 * on). Returns -1 with errno set. */
int spawner_open(struct spawner *sp, struct scenario *const *sc, const struct worker_opts *o,
		 worker_fn *work);

/* A worker for sc[index]: *fd is the read end of its record pipe.
 * Returns -1 with errno set when no worker could be made (errno EPIPE when
 * the spawner is gone). */
int spawner_start(struct spawner *sp, int index, int *fd);

/* SIGKILL for the worker of index, if it has not been reaped yet. */
void spawner_kill(struct spawner *sp, int index);

/* Reads what the spawner sent (call when sp->sock is readable) and takes
 * one exit: returns 1 with *index and *status, 0 when there is none, -1
 * when the spawner is gone (its workers are dead: PDEATHSIG). */
int spawner_take_exit(struct spawner *sp, int *index, int *status);

/* Ends the spawner (it kills any worker still running) and reaps it. */
void spawner_close(struct spawner *sp);

#endif
