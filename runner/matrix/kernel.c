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

/* Where a Debian kernel's package can come from, tried in order until one
 * leaves <pkg>_*.deb in dir. The snapshot archive keeps every package the
 * archive ever had, so a flavour pinned in CI still boots after a point
 * release has dropped it from the mirrors. */
#define APT_HELPER "/usr/lib/apt/apt-helper"
#define SNAPSHOT_URL "https://snapshot.debian.org"
#define GUEST_ARCH "amd64"      /* the guests are qemu-system-x86_64 */

struct fetch {
	const char *pkg;        /* linux-image-<flavour> */
	char version[128];      /* "" until known: NAME=VERSION, apt-cache, snapshot */
	const char *dir, *log;  /* dir receives the .deb; log every tool's output */
};

/* Each names where it looked (where) and, on -1, what it was told (why). */
typedef int fetch_source(struct fetch *f, char *where, size_t wlen, char *why, size_t len);
static fetch_source from_apt, from_snapshot;
static fetch_source *const sources[] = { from_apt, from_snapshot };

static long size_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

/* What the tools wrote to log after offset from, as one short line: apt's
 * first error ("E: Failed to fetch URL  404  Not Found" becomes "404  Not
 * Found"), else the last line. */
static void log_reason(const char *log, long from, char *why, size_t len)
{
	FILE *f = fopen(log, "r");
	char line[1024], last[1024] = "", first_error[1024] = "";
	if (f && fseek(f, from, SEEK_SET) < 0)
		fclose(f), f = NULL;
	while (f && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0])
			snprintf(last, sizeof last, "%s", line);
		if (!first_error[0] && !strncmp(line, "E: ", 3) && strcmp(line, "E: Download Failed"))
			snprintf(first_error, sizeof first_error, "%s", line + 3);
	}
	if (f)
		fclose(f);
	char *r = first_error[0] ? first_error : last;
	if (!strncmp(r, "Failed to fetch ", 16) && strstr(r + 16, "  "))
		r = strstr(r + 16, "  ") + 2;
	char *ip = strstr(r, " [IP: ");
	if (ip)
		*ip = '\0';
	snprintf(why, len, "%s", *r ? r : "failed, saying nothing");
}

/* Runs argv; on failure, why says what it wrote. */
static int run_logged(const struct fetch *f, char *const argv[], char *why, size_t len)
{
	long at = size_of(f->log);
	if (run_cmd(f->dir, argv, f->log) == 0)
		return 0;
	log_reason(f->log, at, why, len);
	return -1;
}

static int from_apt(struct fetch *f, char *where, size_t wlen, char *why, size_t len)
{
	char pkg[400];
	snprintf(pkg, sizeof pkg, "%s%s%s", f->pkg, f->version[0] ? "=" : "", f->version);
	snprintf(where, wlen, "apt-get download");
	char *get[] = { "apt-get", "download", "-q", pkg, NULL };
	return run_logged(f, get, why, len);
}

/* The version apt knows of pkg (its lists name it, though the mirror may
 * no longer have the file), or "". */
static void version_from_apt(struct fetch *f)
{
	char out[4200], line[512];
	snprintf(out, sizeof out, "%s/.apt-cache-show", f->dir);
	unlink(out);
	char *show[] = { "apt-cache", "show", "--no-all-versions", (char *)f->pkg, NULL };
	if (run_cmd(f->dir, show, out) == 0) {
		FILE *o = fopen(out, "r");
		while (o && fgets(line, sizeof line, o))
			if (!strncmp(line, "Version: ", 9) && !f->version[0])
				snprintf(f->version, sizeof f->version, "%.*s", (int)strcspn(line + 9, "\r\n"), line + 9);
		if (o)
			fclose(o);
	}
	unlink(out);
}

/* s with every byte outside [A-Za-z0-9._~/-] as %XX: the '+' of
 * "6.12.117+deb12-amd64", the ':' of an epoch. */
