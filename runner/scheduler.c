/* The scheduler: fork, stream, time out, collect. */
#include "scheduler.h"

#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct job {
	int busy;
	int index;
	pid_t pid;
	int fd;
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

static int start(struct job *j, const struct scenario *sc, const struct sched_opts *o)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	fflush(NULL);
	pid_t parent = getpid(), pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		/* If the scheduler dies (even by SIGKILL), so do we, and with
		 * us every namespace we made. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)    /* it died before the prctl */
			_exit(1);
		close(p[0]);
		signal(SIGPIPE, SIG_IGN);
		/* exit, not _exit: stdio was flushed before the fork, and the leak
		 * checker runs at exit */
		exit(worker_main(sc, &o->worker, p[1]));
	}
	close(p[1]);
	j->pid = pid;
	j->fd = p[0];
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
	int status = 0;
	while (waitpid(j->pid, &status, 0) < 0 && errno == EINTR)
		;
	close(j->fd);
	char reason[160] = "";
	if (j->killed) {
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

void sched_run(struct scenario *const *sc, int n, const struct sched_opts *o, json_t **recs)
{
	int jobs = o->jobs < 1 ? 1 : o->jobs > 64 ? 64 : o->jobs, next = 0, finished = 0, reported = 0;
	struct job *run = calloc((size_t)jobs, sizeof *run);
	for (int i = 0; i < n; i++)
		recs[i] = NULL;
	while (finished < n) {
		for (int s = 0; s < jobs && next < n; s++) {
			if (run[s].busy)
				continue;
			run[s] = (struct job){ .busy = 1, .index = next };
			if (start(&run[s], sc[next], o) < 0) {
				/* no worker (fork or pipe failed): this case is an
				 * ERROR, and the others still get their turn */
				char reason[128];
				snprintf(reason, sizeof reason, "cannot start a worker: %s", strerror(errno));
				recs[next] = sched_case_base(sc[next]);
				json_object_set_new(recs[next], "reason", json_string(reason));
				run[s].busy = 0;
				finished++;
			}
			progress(o, finished, n, sc[next]->id);
			next++;
		}
		struct pollfd pf[64];
		int ns = jobs < 64 ? jobs : 64, wait_ms = 1000;
		double t = clock_now();
		for (int s = 0; s < ns; s++) {
			pf[s] = (struct pollfd){ .fd = run[s].busy ? run[s].fd : -1, .events = POLLIN };
			if (run[s].busy && !run[s].killed) {
				int left = (int)((run[s].start + o->timeout_s - t) * 1000) + 1;
				wait_ms = left < wait_ms ? (left < 0 ? 0 : left) : wait_ms;
			}
		}
		if (poll(pf, (nfds_t)ns, wait_ms) < 0)
			continue;       /* EINTR; the timeouts are checked next round */
		t = clock_now();
		for (int s = 0; s < ns; s++) {
			struct job *j = &run[s];
			if (!j->busy)
				continue;
			if (!j->killed && t - j->start > o->timeout_s) {
				kill(j->pid, SIGKILL);
				j->killed = 1;
			}
			if (!(pf[s].revents & (POLLIN | POLLHUP | POLLERR)) || !drain(j))
				continue;
			finish(j, o);
			recs[j->index] = j->rec;
			j->rec = NULL;
			j->busy = 0;
			finished++;
			progress(o, finished, n, NULL);
		}
		for (; reported < n && recs[reported]; reported++)
			if (o->done)
				o->done(o->arg, reported, recs[reported]);
	}
	if (o->progress)
		fprintf(stderr, "\r\033[K");
	free(run);
}
