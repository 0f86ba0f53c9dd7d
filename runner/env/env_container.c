/* env: the container we run in (Kubernetes pod, Docker, Podman, LXC,
 * systemd-nspawn, ...), the kernel that sandboxes it (gVisor) and whether
 * seccomp filters this process, each with the fact that told. Read-only.
 * The order follows systemd's detect_container() (src/basic/virt.c), with
 * a pod first: a pod on a Docker runtime also has /.dockerenv. */
#include "env_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The names container managers give in $container, /run/host/container-manager
 * and /run/systemd/container (systemd.io/CONTAINER_INTERFACE). */
static const struct str_pair manager_kind[] = {
	{ "docker", "docker" },
	{ "podman", "podman" },
	{ "lxc", "lxc" },
	{ "lxc-libvirt", "lxc" },
	{ "systemd-nspawn", "systemd-nspawn" },
};

/* Where a manager's name is written down, most readable first: the two
 * files are world-readable, /proc/1/environ is root's only. */
static const char *const manager_files[] = {
	"/run/host/container-manager",
	"/run/systemd/container",
};

/* Substrings of /proc/1/cgroup paths (cgroup v1, or v2 without a cgroup
 * namespace), most specific first: a pod's path also names its runtime. */
static const struct str_pair cgroup_hint[] = {
	{ "kubepods", "kubernetes" },
	{ "docker", "docker" },
	{ "libpod", "podman" },
	{ "/lxc", "lxc" },
};

/* Substrings of the source ("root") of a mount in /proc/self/mountinfo:
 * the files an engine bind-mounts over /etc/hostname, /etc/hosts and
 * /etc/resolv.conf live in its own directories (kubelet: pods/<uid>/etc-hosts;
 * Docker: containers/<id>/hostname; Podman: overlay-containers/<id>/userdata/). */
static const struct str_pair mount_hint[] = {
	{ "/kubelet/pods/", "kubernetes" },
	{ "/docker/containers/", "docker" },
	{ "/userdata/", "podman" },
};

/* Files only LXC (and LXD/Incus on it) put in a container: lxc_setup_boot_id()
 * in lxc src/lxc/conf.c writes /dev/.lxc-boot-id; LXD and Incus give the
 * guest API socket. */
static const char *const lxc_files[] = {
	"/dev/.lxc-boot-id", "/dev/lxd/sock", "/dev/incus/sock",
};

static const char *const serviceaccount_dirs[] = {
	"/var/run/secrets/kubernetes.io/serviceaccount",
	"/run/secrets/kubernetes.io/serviceaccount",
};

struct hint_scan {
	const struct str_pair *table;
	size_t n;
	const char *kind;
	char what[300];
	int engine_bind; /* a mount over /etc/hostname, /etc/hosts or /etc/resolv.conf */
	char bind[300];
};

static int cgroup_line(const char *line, void *ctx)
{
	struct hint_scan *h = ctx;

	h->kind = env_pair_find(h->table, h->n, line, 1);
	if (h->kind)
		snprintf(h->what, sizeof(h->what), "%.250s", line);
	return h->kind != NULL;
}

/* mountinfo: "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw"
 * (proc(5)); the 4th field is the mount's source within its filesystem,
 * the 5th where it is mounted. */
static int mountinfo_line(const char *line, void *ctx)
{
	static const char *const engine_files[] = {
		"/etc/hostname", "/etc/hosts", "/etc/resolv.conf",
	};
	struct hint_scan *h = ctx;
	char src[256], point[256];

	if (sscanf(line, "%*s %*s %*s %255s %255s", src, point) != 2)
		return 0;
	for (size_t i = 0; i < ENV_ARRAY_LEN(engine_files); i++)
		if (!h->engine_bind && !strcmp(point, engine_files[i])) {
			h->engine_bind = 1;
			snprintf(h->bind, sizeof(h->bind), "%.150s on %.100s", src, point);
		}
	if (!h->kind && (h->kind = env_pair_find(mount_hint, ENV_ARRAY_LEN(mount_hint),
						src, 1)) != NULL)
		snprintf(h->what, sizeof(h->what), "%.150s on %.100s", src, point);
	return 0;
}

