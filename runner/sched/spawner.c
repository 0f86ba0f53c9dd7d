/* The spawner process: forks, reaps and kills the workers, and tells the
 * scheduler. One message type each way on a SOCK_SEQPACKET pair; a started
 * worker's pipe travels with its message as SCM_RIGHTS. */
#include "spawner.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* Spawner to scheduler: enum spawner_event_kind (STARTED with the pipe's
 * read end attached, FAILED, EXITED); scheduler to spawner: MSG_KILL. */
enum { MSG_KILL = 100 };

struct msg { int kind, index, value; };

static int send_msg(int sock, int kind, int index, int value, int fd, int flags)
{
	struct msg m = { kind, index, value };
	struct iovec iov = { &m, sizeof m };
	union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } ctl;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (fd >= 0) {
		memset(&ctl, 0, sizeof ctl);
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof ctl.buf;
		struct cmsghdr *h = CMSG_FIRSTHDR(&mh);
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		h->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(h), &fd, sizeof fd);
	}
	ssize_t n;
	while ((n = sendmsg(sock, &mh, MSG_NOSIGNAL | flags)) < 0 && errno == EINTR)
		;
	return n == (ssize_t)sizeof m ? 0 : -1;
}

/* 1: a message (and *fd, or -1); 0: the other end is gone or broken; -1:
 * nothing there (flags MSG_DONTWAIT), or a message of the wrong size
 * (dropped, with any fd it carried). */
static int recv_msg(int sock, struct msg *m, int *fd, int flags)
{
	struct iovec iov = { m, sizeof *m };
	union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } ctl;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf };
	ssize_t n;
	while ((n = recvmsg(sock, &mh, flags | MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	*fd = -1;
	for (struct cmsghdr *h = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL; h; h = CMSG_NXTHDR(&mh, h))
		if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(h), sizeof *fd);
	if (n < 0)
		return errno == EAGAIN ? -1 : 0;
	if (n > 0 && n != (ssize_t)sizeof *m) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return -1;
	}
	return n > 0;
}

/* ---- in the spawner ---- */

#define MAX_LIVE 64     /* -j's bound */

struct spawner_state {
	int sock, sigfd;
	sigset_t mask;          /* the signal mask workers get back */
	struct scenario *const *sc;
	int n, jobs, next;
	const struct worker_opts *o;
	worker_fn *work;
	struct { pid_t pid; int index; } live[MAX_LIVE];
	int nlive;
};

/* If parent dies (even by SIGKILL), so do we: the namespaces of a worker
 * go with it. parent is taken before the fork: one that died in between
 * would already look like our parent (the reaper) afterwards. */
static void die_with(pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)        /* it died before the prctl */
		_exit(1);
}

/* The end of a process of ours: nothing buffered is left (stdio was
 * flushed before the spawner's fork), so exit's handlers, libnl's
 * destructors among them, would only cost time, once per case. Sanitizer
 * builds exit: the leak checker runs there. */
static void leave(int rc)
{
#if defined(__SANITIZE_ADDRESS__)
	exit(rc);
#else
	_exit(rc);
#endif
}

static void worker_run(struct spawner_state *st, pid_t spawner, int index, int fd)
{
	die_with(spawner);
	close(st->sock);
	close(st->sigfd);
	sigprocmask(SIG_SETMASK, &st->mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	leave(st->work(st->sc[index], st->o, fd));
}

static void start_worker(struct spawner_state *st, int index)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		send_msg(st->sock, SPAWNER_FAILED, index, errno, -1, 0);
		return;
	}
	pid_t spawner = getpid(), pid = fork();
	if (pid == 0) {
		close(p[0]);
		worker_run(st, spawner, index, p[1]);
	}
	int err = errno;
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		send_msg(st->sock, SPAWNER_FAILED, index, err, -1, 0);
		return;
	}
	st->live[st->nlive].pid = pid;
	st->live[st->nlive++].index = index;
	if (send_msg(st->sock, SPAWNER_STARTED, index, pid, p[0], 0) < 0)
		kill(pid, SIGKILL);     /* nobody would read it: the scheduler is gone */
	close(p[0]);
}

