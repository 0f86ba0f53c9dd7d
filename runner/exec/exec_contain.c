/* What a program run by `exec` may see and do. A case file comes from a
 * ticket, and --allow-exec must not make its programs root on the
 * machine. The program's process is made in a user namespace whose root
 * is nobody outside (the one the case was built in, or, run in place, one
 * of its own), with namespaces of its own for PIDs, mounts, IPC, UTS and
 * cgroups. Here, in that process and before exec, it gets:
 *   - a root of its own: the machine's top folders bound read-only,
 *     except /proc, /sys, /dev, /run and /tmp, which are made fresh (a
 *     /proc of its own PID namespace, the sysfs of its host's network
 *     namespace, a few device nodes, empty tmpfs), so the machine's /proc
 *     is not anywhere in its tree, and the old root is detached. Run in
 *     place, /sys is empty: a sysfs shows the network namespace it was
 *     mounted in, and there a new one is not ours to mount;
 *   - the folder netrepro ran in, read-only, when it was under /tmp or
 *     /run (other folders are already in the read-only view);
 *   - uid and gid 0 of the user namespace, nobody on the machine;
 *   - no CAP_SYS_ADMIN or CAP_SYS_PTRACE, even in its own namespaces (no
 *     mount, umount or remount, no setns), and no_new_privs;
 *   - a session of its own, with no controlling terminal: the terminal
 *     netrepro runs in would take its writes, and with TIOCSTI, typed
 *     input for the shell there;
 *   - a session keyring of its own, not its caller's;
 *   - of netrepro's environment only what says how to find programs and
 *     speak (PATH, TERM, TZ, LANG, LC_*), and HOME=/tmp: a secret in it
 *     would otherwise be the program's to print into the record;
 *   - no descriptor of ours but its stdin, stdout and stderr. */
#include "exec_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Where the new root is put together: a tmpfs over the machine's /tmp,
 * which this mount namespace no longer needs. */
#define STAGE "/tmp"

/* Top folders never taken from the machine: each is made fresh. */
static const char *const fresh[] = { "proc", "sys", "dev", "run", "tmp" };

/* The device nodes a program expects; bound from the machine's /dev. */
static const char *const devices[] = { "null", "zero", "full", "random", "urandom", "tty" };

/* What a program keeps of netrepro's environment: a name, or a prefix
 * ending in '_'. */
static const char *const kept_env[] = { "PATH", "TERM", "TZ", "LANG", "LANGUAGE", "LC_" };

/* Capabilities taken away from root in the user namespace: the others
 * act only on the case's network and the program's own namespaces, and
 * `ip addr add`, `ping` need theirs. CAP_SYS_ADMIN would let it umount
 * what hides the machine (and remount the read-only view), and setns;
 * CAP_SYS_PTRACE, look into processes of the user namespace. */
static const int dropped_caps[] = { CAP_SYS_ADMIN, CAP_SYS_PTRACE };

static int fail(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t len, const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(err, len, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < len)
		snprintf(err + n, len - (size_t)n, ": %s", strerror(e));
	return -1;
}

static int is_fresh(const char *name)
{
	for (size_t i = 0; i < sizeof fresh / sizeof *fresh; i++)
		if (!strcmp(name, fresh[i]))
			return 1;
	return 0;
}

static int set_readonly(const char *path, char *err, size_t len)
{
	struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };
	if (mount_setattr(AT_FDCWD, path, AT_RECURSIVE, &a, sizeof a) < 0)
		return fail(err, len, "make %s read-only", path);
	return 0;
}

/* An empty file or folder at dst, as the mount point for src (a bind). */
static int bind_at(const char *src, const char *dst, int dir, char *err, size_t len)
{
	int fd = dir ? mkdir(dst, 0755) : open(dst, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0 && errno != EEXIST)
		return fail(err, len, "make %s", dst);
	if (!dir && fd >= 0)
		close(fd);
	if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
		return fail(err, len, "bind %s", src);
	return 0;
}

/* One entry of the machine's root into the new one: a folder or a file
 * bound, a symlink copied (/bin -> usr/bin). */
static int mirror(const char *name, char *err, size_t len)
{
	char src[PATH_MAX], dst[PATH_MAX], link[PATH_MAX];
	struct stat st;
	snprintf(src, sizeof src, "/%s", name);
	snprintf(dst, sizeof dst, STAGE "/%s", name);
	if (lstat(src, &st) < 0)       /* gone, or a mount root may not look into (FUSE) */
		return errno == ENOENT || errno == EACCES ? 0 : fail(err, len, "stat %s", src);
	if (S_ISLNK(st.st_mode)) {
		ssize_t n = readlink(src, link, sizeof link - 1);
		if (n < 0)
			return fail(err, len, "readlink %s", src);
		link[n] = '\0';
		return symlink(link, dst) < 0 ? fail(err, len, "symlink %s", dst) : 0;
	}
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return 0;       /* a socket or a fifo at the top: not the system */
	return bind_at(src, dst, S_ISDIR(st.st_mode), err, len);
}

