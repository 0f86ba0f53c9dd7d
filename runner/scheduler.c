/* The scheduler: start workers (through the spawner), stream, time out,
 * collect. */
#include "scheduler.h"

#include "clock.h"
#include "spawner.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct job {
	int busy;
	int index;
	int fd;                 /* the record pipe; -1 after its end of file */
	int reaped, status;     /* the wait status, from the spawner */
	double start;
	int killed;             /* by us, for the timeout */
	char *buf;
	size_t len, cap;
	json_t *rec;
	int have_result;
};

/* A JSON string even for bytes that are not UTF-8 (a file name): those
 * become '?', so a record is never lost to one odd byte. */
static json_t *text(const char *s)
{
	json_t *j = s ? json_string(s) : json_null();
	if (j)
		return j;
	char *copy = strdup(s);
	for (char *c = copy; *c; c++)
		if ((unsigned char)*c >= 0x80 || (unsigned char)*c < 0x20)
			*c = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

json_t *sched_case_base(const struct scenario *sc)
{
	json_t *refs = json_array(), *variant = json_object();
	for (int i = 0; i < sc->nrefs; i++)
		json_array_append_new(refs, text(sc->refs[i]));
	for (int i = 0; i < sc->nvariants; i++)
		json_object_set_new(variant, sc->variant_names[i], text(sc->variant_values[i]));
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:s, s:f, s:n, s:o, s:[]}",
			 "id", text(sc->id), "file", text(sc->file), "title", text(sc->title), "refs", refs,
			 "variant", variant, "status", "ERROR", "duration_s", 0.0, "reason",
			 "source", text(sc->source), "steps");
}

static int start(struct job *j, struct spawner *sp, const struct scenario *sc)
{
	if (spawner_start(sp, j->index, &j->fd) < 0)
		return -1;
	j->start = clock_now();
	j->rec = sched_case_base(sc);
	return 0;
}

static void take_line(struct job *j, const char *line)
{
	json_t *msg = json_loads(line, 0, NULL), *v;
	if (!msg)
		return;
	if ((v = json_object_get(msg, "step")))
		json_array_append(json_object_get(j->rec, "steps"), v);
	if ((v = json_object_get(msg, "result"))) {
		json_object_update(j->rec, v);
		j->have_result = 1;
	}
	json_decref(msg);
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
		take_line(j, s);
		s = nl + 1;
	}
	j->len -= (size_t)(s - j->buf);
	memmove(j->buf, s, j->len);
	return n == 0;
}

