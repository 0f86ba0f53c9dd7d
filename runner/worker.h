/* worker: one scenario, in a forked process of its own. It builds the
 * topology in fresh namespaces, runs the steps and streams the record to the
 * scheduler as JSON lines on a pipe:
 *   {"step": {...}}                      one per recorded step, as it happens
 *   {"result": {"status": "PASS", "reason": null, "suppressed": 0}}   last
 * A worker that dies before its result line is reported by the scheduler. */
#ifndef NETREPRO_WORKER_H
#define NETREPRO_WORKER_H

#include "case.h"

struct worker_opts {
	int step_timeout_ms;
	struct kver kernel;     /* what `kernel` conditions compare with */
	const char *platform;   /* "linux", "wsl1", "wsl2" */
	int allow_exec;         /* --allow-exec: cases may run programs */
};

/* Runs in the child; returns the exit status for it. */
int worker_main(const struct scenario *sc, const struct worker_opts *o, int outfd);

#endif
