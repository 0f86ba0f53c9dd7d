/* env: the environment fingerprint of a run (see env.h).
 *
 * Every file is read relative to a root directory so the unit tests can point
 * it at a fake tree. uname(2) and geteuid() are the real ones (a fake tree's
 * /proc/sys/kernel/{osrelease,version} stand in for uname in the platform
 * detectors), and so is the process environment (a fake tree's
 * /proc/self/environ is asked too). Nothing is ever written. Every key is
 * always present; a value that cannot be read or recognised is JSON null.
 */
#include "env_int.h"

#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#if defined(__GLIBC__) && !defined(__UCLIBC__)
#include <gnu/libc-version.h>
#endif

#define VALUE_MAX 4096 /* ip_local_reserved_ports can be a long list */

/* The host sysctls every record carries: the knobs the seed cases depend on. */
static const char *const env_sysctls[] = {
	"net.ipv4.ip_local_port_range",
	"net.ipv4.ip_local_reserved_ports",
	"net.ipv6.bindv6only",
	"net.ipv4.tcp_timestamps",
	"net.ipv4.tcp_tw_reuse",
	"net.ipv4.tcp_fin_timeout",
	"net.ipv4.igmp_max_memberships",
	"net.ipv4.ip_nonlocal_bind",
	"net.ipv6.conf.all.disable_ipv6",
	NULL,
};


/* ---- files under root ---- */

