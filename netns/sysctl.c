/* netns sysctls: /proc/sys/net/... read and written from inside the host,
 * which is what makes them per-namespace. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* NULL: the namespace the caller is in (a run in place). */
#define HOSTNAME(h) ((h) ? (h)->name : "here")

int netns_file_write(const char *path, const char *s)
{
	size_t len = strlen(s);
	ssize_t n;
	int fd = open(path, O_WRONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	if (n < 0)
		rc = -errno;
	else if ((size_t)n != len)
		rc = -EIO;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	return rc;
}

/* "net.ipv4.conf.eth0.rp_filter" -> "/proc/sys/net/ipv4/conf/eth0/rp_filter".
 * A dotted (VLAN) interface name cannot be said this way. */
static int sysctl_path(const char *name, char *path, size_t len)
{
	size_t n;

	if (!name || strncmp(name, "net.", 4) != 0)
		return -EPERM;
	if (strchr(name, '/') || strstr(name, "..") || name[strlen(name) - 1] == '.')
		return -EINVAL;
	n = (size_t)snprintf(path, len, "/proc/sys/%s", name);
	if (n >= len)
		return -ENAMETOOLONG;
	for (char *p = path + strlen("/proc/sys/"); *p; p++)
		if (*p == '.')
			*p = '/';
	return 0;
}

static int sysctl_open(struct netns_host *h, const char *name, char *path,
		       size_t len, char *err)
{
	int rc = sysctl_path(name, path, len);

	if (rc == -EPERM)
		return netns_fail(err, rc, "sysctl %s %s: only net.* is per-namespace",
				  HOSTNAME(h), name ? name : "(null)");
	if (rc < 0)
		return netns_fail(err, rc, "sysctl %s %s: bad name", HOSTNAME(h), name);
	return h ? netns_host_enter(h, err) : 0;
}

int netns_sysctl_set(struct netns_host *h, const char *name, const char *value, char *err)
{
	char path[256];
	int rc = sysctl_open(h, name, path, sizeof(path), err);

	if (rc < 0)
		return rc;
	rc = netns_file_write(path, value);
	if (rc < 0)
		return netns_fail(err, rc, "sysctl %s %s = %s", HOSTNAME(h), name, value);
	return 0;
}

/* One read() of the whole value: the integer handlers (proc_dointvec and
 * friends) answer any read at a nonzero offset with EOF, so a short first
 * read would silently truncate "40000\t40007" to "4000". */
static ssize_t file_read(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	else
		buf[n] = '\0';
	close(fd);
	return n;
}

/* Drop the trailing newline; a run of tabs (the kernel's separator in
 * ip_local_port_range, tcp_rmem, ...) becomes one space. */
static void tidy(char *s)
{
	char *w = s;

	for (const char *r = s; *r; r++) {
		if (*r == '\t' && r[1] == '\t')
			continue;
		*w++ = *r == '\t' ? ' ' : *r;
	}
	while (w > s && w[-1] == '\n')
		w--;
	*w = '\0';
}

int netns_sysctl_get(struct netns_host *h, const char *name, char *buf, size_t len, char *err)
{
	char path[256], page[4096];
	ssize_t n;
	int rc;

	if (!buf || len == 0)
		return netns_fail(err, -EINVAL, "sysctl %s %s: no buffer", HOSTNAME(h), name);
	buf[0] = '\0';
	rc = sysctl_open(h, name, path, sizeof(path), err);
	if (rc < 0)
		return rc;
	n = file_read(path, page, sizeof(page));
	if (n < 0)
		return netns_fail(err, (int)n, "sysctl %s %s", HOSTNAME(h), name);
	tidy(page);
	if ((size_t)n == sizeof(page) - 1 || strlen(page) >= len)
		return netns_fail(err, -ERANGE, "sysctl %s %s: value longer than %zu bytes",
				  HOSTNAME(h), name, len - 1);
	memcpy(buf, page, strlen(page) + 1);
	return 0;
}
