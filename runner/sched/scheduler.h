/* scheduler: one forked worker per scenario, at most `jobs` at a time, each
 * bounded by a timeout; results handed back in the order given. */
#ifndef NETREPRO_SCHEDULER_H
#define NETREPRO_SCHEDULER_H

#include <jansson.h>

#include "case.h"
#include "worker.h"

struct sched_opts {
	int jobs;
	double timeout_s;
	int progress;           /* a progress line on stderr */
	struct worker_opts worker;
	/* What a worker runs: worker_main when NULL (tests give their own). */
	worker_fn *work;
	/* Called once per scenario, in input order, with its case record
	 * (the callee does not own it). */
	void (*done)(void *arg, int index, json_t *rec);
	void *arg;
	/* Set (by a signal handler) to stop: running cases are killed, no
	 * more start, and sched_run returns with what finished. NULL: never. */
	volatile int *stop;
};

/* Status lines at the foot of a terminal's stderr, redrawn in place (each
 * cut to the screen's width, so none wraps); shown: how many are on the
 * screen now, 0 at first. Erase them before anything else is printed. */
struct progress {
	int shown;
};
void progress_draw(struct progress *p, const char *const *lines, int n);
void progress_erase(struct progress *p);

/* The case record without results: id, file, title, refs, variant. */
json_t *sched_case_base(const struct scenario *sc);

/* Fills recs[i] (new references) for every scenario; a scenario whose
 * worker cannot be started is an ERROR record saying why. */
void sched_run(struct scenario *const *sc, int n, const struct sched_opts *o, json_t **recs);

#endif
