/* exec: a program run inside a host, the way `ip netns exec` would, and
 * then some. It is pid 1 of a PID namespace of its own, so whatever it
 * starts (a shell's background job) dies with it; it is contained (see
 * exec_contain.c: root inside, nobody on the machine, in a read-only view
 * of it); it gets no stdin, default SIGPIPE and an ordinary descriptor
 * limit; and the step's bound holds for all of it: output that never
 * ends, a program that closes its output and runs on. A program that could
 * not be contained is not run: the case is an ERROR. */
#include "exec_int.h"

#include "clock.h"
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct prog {
	char **argv;
	int out;                /* write end of the output pipe */
	int status;             /* write end of the setup pipe: why it was not run */
	int go;                 /* read end: its user namespace is mapped; -1: nothing to wait for */
	int own_net;            /* its host's network namespace is its user namespace's */
};

#define STACK_SIZE (256 * 1024)

static int child(void *arg)
{
	const struct prog *p = arg;
	char err[256];
	prctl(PR_SET_PDEATHSIG, SIGKILL);       /* dies with a timed-out worker */
	if (p->go >= 0 && read(p->go, err, 1) != 1)
		return 126;
	int null = open("/dev/null", O_RDONLY);
	dup2(null, 0);
	dup2(p->out, 1);
	dup2(p->out, 2);
	if (null > 2)
		close(null);
	/* nothing is written to the program's output here: that is what the
	 * case compares */
	if (exec_contain(p->own_net, err, sizeof err) < 0) {
		ssize_t w = write(p->status, err, strlen(err));
		(void)w;
		return 126;
	}
	signal(SIGPIPE, SIG_DFL);
	struct rlimit rl;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur > 1024) {
		rl.rlim_cur = 1024;             /* the worker raised it for its own sockets */
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	execvp(p->argv[0], p->argv);
	dprintf(2, "cannot run %s: %s", p->argv[0], strerror(errno));
	return 127;
}

/* Reads what the program writes until it ends or the deadline passes:
 * the first DATA_MAX bytes are kept, and truelen counts all of them. 1 if
 * the deadline passed. */
static int collect(struct run *r, int fd, double deadline, struct outcome *o)
{
	char sink[4096];
	o->data = run_buf(r, 65536);
	for (;;) {
		int left = (int)(deadline - (clock_now() * 1e3));
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (left <= 0 || poll(&pf, 1, left) == 0)
			return 1;
		if (o->data && o->len == r->cap && r->cap < DATA_MAX)
			o->data = run_buf(r, r->cap * 2);
		size_t room = o->data && o->len < r->cap ? r->cap - o->len : 0;
		ssize_t n = room ? read(fd, o->data + o->len, room) : read(fd, sink, sizeof sink);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		if (room)
			o->len += (size_t)n;
		o->truelen += (size_t)n;
	}
}

/* Waits for pid until the deadline; 1 if it passed (pid is then killed). */
static int reap(pid_t pid, double deadline, int *status)
{
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid || (r < 0 && errno != EINTR))
			return 0;
		if ((clock_now() * 1e3) >= deadline) {
			kill(pid, SIGKILL);     /* pid 1 of its namespace: all of it goes */
			waitpid(pid, status, 0);
			return 1;
		}
		nanosleep(&(struct timespec){ 0, 2 * 1000000L }, NULL);
	}
}

static void argv_of(const struct run *r, const struct step *st, char **argv, char nums[][24])
{
	int i = 0;
	for (; st->argv[i]; i++) {
		argv[i] = st->argv[i];
		if (st->argv_var[i] >= 0) {
			snprintf(nums[i], sizeof nums[i], "%ld", r->vals[st->argv_var[i]]);
			argv[i] = nums[i];
		}
	}
	argv[i] = NULL;
}

/* Starts the program's process (see exec_contain.c): in the worker's
 * user namespace, which owns the case's hosts; or, run in place, in a new
 * one, mapped from here before the process goes on. */
static pid_t start(const struct run *r, struct prog *p, char *stack, char *err, size_t len)
{
	int in_ns = r->env->exec_in_userns, go[2] = { -1, -1 };
	int flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP | SIGCHLD;
	if (!in_ns && pipe2(go, O_CLOEXEC) < 0)
		return snprintf(err, len, "pipe: %s", strerror(errno)), -1;
	p->go = go[0];
	p->own_net = in_ns;
	fflush(NULL);
	pid_t pid = clone(child, stack + STACK_SIZE, flags | (in_ns ? 0 : CLONE_NEWUSER), p);
	if (pid < 0)
		snprintf(err, len, "its namespaces: clone: %s", strerror(errno));
	if (pid > 0 && !in_ns) {
		char nerr[NETNS_ERRLEN] = "write to the mapping pipe";
		if (netns_userns_map(pid, nerr) < 0 || write(go[1], "g", 1) != 1) {
			snprintf(err, len, "%s", nerr);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			pid = -1;
		}
	}
	if (go[0] >= 0) {
		close(go[0]);
		close(go[1]);
	}
	return pid;
}

/* Why the process could not run the program, from its setup pipe: 0
 * bytes once it has (the pipe closes at exec). */
static size_t setup_error(int fd, double deadline, char *buf, size_t len)
{
	size_t got = 0;
	for (;;) {
		int left = (int)(deadline - (clock_now() * 1e3));
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (left <= 0 || poll(&pf, 1, left) == 0)
			break;
		ssize_t n = read(fd, buf + got, len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || (got += (size_t)n) == len - 1)
			break;
	}
	buf[got] = '\0';
	return got;
}

/* The program ran (or was killed at the deadline): its status and output. */
static void finish(struct run *r, pid_t pid, int out, double deadline, struct outcome *o)
{
	int status = 0, late = collect(r, out, deadline, o);
	late |= reap(pid, late ? 0 : deadline, &status);
	o->timed_out = late;
	o->ret = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void fault(struct outcome *o, const char *why)
{
	o->ret = -1;
	o->fault = 1;
	snprintf(o->detail, sizeof o->detail, "cannot contain the program: %s", why);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void call_exec(struct run *r, const struct step *st, struct outcome *o)
{
	int n = 0;
	while (st->argv[n])
		n++;
	char **argv = calloc((size_t)n + 1, sizeof *argv), (*nums)[24] = calloc((size_t)n + 1, 24);
	char *stack = malloc(STACK_SIZE), err[sizeof o->detail] = "out of memory";
	int out[2] = { -1, -1 }, setup[2] = { -1, -1 };
	pid_t pid = -1;
	int have = argv && nums && stack;
	if (have && (pipe2(out, O_CLOEXEC) < 0 || pipe2(setup, O_CLOEXEC) < 0))
		snprintf(err, sizeof err, "pipe: %s", strerror(errno));
	else if (have) {
		argv_of(r, st, argv, nums);
		struct prog prog = { .argv = argv, .out = out[1], .status = setup[1] };
		pid = start(r, &prog, stack, err, sizeof err);
	}
	close_fd(&out[1]);
	close_fd(&setup[1]);
	double deadline = (clock_now() * 1e3) + r->env->step_timeout_ms;
	if (pid < 0) {
		fault(o, err);
	} else if (setup_error(setup[0], deadline, err, sizeof err)) {
		reap(pid, deadline, &(int){ 0 });
		fault(o, err);
	} else {
		finish(r, pid, out[0], deadline, o);
	}
	close_fd(&out[0]);
	close_fd(&setup[0]);
	free(stack);
	free(argv);
	free(nums);
}
