/* spawner: the process that forks the workers and runs the queue.
 *
 * The scheduler forks it once, before the first case, and never forks
 * again. The spawner forks a worker for every case in order, never more
 * than -j alive at once, and starts the next one as soon as it has reaped
 * one. The scheduler hears of each start (with the read end of the
 * worker's record pipe, as SCM_RIGHTS) and each exit (the wait status),
 * and asks for kills on timeout.
 *
 * Why a process of its own: after a fork every page the forking process
 * writes while the child lives is a copy-on-write fault (and on a virtual
 * machine, a TLB flush sent to the other CPUs). The scheduler writes all
 * the time (JSON, records, KTAP); the spawner writes almost nothing. And
 * the next worker starts the moment the last one is reaped, without a
 * round trip through the scheduler.
 *
 * Lifetime: the spawner dies with the scheduler (PDEATHSIG), and every
 * worker with the spawner, so a SIGKILL of netrepro still frees every
 * namespace. It exits by itself once every worker has been reaped. */
#ifndef NETREPRO_SPAWNER_H
#define NETREPRO_SPAWNER_H

#include "case.h"
#include "worker.h"

#include <sys/types.h>

struct spawner {
	pid_t pid;
	int sock;               /* SOCK_SEQPACKET to the spawner; -1 once it is gone */
};

/* Forks the spawner, which runs work(sc[i], o, pipe) for i = 0..n-1, at
 * most jobs at a time. sc and o must stay valid (the spawner keeps its own
 * copy of them from the fork on). Returns -1 with errno set. */
int spawner_open(struct spawner *sp, struct scenario *const *sc, int n, int jobs,
		 const struct worker_opts *o, worker_fn *work);

enum spawner_event_kind {
	SPAWNER_NONE,           /* nothing to read now */
	SPAWNER_STARTED,        /* fd: the read end of the worker's record pipe */
	SPAWNER_FAILED,         /* value: the errno of pipe() or fork() */
	SPAWNER_EXITED,         /* value: the wait status */
	SPAWNER_GONE,           /* the spawner exited or died; nothing follows */
};

struct spawner_event {
	enum spawner_event_kind kind;
	int index;              /* the case */
	int value;
	int fd;
};

/* The next event, without waiting (poll sp->sock for more). */
void spawner_next(struct spawner *sp, struct spawner_event *ev);

/* SIGKILL for the worker of index, if it has not been reaped yet.
 * Returns -1 when the request could not be sent now (try again later). */
int spawner_kill(struct spawner *sp, int index);

/* Ends the spawner (it kills any worker still running) and reaps it. */
void spawner_close(struct spawner *sp);

#endif
