/* Kernels for the matrix: Debian's packages, fetched once into a cache and
 * unpacked with the modules.dep that the .deb does not ship; or an image a
 * kernel developer built. */
#include "guest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* What netrepro's cases need of the kernel beyond the core: veth pairs and
 * sock_diag for TCP states (required); bridges for LANs, netem and packet
 * sockets for captures (loaded when the kernel has them; a case that needs
 * one then says the kernel lacks it). */
static const struct { const char *name; int required; } wanted_modules[] = {
	{ "veth", 1 }, { "inet_diag", 1 }, { "tcp_diag", 1 }, { "bridge", 0 },
	{ "sch_netem", 0 }, { "af_packet", 0 }, { NULL, 0 },
};

/* Runs argv in dir with stdout and stderr to log; 0 if it exits 0. */
static int run_cmd(const char *dir, char *const argv[], const char *log)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		FILE *f = freopen(log, "a", stdout);
		if (f)
			dup2(fileno(f), 2);
		if (dir && chdir(dir) < 0)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

int make_dirs(const char *path)
{
	char buf[4096];
	snprintf(buf, sizeof buf, "%s", path);
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, 0755) < 0 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	return mkdir(buf, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

static void tail_of(const char *log, char *err, size_t len)
{
	FILE *f = fopen(log, "r");
	char line[512], last[512] = "";
	while (f && fgets(line, sizeof line, f))
		if (line[0] != '\n')
			snprintf(last, sizeof last, "%s", line);
	if (f)
		fclose(f);
	last[strcspn(last, "\n")] = '\0';
	size_t at = strlen(err);
	snprintf(err + at, len - at, "%s%s", *last ? ": " : "", last);
}

/* linux-image-<flavour> into <cache>/<flavour>/, with modules.dep. */
static int fetch_debian(const char *flavour, const char *cache, struct kernel *k, char *err, size_t len)
{
	char dir[2048], log[4200], pkg[256];
	if (snprintf(dir, sizeof dir, "%s/%s", cache, flavour) >= (int)sizeof dir ||
	    snprintf(k->image, sizeof k->image, "%s/boot/vmlinuz-%s", dir, flavour) >= (int)sizeof k->image ||
	    snprintf(k->moddir, sizeof k->moddir, "%s/lib/modules/%s", dir, flavour) >= (int)sizeof k->moddir) {
		snprintf(err, len, "cache path too long: %s", cache);
		return -1;
	}
	char dep[4200];
	snprintf(dep, sizeof dep, "%s/modules.dep", k->moddir);
	if (exists(k->image) && exists(dep))
		return 0;
	snprintf(log, sizeof log, "%s/fetch-%s.log", cache, flavour);
	snprintf(pkg, sizeof pkg, "linux-image-%s", flavour);
	if (make_dirs(dir) < 0) {
		snprintf(err, len, "%s: %s", dir, strerror(errno));
		return -1;
	}
	fprintf(stderr, "netrepro matrix: fetching %s (once, into %s)\n", pkg, cache);
	char *get[] = { "apt-get", "download", "-q", pkg, NULL };
	if (run_cmd(dir, get, log) < 0) {
		snprintf(err, len, "cannot fetch %s with apt-get download (is it a Debian kernel flavour?)", pkg);
		tail_of(log, err, len);
		return -1;
	}
	char cmd[8192];
	snprintf(cmd, sizeof cmd, "set -e; for d in %s_*.deb; do dpkg-deb -x \"$d\" .; rm -f \"$d\"; done", pkg);
	char *unpack[] = { "sh", "-c", cmd, NULL };
	char *depmod[] = { "depmod", "-b", dir, (char *)flavour, NULL };
	if (run_cmd(dir, unpack, log) < 0 || run_cmd(NULL, depmod, log) < 0 || !exists(k->image)) {
		snprintf(err, len, "cannot unpack %s or build its modules.dep (dpkg-deb, depmod from kmod)", pkg);
		tail_of(log, err, len);
		return -1;
	}
	return 0;
}

int kernel_resolve(const char *spec, const char *cache, struct kernel *k, char *err, size_t len)
{
	*k = (struct kernel){ 0 };
	if (!strcmp(spec, "host")) {
		k->host = 1;
		snprintf(k->name, sizeof k->name, "host");
		return 0;
	}
	if (strchr(spec, '/')) {
		const char *colon = strchr(spec, ':');
		snprintf(k->image, sizeof k->image, "%.*s", colon ? (int)(colon - spec) : (int)strlen(spec), spec);
		if (colon)
			snprintf(k->moddir, sizeof k->moddir, "%s", colon + 1);
		if (!exists(k->image) || (colon && !exists(k->moddir))) {
			snprintf(err, len, "kernel '%s': %s not found", spec, exists(k->image) ? k->moddir : k->image);
			return -1;
		}
		const char *base = strrchr(k->moddir[0] ? k->moddir : k->image, '/');
		if (snprintf(k->name, sizeof k->name, "%s", base ? base + 1 : k->image) >= (int)sizeof k->name)
			k->name[sizeof k->name - 1] = '\0';
		return 0;
	}
	if (strspn(spec, "abcdefghijklmnopqrstuvwxyz0123456789.+-_") != strlen(spec) || strlen(spec) > 100) {
		snprintf(err, len, "kernel '%s': not 'host', a path, or a Debian flavour such as 6.1.0-50-amd64", spec);
		return -1;
	}
	snprintf(k->name, sizeof k->name, "%s", spec);
	/* a fetch that fails (the network, the archive) is that kernel's
	 * result, not a usage error */
	return fetch_debian(spec, cache, k, err, len) < 0 ? 1 : 0;
}

/* The modules.dep line of module name, or NULL. */
static char *dep_line(char **lines, int n, const char *name)
{
	for (int i = 0; i < n; i++) {
		const char *colon = strchr(lines[i], ':'), *slash = colon;
		while (slash > lines[i] && slash[-1] != '/')
			slash--;
		size_t k = strlen(name);
		if (colon && !strncmp(slash, name, k) && !strncmp(slash + k, ".ko", 3))
			return lines[i];
	}
	return NULL;
}

/* Adds path's deps (last listed loads first) then path itself. */
static void add_with_deps(char **lines, int n, const char *moddir, const char *line,
			  char ***out, int *nout, int depth)
{
	char copy[4096];
	snprintf(copy, sizeof copy, "%s", line);
	char *colon = strchr(copy, ':');
	*colon = '\0';
	char *deps[64];
	int nd = 0;
	for (char *tok = strtok(colon + 1, " \n"); tok && nd < 64; tok = strtok(NULL, " \n"))
		deps[nd++] = tok;
	for (int i = nd - 1; i >= 0 && depth < 16; i--)
		for (int j = 0; j < n; j++)
			if (!strncmp(lines[j], deps[i], strlen(deps[i])) && lines[j][strlen(deps[i])] == ':')
				add_with_deps(lines, n, moddir, lines[j], out, nout, depth + 1);
	char path[8192];
	snprintf(path, sizeof path, "%s/%s", moddir, copy);
	for (int i = 0; i < *nout; i++)
		if (!strcmp((*out)[i], path))
			return;
	*out = realloc(*out, (size_t)(*nout + 1) * sizeof **out);
	(*out)[(*nout)++] = strdup(path);
}

static int builtin(const char *moddir, const char *name)
{
	char path[4200], line[512], want[80];
	snprintf(path, sizeof path, "%s/modules.builtin", moddir);
	snprintf(want, sizeof want, "/%s.ko", name);
	FILE *f = fopen(path, "r");
	int found = 0;
	while (f && !found && fgets(line, sizeof line, f))
		found = strstr(line, want) != NULL;
	if (f)
		fclose(f);
	return found;
}

int kernel_modules(const struct kernel *k, char ***paths, int *n, int *nrequired, char *err, size_t len)
{
	*paths = NULL;
	*n = 0;
	*nrequired = -1;
	if (!k->moddir[0])
		return 0;       /* a user's kernel without modules: all built in */
	char dep[4200], buf[4096];
	snprintf(dep, sizeof dep, "%s/modules.dep", k->moddir);
	FILE *f = fopen(dep, "r");
	if (!f) {
		snprintf(err, len, "%s: %s (run depmod -b)", dep, strerror(errno));
		return -1;
	}
	char **lines = NULL;
	int nl = 0;
	while (fgets(buf, sizeof buf, f)) {
		lines = realloc(lines, (size_t)(nl + 1) * sizeof *lines);
		lines[nl++] = strdup(buf);
	}
	fclose(f);
	int rc = 0;
	for (int i = 0; wanted_modules[i].name && !rc; i++) {
		const char *name = wanted_modules[i].name;
		if (!wanted_modules[i].required && *nrequired < 0)
			*nrequired = *n;        /* the required ones (listed first) end here */
		char *line = dep_line(lines, nl, name);
		if (line)
			add_with_deps(lines, nl, k->moddir, line, paths, n, 0);
		else if (wanted_modules[i].required && !builtin(k->moddir, name)) {
			snprintf(err, len, "kernel %s has no module %s, built in or loadable", k->name, name);
			rc = -1;
		}
	}
	if (*nrequired < 0)
		*nrequired = *n;
	for (int i = 0; i < nl; i++)
		free(lines[i]);
	free(lines);
	return rc;
}