static int kubernetes(const char *root, const struct hint_scan *cg,
		      const struct hint_scan *mi, struct env_found *f)
{
	char host[64];

	if (env_getvar(root, "KUBERNETES_SERVICE_HOST", host, sizeof(host)) == 0) {
		env_found_set(f, "kubernetes", "KUBERNETES_SERVICE_HOST=%s in the environment",
			      host);
		return 1;
	}
	for (size_t i = 0; i < ENV_ARRAY_LEN(serviceaccount_dirs); i++)
		if (env_root_exists(root, serviceaccount_dirs[i])) {
			env_found_set(f, "kubernetes", "%s", serviceaccount_dirs[i]);
			return 1;
		}
	if (cg->kind && !strcmp(cg->kind, "kubernetes"))
		env_found_set(f, "kubernetes", "/proc/1/cgroup: %s", cg->what);
	else if (mi->kind && !strcmp(mi->kind, "kubernetes"))
		env_found_set(f, "kubernetes", "/proc/self/mountinfo: %s", mi->what);
	else
		return 0;
	return 1;
}

/* /.dockerenv is made by dockerd's init layer (moby daemon/initlayer/
 * setup_unix.go; systemd's detect_container_files() trusts it alone) but
 * stays in an image's filesystem when that is exported and booted as a VM,
 * so it counts with a second fact: Docker's cgroup path or bind mounts. */
static int docker(const char *root, const struct hint_scan *cg,
		  const struct hint_scan *mi, struct env_found *f, char *note, size_t len)
{
	if (!env_root_exists(root, "/.dockerenv"))
		return 0;
	if (cg->kind && !strcmp(cg->kind, "docker"))
		env_found_set(f, "docker", "/.dockerenv, and /proc/1/cgroup: %s", cg->what);
	else if (mi->kind && !strcmp(mi->kind, "docker"))
		env_found_set(f, "docker", "/.dockerenv, and /proc/self/mountinfo: %s", mi->what);
	else if (mi->engine_bind)
		env_found_set(f, "docker", "/.dockerenv, and /proc/self/mountinfo: %s", mi->bind);
	else {
		snprintf(note, len, "not a container: /.dockerenv, but no Docker cgroup "
			 "and no engine bind mount in /proc/self/mountinfo (a filesystem "
			 "exported from a Docker image?)");
		return 0;
	}
	return 1;
}

/* Podman makes /run/.containerenv in every container (podman-run(1)); with
 * --privileged it holds engine="podman-<version>", name=, id=, rootless=. */
static int podman(const char *root, struct env_found *f)
{
	char info[1024], engine[64] = "";
	const char *e;

	if (env_read_small(root, "/run/.containerenv", info, sizeof(info)) < 0)
		return 0;
	e = strstr(info, "engine=\"");
	if (e)
		sscanf(e + 8, "%63[^\"]", engine);
	env_found_set(f, "podman", "/run/.containerenv%s%s%s%s", engine[0] ? " (engine " : "",
		      engine, engine[0] ? ")" : "",
		      strstr(info, "rootless=1") ? ", rootless" : "");
	return 1;
}

static int named_kind(const char *name, const char *where, struct env_found *f)
{
	const char *kind;

	if (!name[0])
		return 0;
	kind = env_pair_find(manager_kind, ENV_ARRAY_LEN(manager_kind), name, 0);
	env_found_set(f, kind ? kind : "other", "%s: %.100s", where, name);
	return 1;
}

struct var_scan { char val[64]; int found; };

static int pid1_container(const char *item, void *ctx)
{
	struct var_scan *v = ctx;

	if (strncmp(item, "container=", 10))
		return 0;
	snprintf(v->val, sizeof(v->val), "%s", item + 10);
	v->found = 1;
	return 1;
}

/* The manager's own name for itself (systemd.io/CONTAINER_INTERFACE): PID 1's
 * $container, and the files it or systemd write it to. */
static int manager(const char *root, struct env_found *f)
{
	struct var_scan pid1 = { "", 0 };
	char name[64];

	for (size_t i = 0; i < ENV_ARRAY_LEN(manager_files); i++)
		if (env_read_small(root, manager_files[i], name, sizeof(name)) == 0 &&
		    named_kind(name, manager_files[i], f))
			return 1;
	if (env_scan_file(root, "/proc/1/environ", '\0', pid1_container, &pid1) > 0)
		return named_kind(pid1.val, "container= in /proc/1/environ", f);
	/* Unreadable (root's only): our own environment usually inherited it. */
	return env_getvar(root, "container", name, sizeof(name)) == 0 &&
	       named_kind(name, "container= in the environment", f);
}

