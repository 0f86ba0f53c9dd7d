/* netns user namespaces: the one that lets an unprivileged worker make
 * network namespaces, and the contained one a case that runs programs is
 * built in, whose root is nobody on the machine. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

/* pid's uid 0 and gid 0 become uid and gid outside: one id each. An
 * unprivileged writer may map only its own ids, and the kernel wants
 * setgroups denied before its gid_map (user_namespaces(7)). */
static int map_ids(const char *proc, unsigned uid, unsigned gid, int privileged, char *err)
{
	const struct { const char *file; unsigned id; } maps[] = { { "uid_map", uid }, { "gid_map", gid } };
	char path[64], line[32];
	int rc;

	if (!privileged) {
		snprintf(path, sizeof path, "%s/setgroups", proc);
		if ((rc = netns_file_write(path, "deny")) < 0)
			return netns_fail(err, rc, "write \"deny\" to %s", path);
	}
	for (size_t i = 0; i < sizeof maps / sizeof *maps; i++) {
		snprintf(path, sizeof path, "%s/%s", proc, maps[i].file);
		snprintf(line, sizeof line, "0 %u 1", maps[i].id);
		if ((rc = netns_file_write(path, line)) < 0)
			return netns_fail(err, rc, "write \"%s\" to %s", line, path);
	}
	return 0;
}

int netns_userns_map(int pid, char *err)
{
	char proc[32];
	int root = geteuid() == 0;

	snprintf(proc, sizeof proc, "/proc/%d", pid);
	return map_ids(proc, root ? NETNS_NOBODY : geteuid(), root ? NETNS_NOBODY : getegid(), root, err);
}

int netns_become_root(int *rootless, char *err)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	int rc;

	*rootless = 0;
	if (uid == 0)
		return 0;
	if (unshare(CLONE_NEWUSER) < 0)
		return netns_fail(err, -errno, "unshare(CLONE_NEWUSER) as uid %u", (unsigned)uid);
	if ((rc = map_ids("/proc/self", uid, gid, 0, err)) < 0)
		return rc;
	*rootless = 1;
	return 0;
}

/* The namespace's first process: it only keeps the namespace there until
 * the caller has joined it. */
static int hold(void *arg)
{
	(void)arg;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;)
		pause();
	return 0;
}

/* A process cannot map a user namespace it made itself to an id other
 * than its own: so a child makes it, root maps it from outside, and then
 * joins it. setns() leaves our uid as it was (unmapped there), with every
 * capability inside. */
static int join_nobody(char *err)
{
	static char stack[16384] __attribute__((aligned(16)));
	char path[64];
	pid_t pid = clone(hold, stack + sizeof stack, CLONE_NEWUSER | SIGCHLD, NULL);
	if (pid < 0)
		return netns_fail(err, -errno, "a user namespace whose root is nobody: clone(CLONE_NEWUSER)");
	int rc = netns_userns_map(pid, err), fd = -1;
	snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
	if (rc == 0 && (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		rc = netns_fail(err, -errno, "open %s", path);
	if (rc == 0 && setns(fd, CLONE_NEWUSER) < 0)
		rc = netns_fail(err, -errno, "setns(%s)", path);
	if (fd >= 0)
		close(fd);
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return rc;
}

int netns_become_contained(int *rootless, char *err)
{
	if (geteuid() != 0)
		return netns_become_root(rootless, err);
	*rootless = 0;
	int rc = join_nobody(err);
	if (rc < 0)
		return rc;
	*rootless = 1;
	return 0;
}
