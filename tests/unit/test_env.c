/* Unit tests for runner/env/: the upstream kernel version parser on fixed
 * strings, env_collect() on a fake root tree under /tmp, each platform
 * detector over a recorded snapshot of that platform's files
 * (tests/unit/env-snapshots/<platform>/, see its README.md), and the live
 * namespace probe on this machine. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "env.h"

/* ---- env_kernel_version ---- */

struct kv_case {
	const char *release, *version, *signature, *want;
};

static const struct kv_case kv_cases[] = {
	{ "6.1.0-50-amd64",
	  "#1 SMP PREEMPT_DYNAMIC Debian 6.1.158-1 (2025-11-09)", NULL,
	  "6.1.158" },
	{ "6.12.117+deb12-amd64",
	  "#1 SMP PREEMPT_DYNAMIC Debian 6.12.117-1~deb12u1 (2025-11-20)", NULL,
	  "6.12.117" },
	{ "6.18.44-fc-v595", "#1 SMP PREEMPT_DYNAMIC @0", NULL, "6.18.44" },
	{ "5.15.0-91-generic", "#101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023",
	  "Ubuntu 5.15.0-91.101-generic 5.15.131\n", "5.15.131" },
	{ "5.15.167.4-microsoft-standard-WSL2", "#1 SMP Tue Nov 5 00:21:55 UTC 2024",
	  NULL, "5.15.167" },
	{ "6.1-rc1", NULL, NULL, "6.1.0" },
	/* A signature whose last word is not a version falls through. */
	{ "6.2.3", NULL, "Ubuntu", "6.2.3" },
};

static void test_kernel_version_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(kv_cases) / sizeof(kv_cases[0]); i++) {
		const struct kv_case *c = &kv_cases[i];
		char buf[32];

		assert_int_equal(env_kernel_version(c->release, c->version,
						    c->signature, buf,
						    sizeof(buf)), 0);
		assert_string_equal(buf, c->want);
	}
}

static void test_kernel_version_garbage(void **state)
{
	char buf[32];

	(void)state;
	assert_int_equal(env_kernel_version("garbage", "#1 SMP nothing", NULL,
					    buf, sizeof(buf)), -1);
	assert_string_equal(buf, "");
	assert_int_equal(env_kernel_version(NULL, NULL, NULL, buf, sizeof(buf)),
			 -1);
	assert_int_equal(env_kernel_version("6", "Debian x", "Ubuntu y", buf,
					    sizeof(buf)), -1);
	assert_int_equal(env_kernel_version("99999999.1.2", NULL, NULL, buf,
					    sizeof(buf)), -1);
	/* Too small a buffer is a failure, not a truncated version. */
	assert_int_equal(env_kernel_version("6.18.44", NULL, NULL, buf, 4), -1);
	assert_int_equal(env_kernel_version("6.18.44", NULL, NULL, NULL, 0), -1);
}

/* ---- fake root ---- */

static const char *const env_vars[] = {
	"NETREPRO_ACCEL", "WSL_DISTRO_NAME", "WSL_INTEROP",
	"KUBERNETES_SERVICE_HOST", "container", NULL,
};

static void mkdirs(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
}