/* Keeps -j workers alive while cases are left. */
static void fill(struct spawner_state *st)
{
	while (st->nlive < st->jobs && st->next < st->n)
		start_worker(st, st->next++);
}

static void reap(struct spawner_state *st)
{
	struct signalfd_siginfo si;
	while (read(st->sigfd, &si, sizeof si) == (ssize_t)sizeof si)
		;
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (int i = 0; i < st->nlive; i++)
			if (st->live[i].pid == pid) {
				send_msg(st->sock, SPAWNER_EXITED, st->live[i].index, status, -1, 0);
				st->live[i] = st->live[--st->nlive];
				break;
			}
}

static void spawner_main(struct spawner_state *st)
{
	fill(st);
	while (st->nlive) {
		struct pollfd pf[2] = { { st->sock, POLLIN, 0 }, { st->sigfd, POLLIN, 0 } };
		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			break;
		if (pf[1].revents) {
			reap(st);
			fill(st);
		}
		if (!pf[0].revents)
			continue;
		struct msg m;
		int fd, got = recv_msg(st->sock, &m, &fd, MSG_DONTWAIT);
		if (fd >= 0)
			close(fd);
		if (got == 0)
			break;          /* the scheduler is gone */
		for (int i = 0; got > 0 && m.kind == MSG_KILL && i < st->nlive; i++)
			if (st->live[i].index == m.index)
				kill(st->live[i].pid, SIGKILL);
	}
	for (int i = 0; i < st->nlive; i++)
		kill(st->live[i].pid, SIGKILL);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
}

/* ---- in the scheduler ---- */

int spawner_open(struct spawner *sp, struct scenario *const *sc, int n, int jobs,
		 const struct worker_opts *o, worker_fn *work)
{
	int sv[2];
	sp->pid = 0;
	sp->sock = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	struct spawner_state st = { .sock = sv[1], .sc = sc, .n = n, .o = o, .work = work,
				    .jobs = jobs < 1 ? 1 : jobs > MAX_LIVE ? MAX_LIVE : jobs };
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &st.mask);
	fflush(NULL);                   /* nothing buffered is written twice */
	pid_t parent = getpid(), pid = fork();
	int err = errno;
	if (pid == 0) {
		die_with(parent);
		close(sv[0]);
		/* an ignored SIGCHLD (it survives exec) would reap the workers
		 * behind our back: no status, and a run that never ends */
		signal(SIGCHLD, SIG_DFL);
		st.sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
		if (st.sigfd >= 0)
			spawner_main(&st);
		leave(0);
	}
	sigprocmask(SIG_SETMASK, &st.mask, NULL);
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		errno = err;
		return -1;
	}
	sp->pid = pid;
	sp->sock = sv[0];
	return 0;
}

void spawner_next(struct spawner *sp, struct spawner_event *ev)
{
	struct msg m;
	*ev = (struct spawner_event){ .kind = SPAWNER_GONE, .fd = -1 };
	if (sp->sock < 0)
		return;
	int got = recv_msg(sp->sock, &m, &ev->fd, MSG_DONTWAIT);
	if (got < 0) {
		ev->kind = SPAWNER_NONE;
	} else if (got == 0) {
		close(sp->sock);
		sp->sock = -1;
	} else {
		ev->kind = (enum spawner_event_kind)m.kind;
		ev->index = m.index;
		ev->value = m.value;
		if (ev->kind == SPAWNER_STARTED && ev->fd < 0) {
			ev->kind = SPAWNER_FAILED;      /* no pipe came with it */
			ev->value = EBADMSG;
		}
	}
}

int spawner_kill(struct spawner *sp, int index)
{
	/* never blocks: the spawner may itself be waiting to send to us */
	return sp->sock >= 0 ? send_msg(sp->sock, MSG_KILL, index, 0, -1, MSG_DONTWAIT) : 0;
}

void spawner_close(struct spawner *sp)
{
	if (sp->sock >= 0)
		close(sp->sock);
	sp->sock = -1;
	while (sp->pid > 0 && waitpid(sp->pid, NULL, 0) < 0 && errno == EINTR)
		;
	sp->pid = 0;
}