int env_root_path(const char *root, const char *rel, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s%s", root ? root : "", rel);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int env_root_exists(const char *root, const char *rel)
{
	char path[PATH_MAX];

	return env_root_path(root, rel, path, sizeof(path)) == 0 &&
	       access(path, F_OK) == 0;
}

int env_root_is_real(const char *root)
{
	return !root || !root[0] || !strcmp(root, "/");
}

void env_trim_right(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

/* The start of a small file (at most len - 1 bytes), NUL-terminated and
 * right-trimmed. Returns 0, or -1 when it cannot be opened or read. */
int env_read_small(const char *root, const char *rel, char *buf, size_t len)
{
	long got = len ? env_read_bytes(root, rel, buf, len - 1) : -1;

	if (got < 0)
		return -1;
	buf[got] = '\0';
	env_trim_right(buf);
	return 0;
}

long env_read_bytes(const char *root, const char *rel, void *buf, size_t len)
{
	char path[PATH_MAX];
	size_t got = 0;
	ssize_t n = 1;
	int fd;

	if (env_root_path(root, rel, path, sizeof(path)) < 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (got < len && (n = read(fd, (char *)buf + got, len - got)) > 0)
		got += (size_t)n;
	close(fd);
	return n < 0 ? -1 : (long)got;
}

/* Calls fn on each delim-terminated item of a file (the delimiter removed)
 * until fn returns non-zero. Returns that value, 0 at the end of the file,
 * or -1 when the file cannot be opened. */
int env_scan_file(const char *root, const char *rel, int delim,
		     int (*fn)(const char *item, void *ctx), void *ctx)
{
	char path[PATH_MAX], *item = NULL;
	size_t cap = 0;
	ssize_t n;
	int r = 0;
	FILE *f;

	if (env_root_path(root, rel, path, sizeof(path)) < 0)
		return -1;
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (r == 0 && (n = getdelim(&item, &cap, delim, f)) > 0) {
		if (item[n - 1] == delim)
			item[n - 1] = '\0';
		r = fn(item, ctx);
	}
	free(item);
	fclose(f);
	return r;
}

const char *env_pair_find(const struct str_pair *t, size_t n,
			     const char *s, int substring)
{
	for (size_t i = 0; i < n; i++)
		if (substring ? strstr(s, t[i].key) != NULL : !strcmp(s, t[i].key))
			return t[i].val;
	return NULL;
}

struct var_query { const char *name; char *out; size_t len; };

static int environ_item(const char *item, void *ctx)
{
	struct var_query *q = ctx;
	size_t n = strlen(q->name);

	if (strncmp(item, q->name, n) || item[n] != '=')
		return 0;
	snprintf(q->out, q->len, "%s", item + n + 1);
	return 1;
}

int env_getvar(const char *root, const char *name, char *buf, size_t len)
{
	struct var_query q = { name, buf, len };
	const char *v = getenv(name);

	if (v) {
		snprintf(buf, len, "%s", v);
		return 0;
	}
	/* On the real root /proc/self/environ is what getenv() started from. */
	if (env_root_is_real(root))
		return -1;
	return env_scan_file(root, "/proc/self/environ", '\0', environ_item,
			     &q) > 0 ? 0 : -1;
}

void env_kernel_strings(const char *root, const struct utsname *u,
			struct env_kstr *k)
{
	int real = env_root_is_real(root);

	if (real || env_read_small(root, "/proc/sys/kernel/osrelease",
				   k->release, sizeof(k->release)) < 0)
		snprintf(k->release, sizeof(k->release), "%s", u ? u->release : "");
	if (real || env_read_small(root, "/proc/sys/kernel/version",
				   k->version, sizeof(k->version)) < 0)
		snprintf(k->version, sizeof(k->version), "%s", u ? u->version : "");
}

void env_found_set(struct env_found *f, const char *kind, const char *fmt, ...)
{
	va_list ap;

	f->kind = kind;
	va_start(ap, fmt);
	vsnprintf(f->by, sizeof(f->by), fmt, ap);
	va_end(ap);
}

/* ---- JSON helpers ---- */

/* A string, or null for NULL (and for text that is not UTF-8, which jansson
 * refuses: a key must never go missing because of one odd byte). */
json_t *env_jstr(const char *s)
{
	json_t *j = s ? json_string(s) : NULL;

	return j ? j : json_null();
}

void env_put(json_t *obj, const char *key, json_t *val)
{
	json_object_set_new(obj, key, val ? val : json_null());
}

/* ---- kernel ---- */

/* "X.Y[.Z]" at the start of s (Z defaults to 0; more components ignored). */
static int parse_xyz(const char *s, unsigned v[3])
{
	int n = 0;

	v[0] = v[1] = v[2] = 0;
	while (s && n < 3 && isdigit((unsigned char)*s)) {
		unsigned long x = 0;
		int digits = 0;

		while (isdigit((unsigned char)*s) && digits++ < 6)
			x = x * 10 + (unsigned long)(*s++ - '0');
		if (isdigit((unsigned char)*s))
			return -1;
		v[n++] = (unsigned)x;
		if (*s++ != '.')
			break;
	}
	return n >= 2 ? 0 : -1;
}

/* Debian: uname -v is "#1 SMP PREEMPT_DYNAMIC Debian 6.1.158-1 (2025-11-09)". */
static int debian_upstream(const char *version, unsigned v[3])
{
	const char *p = version ? strstr(version, "Debian ") : NULL;

	return p ? parse_xyz(p + strlen("Debian "), v) : -1;
}

/* Ubuntu: /proc/version_signature is "Ubuntu 5.15.0-91.101-generic 5.15.131",
 * the last word being the mainline version the package is based on. */
static int ubuntu_upstream(const char *signature, unsigned v[3])
{
	char sig[256];
	const char *last;

	if (!signature)
		return -1;
	snprintf(sig, sizeof(sig), "%s", signature);
	env_trim_right(sig);
	last = strrchr(sig, ' ');
	return parse_xyz(last ? last + 1 : sig, v);
}

int env_kernel_version(const char *release, const char *version,
		       const char *signature, char *buf, size_t len)
{
	unsigned v[3];
	int n;

	if (!buf || len == 0)
		return -1;
	buf[0] = '\0';
	if (ubuntu_upstream(signature, v) < 0 &&
	    debian_upstream(version, v) < 0 && parse_xyz(release, v) < 0)
		return -1;
	n = snprintf(buf, len, "%u.%u.%u", v[0], v[1], v[2]);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static json_t *kernel_json(const char *root, const struct utsname *u)
{
	char sig[256], upstream[64];
	int have_sig = env_read_small(root, "/proc/version_signature", sig,
				  sizeof(sig)) == 0;
	int have_up = u && env_kernel_version(u->release, u->version,
					      have_sig ? sig : NULL, upstream,
					      sizeof(upstream)) == 0;
	json_t *k = json_object();

	if (!k)
		return NULL;
	env_put(k, "release", env_jstr(u ? u->release : NULL));
	env_put(k, "version", env_jstr(u ? u->version : NULL));
	env_put(k, "arch", env_jstr(u ? u->machine : NULL));
	env_put(k, "upstream", env_jstr(have_up ? upstream : NULL));
	return k;
}

/* ---- privilege, sysctls, IPv6 ---- */

/* euid 0 inside a user namespace (rootless podman, or netrepro's own
 * netns_become_root()) maps uid 0 to someone else outside: not root. */
static const char *privilege(const char *root)
{
	char map[256];
	unsigned long inside, outside;

	if (geteuid() != 0)
		return "rootless";
	if (env_read_small(root, "/proc/self/uid_map", map, sizeof(map)) == 0 &&
	    sscanf(map, "%lu %lu", &inside, &outside) == 2 &&
	    (inside != 0 || outside != 0))
		return "rootless";
	return "root";
}

/* Runs of tabs become one space ("32768\t60999" -> "32768 60999"). */
static void collapse_tabs(char *s)
{
	char *w = s, prev = '\0';

	for (const char *r = s; *r; r++) {
		char c = *r; /* read before the write: w may equal r */

		if (c != '\t' || prev != '\t')
			*w++ = c == '\t' ? ' ' : c;
		prev = c;
	}
	*w = '\0';
}

static json_t *sysctl_value(const char *root, const char *name)
{
	char rel[256], val[VALUE_MAX];
	size_t prefix = strlen("/proc/sys/");
	int n = snprintf(rel, sizeof(rel), "/proc/sys/%s", name);

	if (n < 0 || (size_t)n >= sizeof(rel))
		return json_null();
	for (char *p = rel + prefix; *p; p++)
		if (*p == '.')
			*p = '/';
	if (env_read_small(root, rel, val, sizeof(val)) < 0)
		return json_null();
	collapse_tabs(val);
	return env_jstr(val);
}

static json_t *sysctl_json(const char *root)
{
	json_t *s = json_object();

	if (!s)
		return NULL;
	for (const char *const *name = env_sysctls; *name; name++)
		env_put(s, *name, sysctl_value(root, *name));
	return s;
}

static json_t *ipv6_json(const char *root, const json_t *sysctl)
{
	const char *off = json_string_value(
		json_object_get(sysctl, "net.ipv6.conf.all.disable_ipv6"));

	return json_boolean(env_root_exists(root, "/proc/net/if_inet6") &&
			    !(off && !strcmp(off, "1")));
}

json_t *env_collect_with(const char *root, const struct env_caps *caps)
{
	struct utsname uts;
	const struct utsname *u = uname(&uts) == 0 ? &uts : NULL;
	json_t *env = json_object();
	json_t *sysctl, *ipv6;

	if (!env)
		return NULL;
	sysctl = sysctl_json(root);
	ipv6 = ipv6_json(root, sysctl);
	env_put(env, "kernel", kernel_json(root, u));
	env_put(env, "platform", env_platform(root, u, caps));
	env_put(env, "privilege", json_string(privilege(root)));
	env_put(env, "sysctl", sysctl);
	env_put(env, "ipv6", ipv6);
	return env;
}

json_t *env_collect(const char *root)
{
	struct env_caps caps;

	/* Only the real machine is probed: a fake tree has no process to ask. */
	if (env_root_is_real(root) && env_caps_probe(&caps) == 0)
		return env_collect_with(root, &caps);
	return env_collect_with(root, NULL);
}
