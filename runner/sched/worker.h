/* worker: one scenario, in a forked process of its own. It builds the
 * topology in fresh namespaces, runs the steps and streams the record to the
 * scheduler as JSON lines on a pipe, made and read by the record module
 * (record.h: record_step_line, record_result_line, record_case_take_line).
 * A worker that dies before its result line is reported by the scheduler. */
#ifndef NETREPRO_WORKER_H
#define NETREPRO_WORKER_H

#include "case.h"

struct worker_opts {
	int step_timeout_ms;
	struct kver kernel;     /* what `kernel` conditions compare with */
	const char *platform;   /* "linux", "wsl1", "wsl2" */
	int allow_exec;         /* --allow-exec: cases may run programs */
	int in_place;           /* --in-place: no namespace, the one netrepro started in */
	const char *no_netns;   /* namespaces cannot be made here: why (every case SKIPs), or NULL */
	const char *capture_dir;    /* pcap files are written under it, or NULL */
	const char *capture_name;   /* what the record calls that folder */
};

/* Exhaustion cases hold thousands of sockets: as many descriptors as the
 * system allows (fs.nr_open) when the hard limit may be raised (root; a
 * QEMU guest's init starts with 4096), else up to the hard limit. Called
 * once by the scheduler before its first fork: every worker inherits it. */
void worker_raise_nofile(void);

/* What runs in a worker process; returns the process's exit status. */
typedef int worker_fn(const struct scenario *sc, const struct worker_opts *o, int outfd);

/* The real one: the case, in fresh namespaces. */
worker_fn worker_main;

#endif