static void fake_bytes(const char *root, const char *rel, const char *data,
		       size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	mkdirs(path);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void fake_file(const char *root, const char *rel, const char *text)
{
	fake_bytes(root, rel, text, strlen(text));
}

static void fake_dir(const char *root, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s%s/", root, rel);
	mkdirs(path);
}

static int setup_root(void **state)
{
	char *root = strdup("/tmp/netrepro-env-XXXXXX");

	if (!root || !mkdtemp(root)) {
		free(root);
		return -1;
	}
	for (const char *const *v = env_vars; *v; v++)
		unsetenv(*v);
	*state = root;
	return 0;
}

/* For the snapshot tests, which read their tree in place. */
static int setup_env_vars(void **state)
{
	(void)state;
	for (const char *const *v = env_vars; *v; v++)
		unsetenv(*v);
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static int teardown_root(void **state)
{
	int r = nftw(*state, rm_entry, 16, FTW_DEPTH | FTW_PHYS);

	free(*state);
	return r;
}

/* rm -r root/rel */
static int nftw_rm(const char *root, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s%s", root, rel);
	return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* The real kernel string wins over a fake /proc/version: WSL assertions
 * only hold on a host that is not WSL itself. */
static int host_is_wsl(void)
{
	struct utsname u;

	return uname(&u) == 0 && strcasestr(u.release, "microsoft") != NULL;
}

static const char *str_at(json_t *env, const char *path)
{
	return json_string_value(json_object_get(
		json_object_get(env, "platform"), path));
}

static const char *sysctl_at(json_t *env, const char *name)
{
	return json_string_value(json_object_get(
		json_object_get(env, "sysctl"), name));
}

static void assert_wsl(json_t *env, int version, const char *networking)
{
	json_t *wsl = json_object_get(json_object_get(env, "platform"), "wsl");
	json_t *net = json_object_get(wsl, "networking");

	assert_true(json_is_object(wsl));
	assert_int_equal(json_integer_value(json_object_get(wsl, "version")),
			 version);
	if (networking)
		assert_string_equal(json_string_value(net), networking);
	else
		assert_true(json_is_null(net));
}

static const char os_release[] =
	"NAME=\"Debian GNU/Linux\"\n"
	"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
	"ID=debian\n"
	"VERSION_ID='12'\n";

static const char wsl2_version[] =
	"Linux version 5.15.167.4-microsoft-standard-WSL2 (root@f9c826d3017f) "
	"(gcc (GCC) 11.2.0, GNU ld (GNU Binutils) 2.37) #1 SMP Tue Nov 5 "
	"00:21:55 UTC 2024\n";

/* ---- env_collect on a fake root ---- */

static void test_collect_wsl2_mirrored(void **state)
{
	const char *root = *state;
	json_t *env;

	if (host_is_wsl())
		skip();
	fake_file(root, "/etc/os-release", os_release);
	fake_file(root, "/proc/version", wsl2_version);
	fake_file(root, "/proc/sys/net/ipv4/ip_local_port_range", "32768\t\t60999\n");
	fake_file(root, "/proc/sys/net/ipv6/bindv6only", "0\n");
	fake_file(root, "/proc/sys/net/ipv4/ip_local_reserved_ports", "\n");
	fake_file(root, "/proc/sys/net/ipv6/conf/all/disable_ipv6", "0\n");
	fake_file(root, "/proc/net/if_inet6", "");
	fake_dir(root, "/sys/class/net/loopback0");
	fake_dir(root, "/sys/class/net/eth0");

	env = env_collect(root);
	assert_non_null(env);
	assert_string_equal(str_at(env, "os"), "linux");
	assert_string_equal(str_at(env, "distro"), "Debian GNU/Linux 12 (bookworm)");
	assert_string_equal(str_at(env, "distro_id"), "debian");
	assert_string_equal(str_at(env, "distro_version"), "12");
	assert_wsl(env, 2, "mirrored");
	assert_string_equal(sysctl_at(env, "net.ipv4.ip_local_port_range"),
			    "32768 60999");
	assert_string_equal(sysctl_at(env, "net.ipv6.bindv6only"), "0");
	assert_string_equal(sysctl_at(env, "net.ipv4.ip_local_reserved_ports"), "");
	assert_true(json_is_null(json_object_get(json_object_get(env, "sysctl"),
						 "net.ipv4.tcp_timestamps")));
	assert_true(json_is_true(json_object_get(env, "ipv6")));
	assert_true(json_is_null(json_object_get(json_object_get(env, "platform"),
						 "container")));
	json_decref(env);
}

static void test_collect_wsl2_nat_and_narrow(void **state)
{
	const char *root = *state;
	json_t *env;

	if (host_is_wsl())
		skip();
	fake_file(root, "/proc/version", wsl2_version);
	fake_file(root, "/proc/sys/net/ipv4/ip_local_port_range", "32768\t60999\n");
	fake_dir(root, "/sys/class/net/eth0");
	env = env_collect(root);
	assert_wsl(env, 2, "nat");
	json_decref(env);

	/* Mirrored mode's reserved block of about 4k ports. */
	fake_file(root, "/proc/sys/net/ipv4/ip_local_port_range", "60400\t64495\n");
	env = env_collect(root);
	assert_wsl(env, 2, "mirrored");
	json_decref(env);
}

static void test_collect_wsl1(void **state)
{
	const char *root = *state;
	json_t *env;

	if (host_is_wsl())
		skip();
	fake_file(root, "/proc/version",
		  "Linux version 4.4.0-19041-Microsoft (Microsoft@Microsoft.com) "
		  "(gcc version 5.4.0 (GCC) ) #1237-Microsoft Sat Sep 11 14:32:00 "
		  "PST 2021\n");
	env = env_collect(root);
	assert_wsl(env, 1, NULL);
	json_decref(env);
}

/* An empty tree: every key present, the unknowable ones null. */
static void test_collect_empty_root(void **state)
{
	static const char *const platform_keys[] = {
		"os", "distro", "distro_id", "distro_version", "libc", "virt",
		"virt_found_by", "dmi_vendor", "wsl", "container",
		"container_found_by", "sandbox", "sandbox_found_by", "seccomp",
		"probe", NULL,
	};
	json_t *env = env_collect(*state), *p, *s;

	assert_non_null(env);
	p = json_object_get(env, "platform");
	for (const char *const *k = platform_keys; *k; k++)
		assert_non_null(json_object_get(p, *k));
	assert_true(json_is_null(json_object_get(p, "distro")));
	assert_true(json_is_null(json_object_get(p, "dmi_vendor")));
	assert_string_equal(str_at(env, "virt"), "none");
	if (!host_is_wsl())
		assert_true(json_is_null(json_object_get(p, "wsl")));
	s = json_object_get(env, "sysctl");
	assert_int_equal(json_object_size(s), 9);
	assert_true(json_is_null(json_object_get(s, "net.ipv6.bindv6only")));
	assert_true(json_is_false(json_object_get(env, "ipv6")));
	assert_string_equal(json_string_value(json_object_get(env, "privilege")),
			    geteuid() == 0 ? "root" : "rootless");
	assert_non_null(json_string_value(json_object_get(
		json_object_get(env, "kernel"), "release")));
	json_decref(env);
}

static void test_collect_ipv6_disabled(void **state)
{
	const char *root = *state;
	json_t *env;

	fake_file(root, "/proc/net/if_inet6", "");
	fake_file(root, "/proc/sys/net/ipv6/conf/all/disable_ipv6", "1\n");
	env = env_collect(root);
	assert_true(json_is_false(json_object_get(env, "ipv6")));
	json_decref(env);
}

struct virt_case {
	const char *accel, *vendor, *product, *clocksource, *flags, *want;
};

static const struct virt_case virt_cases[] = {
	{ "tcg", "QEMU", NULL, "kvm-clock tsc", NULL, "qemu-tcg" },
	{ "kvm", NULL, NULL, NULL, NULL, "qemu-kvm" },
	{ NULL, "VMware, Inc.", "VMware Virtual Platform", NULL, "fpu hypervisor",
	  "vmware" },
	{ NULL, "Microsoft Corporation", "Virtual Machine", NULL, NULL, "hyperv" },
	{ NULL, "Microsoft Corporation", "Surface Laptop 5", NULL, "fpu sse", "none" },
	{ NULL, "QEMU", "Standard PC (Q35 + ICH9, 2009)", "kvm-clock tsc acpi_pm",
	  "fpu hypervisor", "kvm" },
	{ NULL, NULL, NULL, "hyperv_clocksource_tsc_page acpi_pm", NULL, "hyperv" },
	{ NULL, NULL, NULL, "tsc", "fpu vme hypervisor lahf_lm", "other" },
	{ NULL, NULL, NULL, "tsc", "fpu vme hypervisor_x lahf_lm", "none" },
};

static void fake_virt(const char *root, const struct virt_case *c)
{
	char line[256];

	if (c->vendor)
		fake_file(root, "/sys/class/dmi/id/sys_vendor", c->vendor);
	if (c->product)
		fake_file(root, "/sys/class/dmi/id/product_name", c->product);
	if (c->clocksource)
		fake_file(root, "/sys/devices/system/clocksource/clocksource0/"
				"available_clocksource", c->clocksource);
	if (c->flags) {
		snprintf(line, sizeof(line),
			 "processor\t: 0\nflags\t\t: %s\n\nflags\t\t: hypervisor\n",
			 c->flags);
		fake_file(root, "/proc/cpuinfo", line);
	}
	if (c->accel)
		setenv("NETREPRO_ACCEL", c->accel, 1);
	else
		unsetenv("NETREPRO_ACCEL");
}

static void test_collect_virt(void **state)
{
	for (size_t i = 0; i < sizeof(virt_cases) / sizeof(virt_cases[0]); i++) {
		const struct virt_case *c = &virt_cases[i];
		json_t *env;

		assert_int_equal(teardown_root(state), 0);
		assert_int_equal(setup_root(state), 0);
		fake_virt(*state, c);
		env = env_collect(*state);
		assert_string_equal(str_at(env, "virt"), c->want);
		if (c->vendor)
			assert_string_equal(str_at(env, "dmi_vendor"), c->vendor);
		json_decref(env);
	}
	unsetenv("NETREPRO_ACCEL");
}

static void assert_container(const char *root, const char *want)
{
	json_t *env = env_collect(root);

	assert_string_equal(str_at(env, "container"), want);
	json_decref(env);
}

static void test_collect_container(void **state)
{
	static const char environ_block[] = "PATH=/bin\0container=lxc\0";
	const char *root = *state;

	fake_bytes(root, "/proc/1/environ", environ_block,
		   sizeof(environ_block) - 1);
	assert_container(root, "lxc");
	fake_file(root, "/run/.containerenv", "");
	assert_container(root, "podman");
	/* /.dockerenv alone is what an image exported and booted as a VM
	 * keeps: Docker needs a second fact. */
	fake_file(root, "/.dockerenv", "");
	assert_container(root, "podman");
	fake_file(root, "/proc/1/cgroup", "12:pids:/docker/3f4e5d6c7b8a\n");
	assert_container(root, "docker");
	/* A pod on a docker runtime: the more specific answer wins. */
	fake_file(root, "/proc/1/cgroup", "0::/kubepods/besteffort/pod1/docker-ab\n");
	assert_container(root, "kubernetes");
}

static void test_collect_container_var(void **state)
{
	setenv("container", "oci", 1);
	assert_container(*state, "other");
	setenv("container", "systemd-nspawn", 1);
	assert_container(*state, "systemd-nspawn");
	unsetenv("container");
}

/* ---- recorded platforms: tests/unit/env-snapshots/<platform>/ ----
 *
 * Each snapshot is the handful of /proc, /sys, /run and /etc files the
 * detectors read, as that platform shows them; env_collect() reads it as
 * its root. The sources of every file are in env-snapshots/README.md; the
 * rows below say which fact decides each answer and where that fact is
 * documented. A fake root is never probed: where a row gives the probe's
 * answers, they are what the platform's documentation says it allows. */

static void snapshot_path(const char *platform, char *buf, size_t len)
{
	const char *slash = strrchr(__FILE__, '/');

	snprintf(buf, len, "%.*senv-snapshots/%s",
		 slash ? (int)(slash - __FILE__ + 1) : 0, __FILE__, platform);
}

struct platform_case {
	const char *dir;
	const char *virt, *virt_by;           /* *_by: what found_by starts with */
	int wsl;                              /* 0: platform.wsl is null */
	const char *wsl_net, *wsl_by;
	const char *container, *container_by; /* container NULL: null */
	const char *sandbox, *sandbox_by;
	const char *seccomp;                  /* seccomp.mode */
	int filters;                          /* seccomp.filters, -1: null */
	const struct env_caps *caps;          /* the probe's answers; NULL: not probed */
};

/* Docker's default seccomp profile refuses unshare() and clone() of new
 * namespaces with EPERM ("unshare: Disallow cloning new namespaces",
 * docs.docker.com/engine/security/seccomp/; defaultErrnoRet EPERM in
 * moby profiles/seccomp/default.json), and its default capabilities
 * include NET_RAW (docs.docker.com/engine/containers/run/, "Runtime
 * privilege and Linux capabilities"). */
static const struct env_caps docker_caps = { EPERM, EPERM, ENV_CAP_UNKNOWN, 0 };
/* Root on its own machine: everything. */
static const struct env_caps bare_caps = { 0, 0, 0, 0 };

static const struct platform_case platform_cases[] = {
	/* WSL 1: the kernel release "4.4.0-19041-Microsoft" (capital M) is
	 * how systemd's detect_container() tells WSL (src/basic/virt.c,
	 * microsoft/WSL#423); WSL 1 has no VM, so no networking mode. */
	{ "wsl1", "none", "no hypervisor", 1, NULL, "WSL 1 has no network",
	  NULL, NULL, NULL, NULL, NULL, -1, NULL },
	/* WSL 2 in NAT mode: release "5.15.167.4-microsoft-standard-WSL2"
	 * (microsoft/WSL#12703); Hyper-V's clocksource
	 * hyperv_clocksource_tsc_page (linux drivers/clocksource/hyperv_timer.c);
	 * C:\Users\alice\.wslconfig has no networkingMode, and NAT is the
	 * default (learn.microsoft.com/windows/wsl/wsl-config). */
	{ "wsl2-nat", "hyperv", "clocksource offered: hyperv_clocksource_tsc_page",
	  2, "nat", "/mnt/c/Users/alice/.wslconfig sets no networkingMode",
	  NULL, NULL, NULL, NULL, "none", 0, NULL },
	/* WSL 2 mirrored: init writes /run/sysctl.d/wsl-networking.conf in
	 * mirrored mode only (microsoft/WSL src/linux/init/init.cpp,
	 * HardenMirroredNetworkingSettingsAgainstSystemd); the other marks are
	 * tested one by one in test_wsl2_mirrored_rules. */
	{ "wsl2-mirrored", "hyperv", "clocksource offered: hyperv",
	  2, "mirrored", "/run/sysctl.d/wsl-networking.conf",
	  NULL, NULL, NULL, NULL, "none", 0, NULL },
	/* Docker: /.dockerenv (moby daemon/initlayer/setup_unix.go; systemd's
	 * detect_container_files(), moby/moby#18355) and the bind mounts of
	 * /var/lib/docker/containers/<id>/{resolv.conf,hostname,hosts}; the
	 * default seccomp profile shows as Seccomp: 2 with one filter (proc(5)). */
	{ "docker", "none", "no hypervisor", 0, NULL, NULL,
	  "docker", "/.dockerenv, and /proc/self/mountinfo: /var/lib/docker/containers/",
	  NULL, NULL, "filter", 1, &docker_caps },
	/* Podman: /run/.containerenv in every container, with engine= and
	 * rootless=1 under --privileged (podman-run(1)). */
	{ "podman", "none", "no hypervisor", 0, NULL, NULL,
	  "podman", "/run/.containerenv (engine podman-4.9.3), rootless",
	  NULL, NULL, "filter", 1, NULL },
	/* LXC: container=lxc in PID 1's environment (lxc src/lxc/start.c;
	 * systemd.io/CONTAINER_INTERFACE) and /dev/.lxc-boot-id
	 * (lxc src/lxc/conf.c, lxc_setup_boot_id). */
	{ "lxc", "none", "no hypervisor", 0, NULL, NULL,
	  "lxc", "container= in /proc/1/environ: lxc", NULL, NULL, "filter", 1, NULL },
	/* Kubernetes pod: KUBERNETES_SERVICE_HOST in every container's
	 * environment (kubernetes.io/docs/concepts/services-networking/service/
	 * #environment-variables), the service account token at
	 * /var/run/secrets/kubernetes.io/serviceaccount
	 * (kubernetes.io/docs/tasks/run-application/access-api-from-pod/);
	 * pods run seccomp Unconfined unless told otherwise
	 * (kubernetes.io/docs/tutorials/security/seccomp/). */
	{ "kubernetes", "none", "no hypervisor", 0, NULL, NULL,
	  "kubernetes", "KUBERNETES_SERVICE_HOST=10.96.0.1 in the environment",
	  NULL, NULL, "none", 0, NULL },
	/* systemd-nspawn: /run/host/container-manager and $container
	 * (systemd.io/CONTAINER_INTERFACE); a 5.4 host kernel prints no
	 * Seccomp_filters line (added in Linux 5.9). */
	{ "systemd-nspawn", "none", "no hypervisor", 0, NULL, NULL,
	  "systemd-nspawn", "/run/host/container-manager: systemd-nspawn",
	  NULL, NULL, "filter", -1, NULL },
	/* gVisor (runsc under Docker): the Sentry's fixed version string
	 * "#1 SMP Sun Jan 10 15:06:54 PST 2016" in /proc/sys/kernel/version
	 * (google/gvisor pkg/sentry/kernel/version/version.go,
	 * pkg/sentry/fsimpl/proc/tasks_sys.go); its /proc/self/status has
	 * "Seccomp:" but no "Seccomp_filters:" (pkg/sentry/fsimpl/proc/
	 * task_files.go); Docker's /etc/hostname is one of its mounts. */
	{ "gvisor", "none", "no hypervisor", 0, NULL, NULL,
	  "docker", "/.dockerenv, and /proc/self/mountinfo: / on /etc/hostname",
	  "gvisor", "kernel version \"#1 SMP Sun Jan 10 15:06:54 PST 2016\"",
	  "none", -1, NULL },
	/* A KVM guest of QEMU: DMI sys_vendor "QEMU", product the machine
	 * type's description (QEMU's SMBIOS type 1 defaults), and kvm-clock,
	 * which only KVM offers (linux arch/x86/kernel/kvmclock.c). */
	{ "kvm-qemu", "kvm", "DMI sys_vendor \"QEMU\", product_name \"Standard PC "
	  "(Q35 + ICH9, 2009)\"; clocksource kvm-clock", 0, NULL, NULL,
	  NULL, NULL, NULL, NULL, "none", 0, NULL },
	/* Firecracker: no DMI; every ACPI table's OEM ID is FIRECK
	 * (firecracker src/vmm/src/acpi/mod.rs, OEM_ID). */
	{ "firecracker", "firecracker", "ACPI OEM ID \"FIRECK\" in "
	  "/sys/firmware/acpi/tables/FACP", 0, NULL, NULL,
	  NULL, NULL, NULL, NULL, "none", 0, NULL },
	/* Bare metal: a server's DMI vendor, tsc/hpet/acpi_pm clocksources and
	 * no "hypervisor" cpuinfo flag (the CPUID bit, arch/x86 cpufeatures.h
	 * X86_FEATURE_HYPERVISOR). */
	{ "bare-metal", "none", "no hypervisor", 0, NULL, NULL,
	  NULL, NULL, NULL, NULL, "none", 0, &bare_caps },
};

static json_t *platform_of(json_t *env)
{
	return json_object_get(env, "platform");
}

static const char *wsl_at(json_t *env, const char *key)
{
	return json_string_value(json_object_get(json_object_get(platform_of(env),
								 "wsl"), key));
}

/* want NULL: the value is JSON null; else got starts with want. A macro,
 * so that a failure names the caller's line. */
#define assert_prefix(got, want, what) assert_prefix_at(got, want, what, __FILE__, __LINE__)

static void assert_prefix_at(const char *got, const char *want, const char *what,
			     const char *file, int line)
{
	char head[1024];

	if (!want && !got)
		return;
	if (want && got) {
		snprintf(head, sizeof(head), "%.*s", (int)strlen(want), got);
		if (!strcmp(head, want))
			return;
	}
	print_error("%s: want %s%s%s, got %s%s%s\n", what, want ? "\"" : "",
		    want ? want : "null", want ? "...\"" : "", got ? "\"" : "",
		    got ? got : "null", got ? "\"" : "");
	_fail(file, line);
}

static void assert_probe(json_t *env, const struct env_caps *caps)
{
	static const char *const keys[] = { "netns", "userns", "netns_in_userns",
					    "raw_socket" };
	json_t *probe = json_object_get(platform_of(env), "probe");
	const int given[] = { caps ? caps->netns : ENV_CAP_UNKNOWN,
			      caps ? caps->userns : ENV_CAP_UNKNOWN,
			      caps ? caps->netns_in_userns : ENV_CAP_UNKNOWN,
			      caps ? caps->raw_socket : ENV_CAP_UNKNOWN };

	assert_true(json_is_object(probe));
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char ekey[64];
		json_t *v = json_object_get(probe, keys[i]);
		const char *name;

		snprintf(ekey, sizeof(ekey), "%s_errno", keys[i]);
		name = json_string_value(json_object_get(probe, ekey));
		if (given[i] == ENV_CAP_UNKNOWN) {
			assert_true(json_is_null(v));
			assert_null(name);
		} else if (given[i] == 0) {
			assert_true(json_is_true(v));
			assert_null(name);
		} else {
			assert_true(json_is_false(v));
			assert_string_equal(name, strerrorname_np(given[i]));
		}
	}
}

static void test_platform(void **state)
{
	const struct platform_case *c = *state;
	char root[PATH_MAX];
	json_t *env, *p, *seccomp;

	snapshot_path(c->dir, root, sizeof(root));
	if (access(root, F_OK))
		fail_msg("no snapshot %s (run from the top of the tree)", root);
	unsetenv("NETREPRO_ACCEL");
	env = env_collect_with(root, c->caps);
	assert_non_null(env);
	p = platform_of(env);
	assert_string_equal(str_at(env, "virt"), c->virt);
	assert_prefix(str_at(env, "virt_found_by"), c->virt_by, "virt_found_by");
	if (!c->wsl) {
		assert_true(json_is_null(json_object_get(p, "wsl")));
	} else {
		assert_int_equal(json_integer_value(json_object_get(
			json_object_get(p, "wsl"), "version")), c->wsl);
		assert_prefix(wsl_at(env, "version_found_by"), "kernel release ",
			      "wsl.version_found_by");
		assert_prefix(wsl_at(env, "networking"), c->wsl_net, "wsl.networking");
		assert_prefix(wsl_at(env, "found_by"), c->wsl_by, "wsl.found_by");
	}
	assert_prefix(str_at(env, "container"), c->container, "container");
	assert_prefix(str_at(env, "container_found_by"), c->container_by,
		      "container_found_by");
	assert_prefix(str_at(env, "sandbox"), c->sandbox, "sandbox");
	assert_prefix(str_at(env, "sandbox_found_by"), c->sandbox_by, "sandbox_found_by");
	seccomp = json_object_get(p, "seccomp");
	assert_prefix(json_string_value(json_object_get(seccomp, "mode")), c->seccomp,
		      "seccomp.mode");
	if (c->filters < 0)
		assert_true(json_is_null(json_object_get(seccomp, "filters")));
	else
		assert_int_equal(json_integer_value(json_object_get(seccomp, "filters")),
				 c->filters);
	assert_probe(env, c->caps);
	json_decref(env);
}

/* ---- one rule at a time: a snapshot copied to /tmp, then changed ---- */

static void copy_tree(const char *from, const char *to)
{
	DIR *d = opendir(from);
	struct dirent *e;

	assert_non_null(d);
	mkdir(to, 0755);
	while ((e = readdir(d)) != NULL) {
		char src[PATH_MAX], dst[PATH_MAX], buf[4096];
		struct stat st;
		ssize_t n;
		int in, out;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(src, sizeof(src), "%s/%s", from, e->d_name);
		snprintf(dst, sizeof(dst), "%s/%s", to, e->d_name);
		assert_int_equal(lstat(src, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			copy_tree(src, dst);
			continue;
		}
		in = open(src, O_RDONLY);
		out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		assert_true(in >= 0 && out >= 0);
		while ((n = read(in, buf, sizeof(buf))) > 0)
			assert_int_equal(write(out, buf, (size_t)n), n);
		close(in);
		close(out);
	}
	closedir(d);
}

static void use_snapshot(const char *root, const char *platform)
{
	char from[PATH_MAX];

	snapshot_path(platform, from, sizeof(from));
	copy_tree(from, root);
}

static void drop(const char *root, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s%s", root, rel);
	assert_int_equal(remove(path), 0);
}

/* What the named found_by key (and its kind) say on root now. */
static void assert_found(const char *root, const char *kind_key, const char *kind,
			 const char *by_key, const char *by)
{
	json_t *env = env_collect(root);

	assert_prefix(str_at(env, kind_key), kind, kind_key);
	assert_prefix(str_at(env, by_key), by, by_key);
	json_decref(env);
}

static void assert_wsl_found(const char *root, const char *mode, const char *by)
{
	json_t *env = env_collect(root);

	assert_prefix(wsl_at(env, "networking"), mode, "wsl.networking");
	assert_prefix(wsl_at(env, "found_by"), by, "wsl.found_by");
	json_decref(env);
}

/* Each mark of mirrored mode on its own, strongest first, and how the
 * mode .wslconfig asks for counts when the VM shows nothing. */
static void test_wsl2_mirrored_rules(void **state)
{
	const char *root = *state;

	use_snapshot(root, "wsl2-mirrored");
	assert_wsl_found(root, "mirrored", "/run/sysctl.d/wsl-networking.conf");
	/* Without systemd init writes no sysctl.d file; the 4096-port block
	 * Windows reserves (WslCoreGuestNetworkService.cpp,
	 * c_ephemeralPortRangeSize = 4095; 43255-47350 in microsoft/WSL#42327). */
	drop(root, "/run/sysctl.d/wsl-networking.conf");
	assert_wsl_found(root, "mirrored", "ip_local_port_range 43255-47350: the 4096-port");
	/* A range set by hand: loopback0, the Windows loopback mirrored mode
	 * adds (ip addr in microsoft/WSL#10650). */
	fake_file(root, "/proc/sys/net/ipv4/ip_local_port_range", "32768\t60999\n");
	assert_wsl_found(root, "mirrored", "interfaces eth0 eth1 eth2 eth3 lo loopback0: "
			 "loopback0");
	/* virtioproxy mode has a loopback0 too: .wslconfig tells them apart
	 * (networkingMode values: learn.microsoft.com/windows/wsl/wsl-config). */
	fake_file(root, "/mnt/c/Users/alice/.wslconfig",
		  "[wsl2]\r\nnetworkingMode=VirtioProxy\r\n");
	assert_wsl_found(root, "virtioproxy", "interfaces eth0 eth1 eth2 eth3 lo loopback0: "
			 "loopback0 (mirrored and virtioproxy modes add it); "
			 "/mnt/c/Users/alice/.wslconfig: networkingMode=VirtioProxy");
	/* Mirrored asked for but none of its marks: WSL fell back
	 * (microsoft/WSL#41228, "falling back to networkingMode None"). */
	fake_file(root, "/mnt/c/Users/alice/.wslconfig",
		  "[wsl2]\r\nnetworkingMode=mirrored\r\n");
	drop(root, "/sys/class/net/loopback0/operstate");
	drop(root, "/sys/class/net/loopback0");
	assert_wsl_found(root, "nat", "interfaces eth0 eth1 eth2 eth3 lo: no loopback0; "
			 "WSL fell back from the mirrored mode of /mnt/c/Users/alice/.wslconfig");
	/* Another automount root (/etc/wsl.conf [automount] root,
	 * learn.microsoft.com/windows/wsl/wsl-config), the pre-2.0.5
	 * [experimental] section, and no interface list: .wslconfig alone. */
	fake_file(root, "/etc/wsl.conf", "[automount]\nroot = /win\n");
	fake_file(root, "/win/c/Users/bob/.wslconfig",
		  "[experimental]\nnetworkingMode = mirrored ; as in 2023\n");
	drop(root, "/mnt/c/Users/alice/.wslconfig");
	assert_int_equal(nftw_rm(root, "/sys/class/net"), 0);
	assert_wsl_found(root, "mirrored", "/win/c/Users/bob/.wslconfig: networkingMode=mirrored");
	/* Two users asking for different modes: nothing to go on. */
	fake_file(root, "/win/c/Users/carol/.wslconfig", "[wsl2]\nnetworkingMode=nat\n");
	assert_wsl_found(root, NULL, NULL);
}

static void test_wsl2_nat_rules(void **state)
{
	const char *root = *state;

	use_snapshot(root, "wsl2-nat");
	assert_wsl_found(root, "nat", "/mnt/c/Users/alice/.wslconfig sets no networkingMode: "
			 "NAT, the default");
	/* An unknown value is NAT too (wsl-config: "Unknown values use NAT"). */
	fake_file(root, "/mnt/c/Users/alice/.wslconfig", "[wsl2]\nnetworkingMode=tunnel\n");
	assert_wsl_found(root, "nat", "/mnt/c/Users/alice/.wslconfig: networkingMode=tunnel "
			 "(not a mode WSL knows: it uses NAT)");
	/* No .wslconfig: eth0, NAT's Hyper-V NIC, and no loopback0. */
	drop(root, "/mnt/c/Users/alice/.wslconfig");
	assert_wsl_found(root, "nat", "interfaces eth0 lo: no loopback0");
	/* networkingMode=none leaves lo alone. */
	drop(root, "/sys/class/net/eth0/operstate");
	drop(root, "/sys/class/net/eth0");
	assert_wsl_found(root, "none", "interfaces lo: no network device");
	/* The WSL version from the environment when the kernel is a custom one
	 * (WSL_DISTRO_NAME, set by WSL's init). */
	fake_file(root, "/proc/sys/kernel/osrelease", "6.6.30-custom\n");
	fake_file(root, "/proc/version", "Linux version 6.6.30-custom\n");
	{
		json_t *env = env_collect(root);

		assert_prefix(wsl_at(env, "version_found_by"), "WSL_DISTRO_NAME=Ubuntu in the "
			      "environment", "wsl.version_found_by");
		json_decref(env);
	}
}

static void test_docker_rules(void **state)
{
	const char *root = *state;

	use_snapshot(root, "docker");
	/* cgroup v1, or v2 without a cgroup namespace, names the container. */
	fake_file(root, "/proc/1/cgroup", "0::/system.slice/docker-3f4e5d6c7b8a.scope\n");
	assert_found(root, "container", "docker", "container_found_by",
		     "/.dockerenv, and /proc/1/cgroup: 0::/system.slice/docker-3f4e5d6c7b8a.scope");
	/* /.dockerenv with nothing else: an image's files booted as a VM. */
	fake_file(root, "/proc/1/cgroup", "0::/\n");
	drop(root, "/proc/self/mountinfo");
	assert_found(root, "container", NULL, "container_found_by",
		     "not a container: /.dockerenv, but no Docker cgroup");
}

static void test_podman_rules(void **state)
{
	const char *root = *state;

	use_snapshot(root, "podman");
	/* Podman sets container=podman in every container by default
	 * (containers/podman#11836). */
	drop(root, "/run/.containerenv");
	assert_found(root, "container", "podman", "container_found_by",
		     "container= in the environment: podman");
	/* The rootless runroot's userdata/ files bind-mounted over /etc/hostname. */
	drop(root, "/proc/self/environ");
	assert_found(root, "container", "podman", "container_found_by",
		     "/proc/self/mountinfo: /containers/overlay-containers/");
}

static void test_lxc_rules(void **state)
{
	const char *root = *state;

	use_snapshot(root, "lxc");
	/* /proc/1/environ is root's only: /dev/.lxc-boot-id (lxc_setup_boot_id). */
	drop(root, "/proc/1/environ");
	assert_found(root, "container", "lxc", "container_found_by", "/dev/.lxc-boot-id");
	/* LXD's guest API socket (documentation.ubuntu.com/lxd, dev-lxd). */
	drop(root, "/dev/.lxc-boot-id");
	fake_file(root, "/dev/lxd/sock", "");
	assert_found(root, "container", "lxc", "container_found_by", "/dev/lxd/sock");
}

static void test_kubernetes_rules(void **state)
{
	const char *root = *state;

	use_snapshot(root, "kubernetes");
	drop(root, "/proc/self/environ");
	assert_found(root, "container", "kubernetes", "container_found_by",
		     "/var/run/secrets/kubernetes.io/serviceaccount");
	/* automountServiceAccountToken: false: the kubelet's pod directory
	 * behind /etc/hosts. */
	assert_int_equal(nftw_rm(root, "/var/run/secrets"), 0);
	assert_found(root, "container", "kubernetes", "container_found_by",
		     "/proc/self/mountinfo: /var/lib/kubelet/pods/");
}

static void test_nspawn_rules(void **state)
{
	const char *root = *state;

	use_snapshot(root, "systemd-nspawn");
	/* systemd in the container writes what it found to /run/systemd/container. */
	drop(root, "/run/host/container-manager");
	assert_found(root, "container", "systemd-nspawn", "container_found_by",
		     "/run/systemd/container: systemd-nspawn");
	drop(root, "/run/systemd/container");
	assert_found(root, "container", "systemd-nspawn", "container_found_by",
		     "container= in /proc/1/environ: systemd-nspawn");
	/* A manager systemd does not know by name ($container=oci). */
	fake_bytes(root, "/proc/1/environ", "container=oci", sizeof("container=oci"));
	assert_found(root, "container", "other", "container_found_by",
		     "container= in /proc/1/environ: oci");
}

static int host_is_gvisor(void)
{
	struct utsname u;

	return uname(&u) == 0 && strstr(u.version, "Sun Jan 10 15:06:54 PST 2016");
}

static void test_gvisor_rules(void **state)
{
	const char *root = *state;

	if (host_is_gvisor())
		skip();
	use_snapshot(root, "gvisor");
	/* Newer gVisor names its release 4.19.0-gvisor
	 * (pkg/sentry/kernel/version/version.go, LinuxRelease). */
	fake_file(root, "/proc/sys/kernel/osrelease", "4.19.0-gvisor");
	drop(root, "/proc/sys/kernel/version");
	assert_found(root, "sandbox", "gvisor", "sandbox_found_by", "kernel release 4.19.0-gvisor");
	/* /proc/version (pkg/sentry/fsimpl/proc/version.go) is the last word. */
	drop(root, "/proc/sys/kernel/osrelease");
	assert_found(root, "sandbox", "gvisor", "sandbox_found_by",
		     "/proc/version: Linux version 4.4.0 #1 SMP Sun Jan 10");
}

static void test_virt_rules(void **state)
{
	const char *root = *state;

	unsetenv("NETREPRO_ACCEL");
	use_snapshot(root, "kvm-qemu");
#if defined(__x86_64__) || defined(__i386__)
	/* No kvm-clock: QEMU's TCG. */
	fake_file(root, "/sys/devices/system/clocksource/clocksource0/available_clocksource",
		  "tsc acpi_pm\n");
	assert_found(root, "virt", "qemu-tcg", "virt_found_by",
		     "DMI sys_vendor \"QEMU\", product_name \"Standard PC (Q35 + ICH9, 2009)\"; "
		     "no kvm-clock: TCG");
	fake_file(root, "/sys/devices/system/clocksource/clocksource0/available_clocksource",
		  "kvm-clock tsc acpi_pm\n");
#endif
	/* No DMI: QEMU's ACPI OEM ID "BOCHS " (include/hw/acpi/aml-build.h). */
	drop(root, "/sys/class/dmi/id/sys_vendor");
	assert_found(root, "virt", "kvm", "virt_found_by",
		     "ACPI OEM ID \"BOCHS \" in /sys/firmware/acpi/tables/FACP; clocksource kvm-clock");
	/* Tables unreadable (not root): the clocksource. */
	drop(root, "/sys/firmware/acpi/tables/FACP");
	assert_found(root, "virt", "kvm", "virt_found_by", "clocksource offered: kvm-clock");
	/* No paravirtual clock: QEMU's kvm64 CPU model (target/i386/cpu.c). */
	fake_file(root, "/sys/devices/system/clocksource/clocksource0/available_clocksource",
		  "tsc\n");
	fake_file(root, "/proc/cpuinfo", "processor\t: 0\nmodel name\t: Common KVM processor\n"
		  "flags\t\t: fpu hypervisor\n");
	assert_found(root, "virt", "kvm", "virt_found_by",
		     "/proc/cpuinfo model name \"Common KVM processor\"");
	/* Xen announces itself in sysfs (drivers/xen/sys-hypervisor.c). */
	fake_file(root, "/sys/hypervisor/type", "xen\n");
	assert_found(root, "virt", "xen", "virt_found_by", "/sys/hypervisor/type: xen");
}

static void test_firecracker_rules(void **state)
{
	const char *root = *state;

	use_snapshot(root, "firecracker");
	/* The ACPI tables are root's only; kvm-clock still says KVM. */
	drop(root, "/sys/firmware/acpi/tables/FACP");
	assert_found(root, "virt", "firecracker", "virt_found_by",
		     "ACPI OEM ID \"FIRECK\" in /sys/firmware/acpi/tables/DSDT");
	drop(root, "/sys/firmware/acpi/tables/DSDT");
	assert_found(root, "virt", "kvm", "virt_found_by", "clocksource offered: kvm-clock");
}

/* ---- the probe ---- */

/* A fake root is never probed: every probe value null. */
static void test_probe_fake_root(void **state)
{
	json_t *env = env_collect(*state);

	assert_probe(env, NULL);
	json_decref(env);
}

static void test_probe_given(void **state)
{
	const struct env_caps caps = { 0, EPERM, ENV_CAP_UNKNOWN, EACCES };
	json_t *env = env_collect_with(*state, &caps);

	assert_probe(env, &caps);
	assert_false(json_is_true(json_object_get(json_object_get(platform_of(env), "probe"),
						  "userns")));
	json_decref(env);
}

static void ns_inode(const char *ns, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/ns/%s", ns);
	n = readlink(path, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
}

/* The live probe on this machine: every answer is a verdict, the caller's
 * namespaces do not change, and env_netns_available() agrees with it. */
static void test_probe_live(void **state)
{
	char net0[64], user0[64], net1[64], user1[64];
	struct env_caps c;
	json_t *env;
	int err = -1, ok;

	(void)state;
	ns_inode("net", net0, sizeof(net0));
	ns_inode("user", user0, sizeof(user0));
	assert_int_equal(env_caps_probe(&c), 0);
	assert_true(c.netns >= 0 && c.userns >= 0 && c.raw_socket >= 0);
	assert_true(c.userns ? c.netns_in_userns == ENV_CAP_UNKNOWN : c.netns_in_userns >= 0);
	ok = env_netns_available(&err);
	assert_int_equal(ok, err == 0);
	assert_int_equal(err, geteuid() == 0 ? c.netns
			 : c.userns ? c.userns : c.netns_in_userns);
	ns_inode("net", net1, sizeof(net1));
	ns_inode("user", user1, sizeof(user1));
	assert_string_equal(net0, net1);
	assert_string_equal(user0, user1);
	env = env_collect(NULL);
	assert_true(json_is_boolean(json_object_get(json_object_get(platform_of(env), "probe"),
						    "netns")));
	json_decref(env);
}

int main(void)
{
	const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_kernel_version_table),
		cmocka_unit_test(test_kernel_version_garbage),
		cmocka_unit_test_setup_teardown(test_collect_wsl2_mirrored,
						setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_collect_wsl2_nat_and_narrow,
						setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_collect_wsl1, setup_root,
						teardown_root),
		cmocka_unit_test_setup_teardown(test_collect_empty_root,
						setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_collect_ipv6_disabled,
						setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_collect_virt, setup_root,
						teardown_root),
		cmocka_unit_test_setup_teardown(test_collect_container,
						setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_collect_container_var,
						setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_wsl2_mirrored_rules,
						setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_wsl2_nat_rules,
						setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_docker_rules,
						setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_podman_rules,
						setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_lxc_rules,
						setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_kubernetes_rules,
						setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_nspawn_rules,
						setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_gvisor_rules,
						setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_virt_rules,
						setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_firecracker_rules,
						setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_probe_fake_root,
						setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(test_probe_given,
						setup_root, teardown_root),
		cmocka_unit_test(test_probe_live),
	};
	enum { NFIXED = sizeof(fixed) / sizeof(fixed[0]),
	       NPLAT = sizeof(platform_cases) / sizeof(platform_cases[0]) };
	struct CMUnitTest tests[NFIXED + NPLAT];

	memcpy(tests, fixed, sizeof(fixed));
	/* One test per recorded platform, named after its snapshot. */
	for (size_t i = 0; i < NPLAT; i++)
		tests[NFIXED + i] = (struct CMUnitTest){
			.name = platform_cases[i].dir, .test_func = test_platform,
			.setup_func = setup_env_vars, .initial_state = (void *)&platform_cases[i],
		};
	return _cmocka_run_group_tests("env", tests, NFIXED + NPLAT, NULL, NULL);
}
