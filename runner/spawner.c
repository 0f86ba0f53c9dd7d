/* The spawner process: forks, reaps and kills workers for the scheduler.
 * One message type each way on a SOCK_SEQPACKET pair; a started worker's
 * pipe travels with its message as SCM_RIGHTS. */
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

enum msg_kind {
	MSG_START,              /* scheduler → spawner: a worker for index */
	MSG_KILL,               /* scheduler → spawner: SIGKILL index's worker */
	MSG_STARTED,            /* value: the pid; the pipe's read end attached */
	MSG_FAILED,             /* value: errno */
	MSG_EXITED,             /* value: the wait status */
};

struct msg { int kind, index, value; };

static int send_msg(int sock, enum msg_kind kind, int index, int value, int fd)
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
	while ((n = sendmsg(sock, &mh, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	return n == (ssize_t)sizeof m ? 0 : -1;
}

/* 1: a message (and *fd, or -1); 0: the other end is gone; -1: nothing
 * there (flags MSG_DONTWAIT) or an error. */
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
	return n == (ssize_t)sizeof *m;
}

/* ---- in the spawner ---- */

struct live { pid_t pid; int index; };

struct spawner_state {
	int sock, sigfd;
	sigset_t mask;          /* the signal mask workers get back */
	struct scenario *const *sc;
	const struct worker_opts *o;
	worker_fn *work;
	struct live live[SPAWNER_MAX_EXITS];
	int nlive;
};

static void worker_run(struct spawner_state *st, int index, int fd)
{
	/* If the spawner dies (even by SIGKILL), so do we, and with us every
	 * namespace we made. */
	pid_t spawner = getppid();
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != spawner)       /* it died before the prctl */
		_exit(1);
	close(st->sock);
	close(st->sigfd);
	sigprocmask(SIG_SETMASK, &st->mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	int rc = st->work(st->sc[index], st->o, fd);
#if defined(__SANITIZE_ADDRESS__)
	exit(rc);       /* the leak checker runs at exit */
#else
	/* the record is written and stdio holds nothing (flushed before the
	 * spawner's fork): exit's handlers, libnl's destructors among them,
	 * would only cost time, once per case */
	_exit(rc);
#endif
}

static void start_worker(struct spawner_state *st, int index)
{
	int p[2];
	if (st->nlive == SPAWNER_MAX_EXITS) {
		send_msg(st->sock, MSG_FAILED, index, EAGAIN, -1);
		return;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		send_msg(st->sock, MSG_FAILED, index, errno, -1);
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		worker_run(st, index, p[1]);
	}
	int err = errno;
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		send_msg(st->sock, MSG_FAILED, index, err, -1);
		return;
	}
	st->live[st->nlive++] = (struct live){ pid, index };
	send_msg(st->sock, MSG_STARTED, index, pid, p[0]);
	close(p[0]);
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
				send_msg(st->sock, MSG_EXITED, st->live[i].index, status, -1);
				st->live[i] = st->live[--st->nlive];
				break;
			}
}

static void spawner_main(struct spawner_state *st)
{
	for (;;) {
		struct pollfd pf[2] = { { st->sock, POLLIN, 0 }, { st->sigfd, POLLIN, 0 } };
		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			break;
		if (pf[1].revents)
			reap(st);
		if (!pf[0].revents)
			continue;
		struct msg m;
		int fd;
		int got = recv_msg(st->sock, &m, &fd, MSG_DONTWAIT);
		if (fd >= 0)
			close(fd);
		if (got == 0)
			break;          /* the scheduler is done (or gone) */
		if (got < 0)
			continue;
		if (m.kind == MSG_START)
			start_worker(st, m.index);
		else if (m.kind == MSG_KILL)
			for (int i = 0; i < st->nlive; i++)
				if (st->live[i].index == m.index)
					kill(st->live[i].pid, SIGKILL);
	}
	for (int i = 0; i < st->nlive; i++)
		kill(st->live[i].pid, SIGKILL);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
}

/* ---- in the scheduler ---- */

int spawner_open(struct spawner *sp, struct scenario *const *sc, const struct worker_opts *o,
		 worker_fn *work)
{
	int sv[2];
	memset(sp, 0, sizeof *sp);
	sp->sock = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	struct spawner_state st = { .sock = sv[1], .sc = sc, .o = o, .work = work };
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &st.mask);
	fflush(NULL);                   /* nothing buffered is written twice */
	pid_t parent = getpid(), pid = fork();
	int err = errno;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		close(sv[0]);
		st.sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
		if (st.sigfd >= 0)
			spawner_main(&st);
#if defined(__SANITIZE_ADDRESS__)
		exit(0);
#else
		_exit(0);
#endif
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

static void gone(struct spawner *sp)
{
	if (sp->sock >= 0)
		close(sp->sock);
	sp->sock = -1;
}

static void queue_exit(struct spawner *sp, const struct msg *m)
{
	if (sp->nexits < SPAWNER_MAX_EXITS)
		sp->exits[sp->nexits++] = (struct spawner_exit){ m->index, m->value };
}

int spawner_start(struct spawner *sp, int index, int *fd)
{
	if (sp->sock < 0 || send_msg(sp->sock, MSG_START, index, 0, -1) < 0) {
		gone(sp);
		errno = EPIPE;
		return -1;
	}
	for (;;) {
		struct msg m;
		int got = recv_msg(sp->sock, &m, fd, 0);
		if (got <= 0) {
			gone(sp);
			errno = EPIPE;
			return -1;
		}
		if (m.kind == MSG_EXITED) {
			queue_exit(sp, &m);
		} else if (m.kind == MSG_FAILED && m.index == index) {
			errno = m.value;
			return -1;
		} else if (m.kind == MSG_STARTED && m.index == index && *fd >= 0) {
			return 0;
		} else if (*fd >= 0) {
			close(*fd);
		}
	}
}

void spawner_kill(struct spawner *sp, int index)
{
	if (sp->sock >= 0)
		send_msg(sp->sock, MSG_KILL, index, 0, -1);
}

int spawner_take_exit(struct spawner *sp, int *index, int *status)
{
	while (!sp->nexits && sp->sock >= 0) {
		struct msg m;
		int fd, got = recv_msg(sp->sock, &m, &fd, MSG_DONTWAIT);
		if (fd >= 0)
			close(fd);
		if (got < 0)
			return 0;
		if (got == 0)
			gone(sp);
		else if (m.kind == MSG_EXITED)
			queue_exit(sp, &m);
	}
	if (!sp->nexits)
		return -1;
	*index = sp->exits[0].index;
	*status = sp->exits[0].status;
	memmove(sp->exits, sp->exits + 1, (size_t)--sp->nexits * sizeof sp->exits[0]);
	return 1;
}

void spawner_close(struct spawner *sp)
{
	gone(sp);
	while (sp->pid > 0 && waitpid(sp->pid, NULL, 0) < 0 && errno == EINTR)
		;
	sp->pid = 0;
}