static int mirror_root(char *err, size_t len)
{
	DIR *d = opendir("/");
	if (!d)
		return fail(err, len, "open /");
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && !is_fresh(e->d_name))
			rc = mirror(e->d_name, err, len);
	closedir(d);
	return rc;
}

static int mount_fresh(const char *what, const char *at, const char *type, const char *opts,
		       char *err, size_t len)
{
	char path[64];
	snprintf(path, sizeof path, STAGE "%s", at);
	if (mount(what, path, type, MS_NOSUID | MS_NODEV | (strcmp(type, "tmpfs") ? MS_NOEXEC : 0), opts) < 0)
		return fail(err, len, "mount %s on %s", type, at);
	return 0;
}

/* /dev: a tmpfs with the usual nodes bound from the machine's, the
 * /proc/self/fd links, and a /dev/shm of its own. */
static int make_dev(char *err, size_t len)
{
	static const char *const links[][2] = {
		{ "/proc/self/fd", "fd" }, { "/proc/self/fd/0", "stdin" },
		{ "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
	};
	char src[64], dst[64];
	if (mount_fresh("tmpfs", "/dev", "tmpfs", "mode=0755", err, len) < 0)
		return -1;
	for (size_t i = 0; i < sizeof devices / sizeof *devices; i++) {
		snprintf(src, sizeof src, "/dev/%s", devices[i]);
		snprintf(dst, sizeof dst, STAGE "/dev/%s", devices[i]);
		if (access(src, F_OK) == 0 && bind_at(src, dst, 0, err, len) < 0)
			return -1;
	}
	for (size_t i = 0; i < sizeof links / sizeof *links; i++) {
		snprintf(dst, sizeof dst, STAGE "/dev/%s", links[i][1]);
		if (symlink(links[i][0], dst) < 0)
			return fail(err, len, "symlink %s", dst);
	}
	if (mkdir(STAGE "/dev/shm", 01777) < 0)
		return fail(err, len, "mkdir /dev/shm");
	return mount_fresh("tmpfs", "/dev/shm", "tmpfs", "mode=1777", err, len);
}

/* The folder netrepro runs in, when it is under a fresh top folder (not
 * the folder itself): a clone of it taken before /tmp is covered, put back
 * at its own path. -1 when there is none to keep. */
static int cwd_keep(const char *cwd)
{
	char top[NAME_MAX + 1];
	const char *slash = strchr(cwd + 1, '/');
	if (!slash || (size_t)(slash - cwd) > sizeof top)
		return -1;
	snprintf(top, sizeof top, "%.*s", (int)(slash - cwd - 1), cwd + 1);
	if (strcmp(top, "tmp") && strcmp(top, "run"))
		return -1;
	return open_tree(AT_FDCWD, cwd, OPEN_TREE_CLONE | AT_RECURSIVE | OPEN_TREE_CLOEXEC);
}

static int cwd_restore(int keep, const char *cwd, char *err, size_t len)
{
	char path[PATH_MAX + sizeof STAGE];
	if (keep < 0)
		return 0;
	snprintf(path, sizeof path, STAGE "%s", cwd);
	for (char *p = path + sizeof STAGE; (p = strchr(p, '/')); *p++ = '/') {
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return fail(err, len, "mkdir %s", path);
	}
	if ((mkdir(path, 0755) < 0 && errno != EEXIST) ||
	    move_mount(keep, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return fail(err, len, "bind %s", cwd);
	return set_readonly(path, err, len);
}

/* The new root, put together under STAGE. */
static int build_root(int own_net, int keep, const char *cwd, char *err, size_t len)
{
	char path[64];
	if (mount("tmpfs", STAGE, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
		return fail(err, len, "mount tmpfs on " STAGE);
	if (mirror_root(err, len) < 0)
		return -1;
	for (size_t i = 0; i < sizeof fresh / sizeof *fresh; i++) {
		snprintf(path, sizeof path, STAGE "/%s", fresh[i]);
		if (mkdir(path, 0755) < 0)
			return fail(err, len, "mkdir %s", path);
	}
	if (set_readonly(STAGE, err, len) < 0 ||
	    mount_fresh("proc", "/proc", "proc", NULL, err, len) < 0 ||
	    (own_net && mount_fresh("sysfs", "/sys", "sysfs", NULL, err, len) < 0) ||
	    mount_fresh("tmpfs", "/tmp", "tmpfs", "mode=1777", err, len) < 0 ||
	    mount_fresh("tmpfs", "/run", "tmpfs", "mode=0755", err, len) < 0 || make_dev(err, len) < 0)
		return -1;
	return cwd_restore(keep, cwd, err, len);
}

/* Into the new root; the machine's is detached from this namespace. */
static int enter_root(const char *cwd, char *err, size_t len)
{
	if (chdir(STAGE) < 0 || syscall(SYS_pivot_root, ".", ".") < 0)
		return fail(err, len, "pivot_root to the new root");
	if (umount2(".", MNT_DETACH) < 0)
		return fail(err, len, "detach the machine's root");
	if (chdir(cwd) < 0 && chdir("/") < 0)
		return fail(err, len, "chdir /");
	return 0;
}

/* uid and gid 0 of the user namespace: nobody outside, or the user who
 * ran netrepro. Supplementary groups are dropped where that is allowed
 * (not where setgroups was denied: those are the user's own). Changing
 * the euid clears the parent-death signal, so it is set again. */
static int become_nobody(char *err, size_t len)
{
	if (setresgid(0, 0, 0) < 0)
		return fail(err, len, "setresgid(0)");
	if (setgroups(0, NULL) < 0 && errno != EPERM)
		return fail(err, len, "setgroups");
	if (setresuid(0, 0, 0) < 0)
		return fail(err, len, "setresuid(0)");
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	return 0;
}

/* The capabilities above, no_new_privs, and what would still lead back
 * to netrepro's caller: its terminal, the session keyring (its keys are
 * the possessor's to read, whoever that is now: a new, empty one replaces
 * it) and descriptors. */
static int drop_powers(char *err, size_t len)
{
	for (size_t i = 0; i < sizeof dropped_caps / sizeof *dropped_caps; i++)
		if (prctl(PR_CAPBSET_DROP, dropped_caps[i], 0, 0, 0) < 0)
			return fail(err, len, "drop capability %d", dropped_caps[i]);
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return fail(err, len, "capget");
	for (size_t i = 0; i < sizeof dropped_caps / sizeof *dropped_caps; i++) {
		int c = dropped_caps[i];
		d[c / 32].effective &= ~(1u << (c % 32));
		d[c / 32].permitted &= ~(1u << (c % 32));
		d[c / 32].inheritable &= ~(1u << (c % 32));
	}
	if (syscall(SYS_capset, &h, d) < 0)
		return fail(err, len, "capset");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail(err, len, "no_new_privs");
	if (setsid() < 0)
		return fail(err, len, "setsid");
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 && errno != ENOSYS)
		return fail(err, len, "a session keyring of its own");
	if (close_range(3, ~0u, CLOSE_RANGE_CLOEXEC) < 0)
		return fail(err, len, "close_range");
	return 0;
}

static int env_kept(const char *var)
{
	size_t name = strcspn(var, "=");
	for (size_t i = 0; i < sizeof kept_env / sizeof *kept_env; i++) {
		size_t k = strlen(kept_env[i]);
		if (kept_env[i][k - 1] == '_' ? !strncmp(var, kept_env[i], k)
					       : name == k && !strncmp(var, kept_env[i], k))
			return 1;
	}
	return 0;
}

/* This process is the program's alone: its environment is replaced. */
static void clean_environment(void)
{
	static char home[] = "HOME=/tmp";
	static char *kept[64];
	size_t n = 0;
	for (char **e = environ; *e && n < sizeof kept / sizeof *kept - 2; e++)
		if (env_kept(*e))
			kept[n++] = *e;
	kept[n++] = home;
	kept[n] = NULL;
	environ = kept;
}

int exec_contain(int own_net, char *err, size_t len)
{
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof cwd))
		snprintf(cwd, sizeof cwd, "/");
	/* nothing mounted here reaches the machine's namespace */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return fail(err, len, "make / private");
	/* taken while we are still whoever ran netrepro: nobody may not
	 * search the folders on the way to it */
	int keep = cwd_keep(cwd);
	/* before anything is made: a file made by an id with no name in the
	 * user namespace (ours, when root ran netrepro) fails, EOVERFLOW */
	int rc = become_nobody(err, len);
	if (rc == 0)
		rc = build_root(own_net, keep, cwd, err, len);
	if (keep >= 0)
		close(keep);
	if (rc < 0 || enter_root(cwd, err, len) < 0)
		return -1;
	clean_environment();
	return drop_powers(err, len);
}
