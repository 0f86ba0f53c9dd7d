/* env: what this process may do, tried live rather than guessed from
 * files: make a network namespace, a user namespace, a network namespace
 * inside that, and open a raw ICMP socket. Everything is tried in a forked
 * child that reports through a pipe and exits, so the caller's namespaces
 * never change. */
#include "env_int.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* Each row: a member of struct env_caps and the JSON key it becomes. */
static const struct {
	const char *key;
	size_t offset;
} cap_rows[] = {
	{ "netns", offsetof(struct env_caps, netns) },
	{ "userns", offsetof(struct env_caps, userns) },
	{ "netns_in_userns", offsetof(struct env_caps, netns_in_userns) },
	{ "raw_socket", offsetof(struct env_caps, raw_socket) },
};

static int cap_at(const struct env_caps *c, size_t i)
{
	return *(const int *)((const char *)c + cap_rows[i].offset);
}

static int errno_of(int ok)
{
	return ok ? 0 : errno ? errno : EIO;
}

/* The child: async-signal-safe calls only (it may be forked from a
 * threaded process), then _exit. The raw socket comes first, in the
 * namespaces we were started in. */
static void probe_child(int fd)
{
	struct env_caps c;
	int s;

	alarm(10);
	s = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	c.raw_socket = errno_of(s >= 0);
	if (s >= 0)
		close(s);
	c.netns = errno_of(unshare(CLONE_NEWNET) == 0);
	/* A new user namespace gives its creator every capability inside it,
	 * no uid map needed, which is all unshare(CLONE_NEWNET) asks
	 * (user_namespaces(7)); a rootless worker maps its uid as well. */
	c.userns = errno_of(unshare(CLONE_NEWUSER) == 0);
	c.netns_in_userns = c.userns ? ENV_CAP_UNKNOWN
				     : errno_of(unshare(CLONE_NEWNET) == 0);
	_exit(write(fd, &c, sizeof(c)) == (ssize_t)sizeof(c) ? 0 : 1);
}

int env_caps_probe(struct env_caps *caps)
{
	struct env_caps got;
	int p[2], status, err;
	ssize_t n;
	pid_t pid;

	caps->netns = caps->userns = caps->netns_in_userns = caps->raw_socket =
		ENV_CAP_UNKNOWN;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		probe_child(p[1]);
	}
	err = errno;
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return -err;
	}
	while ((n = read(p[0], &got, sizeof(got))) < 0 && errno == EINTR)
		;
	close(p[0]);
	/* ECHILD when SIGCHLD is ignored: the pipe has already answered. */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(got))
		return -EIO;
	*caps = got;
	return 0;
}

int env_netns_available(int *err)
{
	struct env_caps c;
	int rc = env_caps_probe(&c), e;

	if (rc < 0)
		e = -rc;
	else if (geteuid() == 0)
		e = c.netns;
	else
		e = c.userns ? c.userns : c.netns_in_userns;
	if (err)
		*err = e;
	return e == 0;
}

/* {"netns": false, "netns_errno": "EPERM", ...}: true/false and null, or
 * null/null when not tried. */
json_t *env_probe_json(const struct env_caps *caps)
{
	json_t *j = json_object();

	if (!j)
		return NULL;
	for (size_t i = 0; i < ENV_ARRAY_LEN(cap_rows); i++) {
		int e = caps ? cap_at(caps, i) : ENV_CAP_UNKNOWN;
		char key[64];
		const char *name = e > 0 ? strerrorname_np(e) : NULL;
		char other[16];

		if (e > 0 && !name) {
			snprintf(other, sizeof(other), "E%d", e);
			name = other;
		}
		env_put(j, cap_rows[i].key, e < 0 ? json_null() : json_boolean(e == 0));
		snprintf(key, sizeof(key), "%s_errno", cap_rows[i].key);
		env_put(j, key, env_jstr(name));
	}
	return j;
}
