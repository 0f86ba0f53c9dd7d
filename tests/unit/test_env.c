/* Unit tests for runner/env/env.c: the upstream kernel version parser on fixed
 * strings, and env_collect() on a fake root tree under /tmp. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

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
		"dmi_vendor", "wsl", "container", NULL,
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
	fake_file(root, "/.dockerenv", "");
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

int main(void)
{
	const struct CMUnitTest tests[] = {
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