static void url_quote(char *out, size_t len, const char *s)
{
	size_t at = 0;
	for (; *s && at + 4 < len; s++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~/-", *s))
			out[at++] = *s;
		else
			at += (size_t)snprintf(out + at, len - at, "%%%02X", (unsigned char)*s);
	out[at] = '\0';
}

/* apt-helper fetches as apt would (its proxies, https, a hash to check);
 * the JSON of the snapshot's API is asked once, the file with retries. */
static int download(const struct fetch *f, const char *url, const char *to, const char *sha1,
		    char *why, size_t len)
{
	char hash[80];
	snprintf(hash, sizeof hash, "SHA1:%s", sha1 ? sha1 : "");
	char *get[] = { APT_HELPER, "-o", sha1 ? "Acquire::Retries=2" : "Acquire::Retries=0", "download-file",
			(char *)url, (char *)to, sha1 ? hash : NULL, NULL };
	int rc = run_logged(f, get, why, len);
	if (rc < 0) {
		char failed[4300];
		snprintf(failed, sizeof failed, "%s.FAILED", to);
		unlink(to);
		unlink(failed);
	}
	return rc;
}

/* GET url as JSON, through a file in dir. */
static json_t *get_json(const struct fetch *f, const char *url, char *why, size_t len)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/.snapshot.json", f->dir);
	if (download(f, url, path, NULL, why, len) < 0)
		return NULL;
	json_error_t e;
	json_t *j = json_load_file(path, 0, &e);
	unlink(path);
	if (!j)
		snprintf(why, len, "%s: not JSON (%s)", url, e.text);
	return j;
}

