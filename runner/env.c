/* env: the environment fingerprint of a run (see env.h).
 *
 * Every file is read relative to a root directory so the unit tests can point
 * it at a fake tree; uname(2), geteuid() and the process environment are the
 * real ones. Nothing is ever written. Every key is always present; a value
 * that cannot be read or recognised is JSON null.
 */
#include "env.h"

#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
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

struct str_pair { const char *key; const char *val; };

/* ---- files under root ---- */

static int root_path(const char *root, const char *rel, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s%s", root ? root : "", rel);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int root_exists(const char *root, const char *rel)
{
	char path[PATH_MAX];

	return root_path(root, rel, path, sizeof(path)) == 0 &&
	       access(path, F_OK) == 0;
}

static void trim_right(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

/* The start of a small file (at most len - 1 bytes), NUL-terminated and
 * right-trimmed. Returns 0, or -1 when it cannot be opened or read. */
static int read_small(const char *root, const char *rel, char *buf, size_t len)
{
	char path[PATH_MAX];
	size_t got = 0;
	ssize_t n = 1;
	int fd;

	if (root_path(root, rel, path, sizeof(path)) < 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (got + 1 < len && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = '\0';
	trim_right(buf);
	return n < 0 ? -1 : 0;
}

/* Calls fn on each delim-terminated item of a file (the delimiter removed)
 * until fn returns non-zero. Returns that value, 0 at the end of the file,
 * or -1 when the file cannot be opened. */
static int scan_file(const char *root, const char *rel, int delim,
		     int (*fn)(const char *item, void *ctx), void *ctx)
{
	char path[PATH_MAX], *item = NULL;
	size_t cap = 0;
	ssize_t n;
	int r = 0;
	FILE *f;

	if (root_path(root, rel, path, sizeof(path)) < 0)
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

static const char *pair_find(const struct str_pair *t, size_t n,
			     const char *s, int substring)
{
	for (size_t i = 0; i < n; i++)
		if (substring ? strstr(s, t[i].key) != NULL : !strcmp(s, t[i].key))
			return t[i].val;
	return NULL;
}

/* ---- JSON helpers ---- */

/* A string, or null for NULL (and for text that is not UTF-8, which jansson
 * refuses: a key must never go missing because of one odd byte). */
static json_t *jstr(const char *s)
{
	json_t *j = s ? json_string(s) : NULL;

	return j ? j : json_null();
}

static void put(json_t *obj, const char *key, json_t *val)
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
	trim_right(sig);
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
	int have_sig = read_small(root, "/proc/version_signature", sig,
				  sizeof(sig)) == 0;
	int have_up = u && env_kernel_version(u->release, u->version,
					      have_sig ? sig : NULL, upstream,
					      sizeof(upstream)) == 0;
	json_t *k = json_object();

	if (!k)
		return NULL;
	put(k, "release", jstr(u ? u->release : NULL));
	put(k, "version", jstr(u ? u->version : NULL));
	put(k, "arch", jstr(u ? u->machine : NULL));
	put(k, "upstream", jstr(have_up ? upstream : NULL));
	return k;
}

/* ---- distro (os-release(5)) ---- */

struct kv_query { const char *key; char *out; size_t len; };

/* Shell-like value: optional single or double quotes, backslash escapes
 * inside double quotes. */
static void unquote(const char *v, char *out, size_t len)
{
	char q = (*v == '"' || *v == '\'') ? *v++ : '\0';
	size_t n = 0;

	while (*v && n + 1 < len && !(q && *v == q)) {
		if (q == '"' && *v == '\\' && v[1])
			v++;
		out[n++] = *v++;
	}
	out[n] = '\0';
}

static int os_release_line(const char *line, void *ctx)
{
	struct kv_query *q = ctx;
	size_t k = strlen(q->key);

	if (strncmp(line, q->key, k) || line[k] != '=')
		return 0;
	unquote(line + k + 1, q->out, q->len);
	return 1;
}

static json_t *os_release_get(const char *root, const char *key)
{
	char val[256];
	struct kv_query q = { key, val, sizeof(val) };
	/* os-release(5): /etc/os-release, else /usr/lib/os-release. */
	int r = scan_file(root, "/etc/os-release", '\n', os_release_line, &q);

	if (r < 0)
		r = scan_file(root, "/usr/lib/os-release", '\n',
			      os_release_line, &q);
	return jstr(r > 0 && val[0] ? val : NULL);
}

/* ---- libc ---- */

static json_t *libc_json(void)
{
	const char *name = NULL, *version = NULL;
	json_t *l = json_object();

#if defined(__GLIBC__) && !defined(__UCLIBC__)
	name = "glibc";
	version = gnu_get_libc_version();
#elif defined(__linux__) && !defined(__BIONIC__) && !defined(__UCLIBC__)
	/* musl deliberately defines no identifying macro and has no version
	 * call; on Linux the libc that is none of the above is musl. */
	name = "musl";
#endif
	if (!l)
		return NULL;
	put(l, "name", jstr(name));
	put(l, "version", jstr(version));
	return l;
}

/* ---- virtualisation ---- */

struct dmi_rule { const char *vendor, *product, *virt; };

/* sys_vendor / product_name substrings that only VMs report. "qemu" is
 * refined by qemu_accel(). */
static const struct dmi_rule dmi_rules[] = {
	{ "QEMU", NULL, "qemu" },
	{ "VMware", NULL, "vmware" },
	{ "Microsoft Corporation", "Virtual Machine", "hyperv" },
	{ "Xen", NULL, "xen" },
	{ "innotek GmbH", NULL, "virtualbox" },
	{ "Oracle Corporation", "VirtualBox", "virtualbox" },
	{ "Parallels", NULL, "parallels" },
};

/* A paravirtual clocksource names the hypervisor even without DMI (WSL2,
 * Firecracker, cloud VMs). */
static const struct str_pair clocksource_virt[] = {
	{ "kvm-clock", "kvm" },
	{ "hyperv_clocksource", "hyperv" },
	{ "xen", "xen" },
};

/* NETREPRO_ACCEL is set by netrepro's own QEMU guest init. */
static const struct str_pair accel_virt[] = {
	{ "tcg", "qemu-tcg" },
	{ "kvm", "qemu-kvm" },
};

static const char *clocksource_kind(const char *root)
{
	char cs[512];

	if (read_small(root, "/sys/devices/system/clocksource/clocksource0/"
			     "available_clocksource", cs, sizeof(cs)) < 0)
		return NULL;
	return pair_find(clocksource_virt, sizeof(clocksource_virt) /
			 sizeof(clocksource_virt[0]), cs, 1);
}

/* QEMU under KVM offers kvm-clock, under TCG it cannot. Elsewhere than x86
 * KVM has no kvm-clock (arm64 uses the arch timer), so there we cannot tell. */
static const char *qemu_accel(const char *root)
{
	const char *cs = clocksource_kind(root);

	if (cs && !strcmp(cs, "kvm"))
		return "kvm";
#if defined(__x86_64__) || defined(__i386__)
	return "qemu-tcg";
#else
	return "qemu";
#endif
}

static const char *dmi_kind(const char *root)
{
	char vendor[256], product[256];

	if (read_small(root, "/sys/class/dmi/id/sys_vendor", vendor,
		       sizeof(vendor)) < 0)
		return NULL;
	if (read_small(root, "/sys/class/dmi/id/product_name", product,
		       sizeof(product)) < 0)
		product[0] = '\0';
	for (size_t i = 0; i < sizeof(dmi_rules) / sizeof(dmi_rules[0]); i++) {
		const struct dmi_rule *r = &dmi_rules[i];

		if (strstr(vendor, r->vendor) &&
		    (!r->product || strstr(product, r->product)))
			return r->virt;
	}
	return NULL;
}

static int has_word(const char *s, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = strstr(s, word); p; p = strstr(p + 1, word))
		if ((p == s || isspace((unsigned char)p[-1])) &&
		    (p[n] == '\0' || isspace((unsigned char)p[n])))
			return 1;
	return 0;
}

/* 1 when the first "flags" line of /proc/cpuinfo has "hypervisor" (the CPUID
 * bit every x86 hypervisor sets), 2 when it does not. */
static int cpuinfo_flags(const char *line, void *ctx)
{
	(void)ctx;
	if (strncmp(line, "flags", 5))
		return 0;
	return has_word(line, "hypervisor") ? 1 : 2;
}

static const char *virt_kind(const char *root)
{
	const char *accel = getenv("NETREPRO_ACCEL");
	const char *kind = accel ? pair_find(accel_virt, sizeof(accel_virt) /
					     sizeof(accel_virt[0]), accel, 0)
				 : NULL;
	char xen[16];

	if (kind)
		return kind;
	kind = dmi_kind(root);
	if (kind)
		return strcmp(kind, "qemu") ? kind : qemu_accel(root);
	if (read_small(root, "/sys/hypervisor/type", xen, sizeof(xen)) == 0 &&
	    !strcmp(xen, "xen"))
		return "xen";
	kind = clocksource_kind(root);
	if (kind)
		return kind;
	if (scan_file(root, "/proc/cpuinfo", '\n', cpuinfo_flags, NULL) == 1)
		return "other";
	return "none";
}

static json_t *dmi_vendor_json(const char *root)
{
	char vendor[256];

	if (read_small(root, "/sys/class/dmi/id/sys_vendor", vendor,
		       sizeof(vendor)) < 0 || !vendor[0])
		return json_null();
	return jstr(vendor);
}

/* ---- WSL ---- */

/* WSL2 kernels are "5.15.167.4-microsoft-standard-WSL2" (older ones
 * "4.19.128-microsoft-standard"); WSL1 emulates a kernel and calls it
 * "4.4.0-19041-Microsoft" with a capital M. */
static int wsl_version_of(const char *s)
{
	if (!s)
		return 0;
	if (strstr(s, "WSL2") || strstr(s, "microsoft"))
		return 2;
	return strstr(s, "Microsoft") ? 1 : 0;
}

static int wsl_version(const char *root, const char *release)
{
	char version[512];
	int v = wsl_version_of(release);

	if (!v && read_small(root, "/proc/version", version,
			     sizeof(version)) == 0)
		v = wsl_version_of(version);
	/* WSL's init exports these. Without a Microsoft kernel string this is
	 * WSL2 with a custom kernel: WSL1 always reports "Microsoft". */
	if (!v && (getenv("WSL_DISTRO_NAME") || getenv("WSL_INTEROP")))
		v = 2;
	return v;
}

static long port_range_width(const char *root)
{
	char range[64];
	long lo, hi;

	if (read_small(root, "/proc/sys/net/ipv4/ip_local_port_range", range,
		       sizeof(range)) < 0 ||
	    sscanf(range, "%ld %ld", &lo, &hi) != 2)
		return -1;
	return hi - lo + 1;
}

/* WSL2's networking mode (.wslconfig networkingMode) is not visible from
 * inside the VM, so this is a guess, in order of confidence:
 *  - mirrored mode adds a "loopback0" interface (the Windows loopback);
 *  - mirrored mode shares Windows' port space and narrows Linux's
 *    ip_local_port_range to a block reserved on the Windows side (about 4k
 *    ports) where the default is 28232 ports: under 5000 means mirrored;
 *  - otherwise an eth0 (the Hyper-V NIC behind Windows' NAT) means nat;
 *  - otherwise (networkingMode=none, virtioproxy, ...) null.
 * WSL1 has no network of its own (it is Windows' stack): null. */
static json_t *wsl_networking(const char *root, int version)
{
	long width;

	if (version != 2)
		return json_null();
	width = port_range_width(root);
	if (root_exists(root, "/sys/class/net/loopback0") ||
	    (width > 0 && width < 5000))
		return json_string("mirrored");
	if (root_exists(root, "/sys/class/net/eth0"))
		return json_string("nat");
	return json_null();
}

static json_t *wsl_json(const char *root, const char *release)
{
	int version = wsl_version(root, release);
	json_t *w;

	if (!version)
		return json_null();
	w = json_object();
	if (!w)
		return NULL;
	put(w, "version", json_integer(version));
	put(w, "networking", wsl_networking(root, version));
	return w;
}

/* ---- containers ---- */

/* The "container" variable systemd-style managers give pid 1. */
static const struct str_pair container_var[] = {
	{ "docker", "docker" },
	{ "podman", "podman" },
	{ "lxc", "lxc" },
	{ "lxc-libvirt", "lxc" },
	{ "systemd-nspawn", "systemd-nspawn" },
};

/* Substrings of /proc/1/cgroup paths, most specific first: a pod's cgroup
 * path also names the container runtime. */
static const struct str_pair cgroup_hint[] = {
	{ "kubepods", "kubernetes" },
	{ "docker", "docker" },
	{ "libpod", "podman" },
	{ "/lxc", "lxc" },
};

struct find_ctx { const char *result; char *buf; size_t len; };

static int cgroup_line(const char *line, void *ctx)
{
	struct find_ctx *f = ctx;

	f->result = pair_find(cgroup_hint, sizeof(cgroup_hint) /
			      sizeof(cgroup_hint[0]), line, 1);
	return f->result != NULL;
}

static int environ_item(const char *item, void *ctx)
{
	struct find_ctx *f = ctx;

	if (strncmp(item, "container=", 10))
		return 0;
	snprintf(f->buf, f->len, "%s", item + 10);
	return 1;
}

/* pid 1's "container" variable: /proc/1/environ is readable only by root,
 * so fall back to our own environment, which usually inherited it. */
static const char *container_from_var(const char *root)
{
	char val[64];
	struct find_ctx f = { NULL, val, sizeof(val) };
	const char *own = getenv("container");
	const char *kind;

	if (scan_file(root, "/proc/1/environ", '\0', environ_item, &f) <= 0) {
		if (!own || !*own)
			return NULL;
		snprintf(val, sizeof(val), "%s", own);
	}
	if (!val[0])
		return NULL;
	kind = pair_find(container_var, sizeof(container_var) /
			 sizeof(container_var[0]), val, 0);
	return kind ? kind : "other";
}

static const char *container_kind(const char *root)
{
	struct find_ctx cg = { NULL, NULL, 0 };
	const char *kind;

	scan_file(root, "/proc/1/cgroup", '\n', cgroup_line, &cg);
	/* A pod on a docker runtime also has /.dockerenv; say kubernetes. */
	if (getenv("KUBERNETES_SERVICE_HOST") ||
	    (cg.result && !strcmp(cg.result, "kubernetes")))
		return "kubernetes";
	if (root_exists(root, "/.dockerenv"))
		return "docker";
	if (root_exists(root, "/run/.containerenv"))
		return "podman";
	kind = container_from_var(root);
	return kind ? kind : cg.result;
}

static json_t *platform_json(const char *root, const char *release)
{
	json_t *p = json_object();

	if (!p)
		return NULL;
	put(p, "os", json_string("linux"));
	put(p, "distro", os_release_get(root, "PRETTY_NAME"));
	put(p, "distro_id", os_release_get(root, "ID"));
	put(p, "distro_version", os_release_get(root, "VERSION_ID"));
	put(p, "libc", libc_json());
	put(p, "virt", jstr(virt_kind(root)));
	put(p, "dmi_vendor", dmi_vendor_json(root));
	put(p, "wsl", wsl_json(root, release));
	put(p, "container", jstr(container_kind(root)));
	return p;
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
	if (read_small(root, "/proc/self/uid_map", map, sizeof(map)) == 0 &&
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
	if (read_small(root, rel, val, sizeof(val)) < 0)
		return json_null();
	collapse_tabs(val);
	return jstr(val);
}

static json_t *sysctl_json(const char *root)
{
	json_t *s = json_object();

	if (!s)
		return NULL;
	for (const char *const *name = env_sysctls; *name; name++)
		put(s, *name, sysctl_value(root, *name));
	return s;
}

static json_t *ipv6_json(const char *root, const json_t *sysctl)
{
	const char *off = json_string_value(
		json_object_get(sysctl, "net.ipv6.conf.all.disable_ipv6"));

	return json_boolean(root_exists(root, "/proc/net/if_inet6") &&
			    !(off && !strcmp(off, "1")));
}

json_t *env_collect(const char *root)
{
	struct utsname uts;
	const struct utsname *u = uname(&uts) == 0 ? &uts : NULL;
	json_t *env = json_object();
	json_t *sysctl, *ipv6;

	if (!env)
		return NULL;
	sysctl = sysctl_json(root);
	ipv6 = ipv6_json(root, sysctl);
	put(env, "kernel", kernel_json(root, u));
	put(env, "platform", platform_json(root, u ? u->release : NULL));
	put(env, "privilege", json_string(privilege(root)));
	put(env, "sysctl", sysctl);
	put(env, "ipv6", ipv6);
	return env;
}
