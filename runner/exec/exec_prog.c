/* exec: a program run inside a host, the way `ip netns exec` would, and
 * then some. It is pid 1 of a PID namespace of its own, so whatever it
 * starts (a shell's background job) dies with it; it sees its host's /sys,
 * not the machine's; it gets no stdin, default SIGPIPE and an ordinary
 * descriptor limit; and the step's bound holds for all of it: output that
 * never ends, a program that closes its output and runs on. */
#include "exec_int.h"

#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct prog {
	char **argv;
	int out;                /* write end of the output pipe */
};

/* In the child: its own mount namespace with a sysfs of its host's network
 * namespace over /sys (the machine's would show, and let it change, the
 * machine's interfaces). The mount under it is made a slave first, so the
 * new sysfs cannot propagate back to the machine's namespace; where that
 * cannot be done (no mount at /sys or /, as in some chroots), the program
 * keeps the /sys it has, rather than risk it. Nothing is written to the
 * program's output here: that is what the case compares. */
static void own_sysfs(void)
{
	if (unshare(CLONE_NEWNS) < 0)
		return;
	if (mount(NULL, "/sys", NULL, MS_SLAVE | MS_REC, NULL) < 0 &&
	    mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return;
	mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
}

static int child(void *arg)
{
	const struct prog *p = arg;
	prctl(PR_SET_PDEATHSIG, SIGKILL);       /* dies with a timed-out worker */
	int null = open("/dev/null", O_RDONLY);
	dup2(null, 0);
	dup2(p->out, 1);
	dup2(p->out, 2);
	own_sysfs();
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

void call_exec(struct run *r, const struct step *st, struct outcome *o)
{
	int n = 0;
	while (st->argv[n])
		n++;
	char **argv = calloc((size_t)n + 1, sizeof *argv), (*nums)[24] = calloc((size_t)n + 1, 24);
	argv_of(r, st, argv, nums);
	int p[2];
	size_t stack_size = 256 * 1024;
	char *stack = malloc(stack_size);
	pid_t pid = -1;
	if (stack && pipe2(p, O_CLOEXEC) == 0) {
		struct prog prog = { argv, p[1] };
		fflush(NULL);
		pid = clone(child, stack + stack_size, CLONE_NEWPID | SIGCHLD, &prog);
		close(p[1]);
		if (pid < 0)
			close(p[0]);
	}
	if (pid < 0) {
		o->ret = -1;
		o->failed = 1;
		o->err = errno;
	} else {
		double deadline = (clock_now() * 1e3) + r->env->step_timeout_ms;
		int status = 0, late = collect(r, p[0], deadline, o);
		close(p[0]);
		late |= reap(pid, late ? 0 : deadline, &status);
		o->timed_out = late;
		o->ret = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
	free(stack);
	free(argv);
	free(nums);
}
