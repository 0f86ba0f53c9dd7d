/* The scheduler: hears of workers from the spawner, reads their records,
 * times them out, collects. */
#include "scheduler.h"

#include "clock.h"
#include "record.h"
#include "spawner.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { JOB_WAITING, JOB_RUNNING, JOB_OVER };

struct job {
	int state;              /* JOB_WAITING, JOB_RUNNING, JOB_OVER */
	int fd;                 /* the record pipe; -1 after its end of file */
	int reaped, status;     /* the wait status, from the spawner */
	double start;
	int killed;             /* by us, for the timeout */
	char *buf;
	size_t len, cap;
	json_t *rec;
	int have_result;
};

json_t *sched_case_base(const struct scenario *sc)
{
	struct case_info ci = {
		.id = sc->id, .file = sc->file, .title = sc->title, .source = sc->source,
		.refs = (const char *const *)sc->refs, .nrefs = sc->nrefs,
		.variant_names = (const char *const *)sc->variant_names,
		.variant_values = (const char *const *)sc->variant_values, .nvariants = sc->nvariants,
		.nondeterministic = sc->nondeterministic,
	};
	return record_case(&ci);
}

/* Reads what is there; returns 1 at end of file. */
static int drain(struct job *j)
{
	if (j->cap - j->len < 4096) {
		j->cap = j->cap * 2 + 8192;
		j->buf = realloc(j->buf, j->cap);
	}
	ssize_t n = read(j->fd, j->buf + j->len, j->cap - j->len - 1);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : 1;
	j->len += (size_t)n;
	j->buf[j->len] = '\0';
	char *nl, *s = j->buf;
	while ((nl = strchr(s, '\n'))) {
		*nl = '\0';
		j->have_result |= record_case_take_line(j->rec, s);
		s = nl + 1;
	}
	j->len -= (size_t)(s - j->buf);
	memmove(j->buf, s, j->len);
	return n == 0;
}