static void finish(struct job *j, const struct sched_opts *o)
{
	int status = j->status;
	char reason[160] = "";
	if (j->reaped < 0) {
		snprintf(reason, sizeof reason, "worker lost: netrepro's spawner process died");
		if (j->have_result)
			json_object_set_new(j->rec, "status", json_string("ERROR"));
	} else if (j->killed) {
		json_object_set_new(j->rec, "status", json_string("TIMEOUT"));
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
		json_object_set_new(j->rec, "status", json_string("ERROR"));
		snprintf(reason, sizeof reason, "worker %s %d after its result",
			 WIFSIGNALED(status) ? "killed by signal" : "exited with status",
			 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	}
	if (reason[0])
		json_object_set_new(j->rec, "reason", json_string(reason));
	json_object_set_new(j->rec, "duration_s", json_real(clock_now() - j->start));
	free(j->buf);
}

static void progress(const struct sched_opts *o, int done, int n, const char *id)
{
	if (o->progress)
		fprintf(stderr, "\r\033[K[%d/%d] %s", done, n, id ? id : "");
}

struct sched {
	struct scenario *const *sc;
	int n;
	const struct sched_opts *o;
	json_t **recs;
	struct job *run;
	int jobs;               /* -j: entries in run */
	int next, finished, reported;
	struct spawner sp;
	int no_spawner;         /* errno when the spawner could not be made */
};

/* A job is over when its pipe is at end of file and its wait status is in. */
static void job_over(struct sched *S, struct job *j)
{
	if (!j->busy || j->fd >= 0 || !j->reaped)
		return;
	finish(j, S->o);
	S->recs[j->index] = j->rec;
	j->rec = NULL;
	j->busy = 0;
	S->finished++;
	progress(S->o, S->finished, S->n, NULL);
}

/* Takes the wait statuses the spawner sent; when it is gone, every job
 * still waiting for one is lost. */
static void take_exits(struct sched *S)
{
	int index, status, got;
	while ((got = spawner_take_exit(&S->sp, &index, &status)) > 0)
		for (int s = 0; s < S->jobs; s++)
			if (S->run[s].busy && S->run[s].index == index) {
				S->run[s].reaped = 1;
				S->run[s].status = status;
			}
	if (got < 0)
		for (int s = 0; s < S->jobs; s++)
			if (S->run[s].busy && !S->run[s].reaped)
				S->run[s].reaped = -1;
}

/* Starts cases while fewer than -j run. */
static void start_some(struct sched *S)
{
	for (int s = 0; s < S->jobs && S->next < S->n; s++) {
		struct job *j = &S->run[s];
		const struct scenario *sc = S->sc[S->next];
		if (j->busy)
			continue;
		*j = (struct job){ .busy = 1, .index = S->next++ };
		if (S->no_spawner || start(j, &S->sp, sc) < 0) {
			/* no worker (fork or pipe failed, the spawner gone): this
			 * case is an ERROR, and the others still get their turn */
			char reason[128];
			snprintf(reason, sizeof reason, "cannot start a worker: %s",
				 strerror(S->no_spawner ? S->no_spawner : errno));
			S->recs[j->index] = sched_case_base(sc);
			json_object_set_new(S->recs[j->index], "reason", json_string(reason));
			j->busy = 0;
			S->finished++;
		}
		progress(S->o, S->finished, S->n, sc->id);
	}
}

/* One wait for pipes, exit statuses and timeouts, and what follows. */
static void wait_round(struct sched *S)
{
	struct pollfd pf[64 + 1];
	int ns = S->jobs, wait_ms = 1000, busy = 0;
	double t = clock_now();
	for (int s = 0; s < ns; s++) {
		struct job *j = &S->run[s];
		pf[s] = (struct pollfd){ .fd = j->busy ? j->fd : -1, .events = POLLIN };
		busy |= j->busy;
		if (j->busy && !j->killed) {
			int left = (int)((j->start + S->o->timeout_s - t) * 1000) + 1;
			wait_ms = left < wait_ms ? (left < 0 ? 0 : left) : wait_ms;
		}
	}
	if (!busy)
		return;         /* every case left failed to start */
	pf[ns] = (struct pollfd){ .fd = S->sp.sock, .events = POLLIN };
	if (poll(pf, (nfds_t)ns + 1, wait_ms) < 0)
		return;         /* EINTR; the timeouts are checked next round */
	if (pf[ns].revents)
		take_exits(S);
	t = clock_now();
	for (int s = 0; s < ns; s++) {
		struct job *j = &S->run[s];
		if (!j->busy)
			continue;
		if (!j->killed && t - j->start > S->o->timeout_s) {
			spawner_kill(&S->sp, j->index);
			j->killed = 1;
		}
		if (j->fd >= 0 && (pf[s].revents & (POLLIN | POLLHUP | POLLERR)) && drain(j)) {
			close(j->fd);
			j->fd = -1;
		}
		job_over(S, j);
	}
}

void sched_run(struct scenario *const *sc, int n, const struct sched_opts *o, json_t **recs)
{
	struct sched S = { .sc = sc, .n = n, .o = o, .recs = recs };
	S.jobs = o->jobs < 1 ? 1 : o->jobs > 64 ? 64 : o->jobs;
	S.run = calloc((size_t)S.jobs, sizeof *S.run);
	for (int i = 0; i < n; i++)
		recs[i] = NULL;
	worker_raise_nofile();
	worker_fn *work = o->work ? o->work : worker_main;
	S.no_spawner = spawner_open(&S.sp, sc, &o->worker, work) < 0 ? errno : 0;
	while (S.finished < n) {
		start_some(&S);
		wait_round(&S);
		for (; S.reported < n && recs[S.reported]; S.reported++)
			if (o->done)
				o->done(o->arg, S.reported, recs[S.reported]);
	}
	if (!S.no_spawner)
		spawner_close(&S.sp);
	if (o->progress)
		fprintf(stderr, "\r\033[K");
	free(S.run);
}