static const char *jstr_at(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* The newest version snapshot has of f->pkg (its API lists newest first). */
static int snapshot_version(struct fetch *f, const char *base, char *why, size_t len)
{
	char url[1024], q[400];
	url_quote(q, sizeof q, f->pkg);
	snprintf(url, sizeof url, "%s/mr/binary/%s/", base, q);
	json_t *j = get_json(f, url, why, len);
	const char *v = jstr_at(json_array_get(json_object_get(j, "result"), 0), "binary_version");
	if (j && *v)
		snprintf(f->version, sizeof f->version, "%s", v);
	else if (j)
		snprintf(why, len, "it lists none");
	json_decref(j);
	return f->version[0] ? 0 : -1;
}

/* The package's pool path at the snapshot where it was first seen:
 * BASE/archive/<archive>/<first_seen>/pool/main/l/<source>/<file>.deb, and
 * its SHA1, from BASE/mr/binary/<pkg>/<version>/binfiles?fileinfo=1. */
static int snapshot_file(const struct fetch *f, const char *base, char *url, size_t ulen,
			 char *sha1, size_t slen, char *why, size_t len)
{
	char api[2048], qp[512], qv[512];
	url_quote(qp, sizeof qp, f->pkg);
	url_quote(qv, sizeof qv, f->version);
	snprintf(api, sizeof api, "%s/mr/binary/%s/%s/binfiles?fileinfo=1", base, qp, qv);
	json_t *j = get_json(f, api, why, len), *b;
	size_t i;
	const char *hash = "";
	json_array_foreach(json_object_get(j, "result"), i, b)
		if (!strcmp(jstr_at(b, "architecture"), GUEST_ARCH) && !*hash)
			hash = jstr_at(b, "hash");
	const json_t *info = json_array_get(json_object_get(json_object_get(j, "fileinfo"), hash), 0);
	const char *archive = jstr_at(info, "archive_name"), *seen = jstr_at(info, "first_seen"),
		   *path = jstr_at(info, "path"), *name = jstr_at(info, "name");
	int ok = j && strlen(hash) == 40 && strspn(hash, "0123456789abcdef") == 40 && *archive && *seen &&
		 path[0] == '/' && *name && !strstr(path, "..") && !strchr(name, '/') &&
		 !strchr(archive, '/') && !strchr(seen, '/');
	if (ok) {
		char qa[128], qs[128], qpath[512], qn[512];
		url_quote(qa, sizeof qa, archive);
		url_quote(qs, sizeof qs, seen);
		url_quote(qpath, sizeof qpath, path);
		url_quote(qn, sizeof qn, name);
		snprintf(url, ulen, "%s/archive/%s/%s%s/%s", base, qa, qs, qpath, qn);
		snprintf(sha1, slen, "%s", hash);
	} else if (j) {
		snprintf(why, len, "it has no " GUEST_ARCH " .deb of it");
	}
	json_decref(j);
	return ok ? 0 : -1;
}

/* NETREPRO_SNAPSHOT_URL names another server with the same paths (a
 * mirror, or a test's). The version: NAME=VERSION, else the one apt's
 * lists name, else the newest the snapshot has. */
static int from_snapshot(struct fetch *f, char *where, size_t wlen, char *why, size_t len)
{
	const char *env = getenv("NETREPRO_SNAPSHOT_URL");
	char base[512], url[2048], sha1[64], to[4200];
	snprintf(base, sizeof base, "%s", env && *env ? env : SNAPSHOT_URL);
	for (size_t n = strlen(base); n > 0 && base[n - 1] == '/'; n--)
		base[n - 1] = '\0';
	snprintf(where, wlen, "snapshot %s", base);
	char said[200] = "";
	if (!f->version[0])
		version_from_apt(f);
	if (!f->version[0] && snapshot_version(f, base, said, sizeof said) < 0) {
		snprintf(why, len, "no version known (%s)", said);
		return -1;
	}
	/* <pkg>_*.deb, as apt-get download names it */
	snprintf(to, sizeof to, "%s/%s_snapshot.deb", f->dir, f->pkg);
	int rc = snapshot_file(f, base, url, sizeof url, sha1, sizeof sha1, said, sizeof said);
	if (rc == 0) {
		fprintf(stderr, "netrepro matrix: %s=%s from %s\n", f->pkg, f->version, url);
		rc = download(f, url, to, sha1, said, sizeof said);
	}
	if (rc < 0)
		snprintf(why, len, "%s: %s", f->version, said);
	return rc;
}

/* linux-image-<flavour>[=version] into <cache>/<flavour>/, with modules.dep. */
static int fetch_debian(const char *flavour, const char *version, const char *cache, struct kernel *k,
			char *err, size_t len)
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
	struct fetch f = { .pkg = pkg, .dir = dir, .log = log };
	snprintf(f.version, sizeof f.version, "%s", version);
	char tried[GUEST_ERRLEN] = "";
	int got = -1;
	for (size_t i = 0; got < 0 && i < sizeof sources / sizeof *sources; i++) {
		char where[600] = "", why[200] = "";
		got = sources[i](&f, where, sizeof where, why, sizeof why);
		size_t at = strlen(tried);
		if (got < 0)
			snprintf(tried + at, sizeof tried - at, "%s%s: %s", at ? "; " : "", where, why);
	}
	if (got < 0) {
		snprintf(err, len, "cannot fetch %s%s%s, tried %s", pkg, version[0] ? "=" : "", version, tried);
		return -1;
	}
	char cmd[8192];
	/* a .deb that does not unpack is not kept for the next try to trip on */
	snprintf(cmd, sizeof cmd, "set -e; trap 'rm -f %s_*.deb' EXIT; "
		 "for d in %s_*.deb; do dpkg-deb -x \"$d\" .; done", pkg, pkg);
	char *unpack[] = { "sh", "-c", cmd, NULL };
	char *depmod[] = { "depmod", "-b", dir, (char *)flavour, NULL };
	long at = size_of(log);
	if (run_cmd(dir, unpack, log) < 0 || run_cmd(NULL, depmod, log) < 0 || !exists(k->image)) {
		char why[200];
		log_reason(log, at, why, sizeof why);
		snprintf(err, len, "cannot unpack %s or build its modules.dep (dpkg-deb, depmod from kmod): %s",
			 pkg, why);
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
	/* FLAVOUR or FLAVOUR=VERSION (the package's Debian version) */
	size_t n = strcspn(spec, "="), vn = spec[n] ? strlen(spec + n + 1) : 0;
	const char *version = spec[n] ? spec + n + 1 : "";
	if (!n || n > 100 || strspn(spec, "abcdefghijklmnopqrstuvwxyz0123456789.+-_") != n ||
	    (spec[n] && (!vn || vn > 100 ||
			 strspn(version, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.+~:-") != vn))) {
		snprintf(err, len, "kernel '%s': not 'host', a path, or a Debian flavour such as 6.1.0-50-amd64 "
			 "(pinned to a package version: 6.1.0-50-amd64=6.1.176-1)", spec);
		return -1;
	}
	snprintf(k->name, sizeof k->name, "%.*s", (int)n, spec);
	/* a fetch that fails (the network, the archive) is that kernel's
	 * result, not a usage error */
	return fetch_debian(k->name, version, cache, k, err, len) < 0 ? 1 : 0;
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