/* Without a result the case is still the ERROR it was made as. */
static void finish(struct job *j, const struct sched_opts *o)
{
	int status = j->status;
	enum status st = record_case_status(j->rec);
	char reason[160] = "";
	if (j->reaped < 0) {
		snprintf(reason, sizeof reason, "worker lost: netrepro's spawner process died");
		st = ST_ERROR;
	} else if (j->killed && !j->have_result) {
		/* (killed after its result: hung on the way out, an ERROR below) */
		st = ST_TIMEOUT;
		snprintf(reason, sizeof reason, "no result within %g s", o->timeout_s);
	} else if (!j->have_result && WIFSIGNALED(status)) {
		snprintf(reason, sizeof reason, "worker killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	} else if (!j->have_result) {
		snprintf(reason, sizeof reason, "worker exited with status %d before its result",
			 WEXITSTATUS(status));
	} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		/* a result, then a crash on the way out (a sanitizer's report,
		 * say): the result cannot be trusted */
		st = ST_ERROR;
		snprintf(reason, sizeof reason, "worker %s %d after its result",
			 WIFSIGNALED(status) ? "killed by signal" : "exited with status",
			 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	}
	record_case_close(j->rec, st, reason[0] ? reason : NULL, clock_now() - j->start);
	free(j->buf);
}

struct sched {
	struct scenario *const *sc;
	int n;
	const struct sched_opts *o;
	json_t **recs;
	struct job *job;        /* one per case */
	int *active;            /* the cases started and not over */
	int nactive, finished, reported;
	struct spawner sp;
	struct progress line;
};

/* The progress line on a terminal's stderr: "[3/8] seed/x". */
static void progress(struct sched *S, const char *id)
{
	if (!S->o->progress)
		return;
	char text[512];
	snprintf(text, sizeof text, "[%d/%d] %s", S->finished, S->n, id ? id : "");
	progress_draw(&S->line, (const char *const[]){ text }, 1);
}

static void over(struct sched *S, int index, json_t *rec)
{
	S->recs[index] = rec;
	S->job[index].state = JOB_OVER;
	S->finished++;
	progress(S, NULL);
}

/* A case that got no worker (pipe or fork failed, no spawner) is an ERROR;
 * the others still get their turn. */
static void not_started(struct sched *S, int index, const char *why)
{
	char reason[160];
	snprintf(reason, sizeof reason, "cannot start a worker: %s", why);
	json_t *rec = sched_case_base(S->sc[index]);
	record_case_close(rec, ST_ERROR, reason, 0);
	over(S, index, rec);
}

static void started(struct sched *S, const struct spawner_event *ev)
{
	struct job *j = &S->job[ev->index];
	j->state = JOB_RUNNING;
	j->fd = ev->fd;
	j->start = clock_now();
	j->rec = sched_case_base(S->sc[ev->index]);
	S->active[S->nactive++] = ev->index;
	progress(S, S->sc[ev->index]->id);
}

/* What the spawner said. When it is gone, every running case without an
 * exit status is lost, and every case it did not start is an ERROR. */
static void take_events(struct sched *S)
{
	struct spawner_event ev;
	for (spawner_next(&S->sp, &ev); ev.kind != SPAWNER_NONE; spawner_next(&S->sp, &ev)) {
		struct job *j = ev.index >= 0 && ev.index < S->n ? &S->job[ev.index] : NULL;
		if (ev.kind == SPAWNER_GONE)
			break;
		if (ev.kind == SPAWNER_STARTED && j && j->state == JOB_WAITING)
			started(S, &ev);
		else if (ev.kind == SPAWNER_STARTED)
			close(ev.fd);
		else if (ev.kind == SPAWNER_FAILED && j && j->state == JOB_WAITING)
			not_started(S, ev.index, strerror(ev.value));
		else if (ev.kind == SPAWNER_EXITED && j && j->state == JOB_RUNNING)
			j->reaped = 1, j->status = ev.value;
	}
	if (ev.kind != SPAWNER_GONE)
		return;
	for (int i = 0; i < S->n; i++)
		if (S->job[i].state == JOB_RUNNING && !S->job[i].reaped)
			S->job[i].reaped = -1;
		else if (S->job[i].state == JOB_WAITING)
			not_started(S, i, "netrepro's spawner process died");
}

/* A running case is over when its pipe is at end of file and its wait
 * status is in. */
static void job_over(struct sched *S, int a)
{
	int index = S->active[a];
	struct job *j = &S->job[index];
	if (j->fd >= 0 || !j->reaped)
		return;
	finish(j, S->o);
	over(S, index, j->rec);
	j->rec = NULL;
	S->active[a] = S->active[--S->nactive];
}

/* One wait for pipes, the spawner and timeouts, and what follows. */
static void wait_round(struct sched *S)
{
	struct pollfd pf[S->nactive + 1];
	int wait_ms = 1000;
	double t = clock_now();
	for (int a = 0; a < S->nactive; a++) {
		struct job *j = &S->job[S->active[a]];
		pf[a] = (struct pollfd){ .fd = j->fd, .events = POLLIN };
		if (!j->killed) {
			int left = (int)((j->start + S->o->timeout_s - t) * 1000) + 1;
			wait_ms = left < wait_ms ? (left < 0 ? 0 : left) : wait_ms;
		}
	}
	pf[S->nactive] = (struct pollfd){ .fd = S->sp.sock, .events = POLLIN };
	if (poll(pf, (nfds_t)S->nactive + 1, wait_ms) < 0) {
		if (errno != EINTR)
			usleep(10000);  /* ENOMEM: no busy loop; the timeouts still run */
		return;
	}
	int ns = S->nactive;    /* the cases the spawner starts now are not in pf */
	if (pf[ns].revents)
		take_events(S);
	t = clock_now();
	for (int a = ns - 1; a >= 0; a--) {
		struct job *j = &S->job[S->active[a]];
		/* a worker whose pipe is at end of file has exited or is
		 * exiting: its status is on the way, there is nothing to kill */
		if (!j->killed && j->fd >= 0 && t - j->start > S->o->timeout_s)
			j->killed = spawner_kill(&S->sp, S->active[a]) == 0;
		if (j->fd >= 0 && (pf[a].revents & (POLLIN | POLLHUP | POLLERR)) && drain(j)) {
			close(j->fd);
			j->fd = -1;
		}
		job_over(S, a);
	}
}

/* Hands over the records that are complete, in input order. */
static void report_ready(struct sched *S)
{
	for (; S->reported < S->n && S->recs[S->reported]; S->reported++)
		if (S->o->done) {
			if (S->o->progress)	/* stdout may be the same terminal */
				progress_erase(&S->line);
			S->o->done(S->o->arg, S->reported, S->recs[S->reported]);
			fflush(stdout);
			progress(S, NULL);
		}
}

void sched_run(struct scenario *const *sc, int n, const struct sched_opts *o, json_t **recs)
{
	struct sched S = { .sc = sc, .n = n, .o = o, .recs = recs };
	S.job = calloc((size_t)n + 1, sizeof *S.job);
	S.active = calloc((size_t)n + 1, sizeof *S.active);
	for (int i = 0; i < n; i++)
		recs[i] = NULL;
	worker_raise_nofile();
	if (spawner_open(&S.sp, sc, n, o->jobs, &o->worker, o->work ? o->work : worker_main) < 0) {
		const char *why = strerror(errno);
		for (int i = 0; i < n; i++)
			not_started(&S, i, why);
	}
	report_ready(&S);       /* no spawner: every case is over already */
	while (S.finished < n && !(o->stop && *o->stop)) {
		wait_round(&S);
		report_ready(&S);
	}
	for (int a = 0; a < S.nactive && o->stop && *o->stop; a++)
		spawner_kill(&S.sp, S.active[a]);       /* stopped: nothing left running */
	spawner_close(&S.sp);
	if (o->progress)
		progress_erase(&S.line);
	free(S.active);
	free(S.job);
}