void env_container(const char *root, struct env_found *f)
{
	struct hint_scan cg = { cgroup_hint, ENV_ARRAY_LEN(cgroup_hint), NULL, "", 0, "" };
	struct hint_scan mi = { mount_hint, ENV_ARRAY_LEN(mount_hint), NULL, "", 0, "" };
	char note[ENV_FOUND_MAX] = "";

	env_scan_file(root, "/proc/1/cgroup", '\n', cgroup_line, &cg);
	env_scan_file(root, "/proc/self/mountinfo", '\n', mountinfo_line, &mi);
	if (kubernetes(root, &cg, &mi, f) || docker(root, &cg, &mi, f, note, sizeof(note)) ||
	    podman(root, f) || manager(root, f))
		return;
	for (size_t i = 0; i < ENV_ARRAY_LEN(lxc_files); i++)
		if (env_root_exists(root, lxc_files[i])) {
			env_found_set(f, "lxc", "%s", lxc_files[i]);
			return;
		}
	if (cg.kind)
		env_found_set(f, cg.kind, "/proc/1/cgroup: %s", cg.what);
	else if (mi.kind)
		env_found_set(f, mi.kind, "/proc/self/mountinfo: %s", mi.what);
	else
		env_found_set(f, NULL, "%s", note);
}

/* ---- gVisor ---- */

/* gVisor's Sentry reports a fixed uname: version "#1 SMP Sun Jan 10
 * 15:06:54 PST 2016", release "4.4.0" ("4.19.0-gvisor" in newer ones),
 * in uname(2), /proc/sys/kernel/{version,osrelease} and /proc/version
 * (google/gvisor pkg/sentry/kernel/version/version.go,
 * pkg/sentry/fsimpl/proc/tasks_sys.go). */
#define GVISOR_VERSION "#1 SMP Sun Jan 10 15:06:54 PST 2016"

void env_sandbox(const char *root, const struct env_kstr *k, struct env_found *f)
{
	char version[512];
	size_t n = strlen(k->release);

	if (!strcmp(k->version, GVISOR_VERSION))
		env_found_set(f, "gvisor", "kernel version \"%s\" (gVisor's fixed uname -v)",
			      k->version);
	else if (n > 7 && !strcmp(k->release + n - 7, "-gvisor"))
		env_found_set(f, "gvisor", "kernel release %s", k->release);
	else if (env_read_small(root, "/proc/version", version, sizeof(version)) == 0 &&
		 strstr(version, GVISOR_VERSION))
		env_found_set(f, "gvisor", "/proc/version: %.300s", version);
	else
		env_found_set(f, NULL, "%s", "");
}

/* ---- seccomp ---- */

struct seccomp_scan { long mode, filters; };

static int status_line(const char *line, void *ctx)
{
	struct seccomp_scan *s = ctx;

	if (!strncmp(line, "Seccomp:", 8))
		s->mode = strtol(line + 8, NULL, 10);
	else if (!strncmp(line, "Seccomp_filters:", 16))
		s->filters = strtol(line + 16, NULL, 10);
	return 0;
}

/* /proc/self/status "Seccomp:" is 0 (none), 1 (strict) or 2 (filter);
 * "Seccomp_filters:" (Linux 5.9+) counts the filters attached (proc(5)).
 * gVisor prints the mode only. */
json_t *env_seccomp(const char *root)
{
	static const char *const modes[] = { "none", "strict", "filter" };
	struct seccomp_scan s = { -1, -1 };
	json_t *j = json_object();

	if (!j)
		return NULL;
	env_scan_file(root, "/proc/self/status", '\n', status_line, &s);
	env_put(j, "mode", s.mode >= 0 && s.mode <= 2 ? json_string(modes[s.mode])
						       : json_null());
	env_put(j, "filters", s.filters >= 0 ? json_integer(s.filters) : json_null());
	return j;
}
