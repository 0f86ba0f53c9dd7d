/* env: the platform part of the fingerprint: distro, libc, virtualisation,
 * WSL and containers. Read-only, like the rest of env. */
#include "env_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__GLIBC__) && !defined(__UCLIBC__)
#include <gnu/libc-version.h>
#endif

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
	int r = env_scan_file(root, "/etc/os-release", '\n', os_release_line, &q);

	if (r < 0)
		r = env_scan_file(root, "/usr/lib/os-release", '\n',
			      os_release_line, &q);
	return env_jstr(r > 0 && val[0] ? val : NULL);
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
	env_put(l, "name", env_jstr(name));
	env_put(l, "version", env_jstr(version));
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

	if (env_read_small(root, "/sys/devices/system/clocksource/clocksource0/"
			     "available_clocksource", cs, sizeof(cs)) < 0)
		return NULL;
	return env_pair_find(clocksource_virt, sizeof(clocksource_virt) /
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

	if (env_read_small(root, "/sys/class/dmi/id/sys_vendor", vendor,
		       sizeof(vendor)) < 0)
		return NULL;
	if (env_read_small(root, "/sys/class/dmi/id/product_name", product,
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
	const char *kind = accel ? env_pair_find(accel_virt, sizeof(accel_virt) /
					     sizeof(accel_virt[0]), accel, 0)
				 : NULL;
	char xen[16];

	if (kind)
		return kind;
	kind = dmi_kind(root);
	if (kind)
		return strcmp(kind, "qemu") ? kind : qemu_accel(root);
	if (env_read_small(root, "/sys/hypervisor/type", xen, sizeof(xen)) == 0 &&
	    !strcmp(xen, "xen"))
		return "xen";
	kind = clocksource_kind(root);
	if (kind)
		return kind;
	if (env_scan_file(root, "/proc/cpuinfo", '\n', cpuinfo_flags, NULL) == 1)
		return "other";
	return "none";
}

static json_t *dmi_vendor_json(const char *root)
{
	char vendor[256];

	if (env_read_small(root, "/sys/class/dmi/id/sys_vendor", vendor,
		       sizeof(vendor)) < 0 || !vendor[0])
		return json_null();
	return env_jstr(vendor);
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

	if (!v && env_read_small(root, "/proc/version", version,
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

	if (env_read_small(root, "/proc/sys/net/ipv4/ip_local_port_range", range,
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
	if (env_root_exists(root, "/sys/class/net/loopback0") ||
	    (width > 0 && width < 5000))
		return json_string("mirrored");
	if (env_root_exists(root, "/sys/class/net/eth0"))
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
	env_put(w, "version", json_integer(version));
	env_put(w, "networking", wsl_networking(root, version));
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

	f->result = env_pair_find(cgroup_hint, sizeof(cgroup_hint) /
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

	if (env_scan_file(root, "/proc/1/environ", '\0', environ_item, &f) <= 0) {
		if (!own || !*own)
			return NULL;
		snprintf(val, sizeof(val), "%s", own);
	}
	if (!val[0])
		return NULL;
	kind = env_pair_find(container_var, sizeof(container_var) /
			 sizeof(container_var[0]), val, 0);
	return kind ? kind : "other";
}

static const char *container_kind(const char *root)
{
	struct find_ctx cg = { NULL, NULL, 0 };
	const char *kind;

	env_scan_file(root, "/proc/1/cgroup", '\n', cgroup_line, &cg);
	/* A pod on a docker runtime also has /.dockerenv; say kubernetes. */
	if (getenv("KUBERNETES_SERVICE_HOST") ||
	    (cg.result && !strcmp(cg.result, "kubernetes")))
		return "kubernetes";
	if (env_root_exists(root, "/.dockerenv"))
		return "docker";
	if (env_root_exists(root, "/run/.containerenv"))
		return "podman";
	kind = container_from_var(root);
	return kind ? kind : cg.result;
}

json_t *env_platform(const char *root, const char *release)
{
	json_t *p = json_object();

	if (!p)
		return NULL;
	env_put(p, "os", json_string("linux"));
	env_put(p, "distro", os_release_get(root, "PRETTY_NAME"));
	env_put(p, "distro_id", os_release_get(root, "ID"));
	env_put(p, "distro_version", os_release_get(root, "VERSION_ID"));
	env_put(p, "libc", libc_json());
	env_put(p, "virt", env_jstr(virt_kind(root)));
	env_put(p, "dmi_vendor", dmi_vendor_json(root));
	env_put(p, "wsl", wsl_json(root, release));
	env_put(p, "container", env_jstr(container_kind(root)));
	return p;
}

