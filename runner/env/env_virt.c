/* env: the hypervisor below us, named from firmware tables (DMI, ACPI),
 * sysfs, the clocksource, /proc/cpuinfo and, on the real machine only, the
 * CPUID hypervisor leaf; found_by says which. The order and most table rows
 * follow systemd's detect_vm() (src/basic/virt.c). Read-only. */
#include "env_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#define DMI_VENDOR "/sys/class/dmi/id/sys_vendor"
#define DMI_PRODUCT "/sys/class/dmi/id/product_name"
#define CLOCKSOURCES "/sys/devices/system/clocksource/clocksource0/available_clocksource"

/* sys_vendor / product_name substrings; the first matching row wins, so a
 * bare-metal row comes before the VM row of the same vendor. "qemu" is
 * refined by qemu_accel(). */
struct dmi_rule { const char *vendor, *product, *virt; };

static const struct dmi_rule dmi_rules[] = {
	{ "QEMU", NULL, "qemu" },
	{ "VMware", NULL, "vmware" },
	{ "Microsoft Corporation", "Virtual Machine", "hyperv" },
	{ "Xen", NULL, "xen" },
	{ "innotek GmbH", NULL, "virtualbox" },
	{ "Oracle Corporation", "VirtualBox", "virtualbox" },
	{ "Parallels", NULL, "parallels" },
	/* EC2 Nitro is KVM; *.metal instances are the bare machine. */
	{ "Amazon EC2", ".metal", "none" },
	{ "Amazon EC2", NULL, "kvm" },
	{ "Google", "Google Compute Engine", "kvm" },
	{ "OpenStack", NULL, "kvm" },
	{ "KubeVirt", NULL, "kvm" },
};

/* The OEM ID every ACPI table header carries (bytes 10-15). Firecracker
 * has no DMI at all; its tables say FIRECK (firecracker
 * src/vmm/src/acpi/mod.rs, OEM_ID). QEMU's say "BOCHS " (QEMU
 * include/hw/acpi/aml-build.h, ACPI_BUILD_APPNAME6). The tables are
 * readable by root only. */
static const struct str_pair acpi_oem_virt[] = {
	{ "FIRECK", "firecracker" },
	{ "BOCHS ", "qemu" },
};

/* A paravirtual clocksource names the hypervisor even without DMI (WSL2,
 * Firecracker, cloud VMs). */
static const struct str_pair clocksource_virt[] = {
	{ "kvm-clock", "kvm" },
	{ "hyperv_clocksource", "hyperv" },
	{ "xen", "xen" },
};

/* cpuinfo "model name" of QEMU's generic CPU models (target/i386/cpu.c). */
static const struct str_pair cpu_model_virt[] = {
	{ "QEMU Virtual CPU", "qemu" },
	{ "Common KVM processor", "kvm" },
};

/* NETREPRO_ACCEL is set by netrepro's own QEMU guest init. */
static const struct str_pair accel_virt[] = {
	{ "tcg", "qemu-tcg" },
	{ "kvm", "qemu-kvm" },
};

static const char *clocksource_kind(const char *root, char *cs, size_t len)
{
	if (env_read_small(root, CLOCKSOURCES, cs, len) < 0)
		return NULL;
	return env_pair_find(clocksource_virt, ENV_ARRAY_LEN(clocksource_virt), cs, 1);
}

/* QEMU under KVM offers kvm-clock, under TCG it cannot. Elsewhere than x86
 * KVM has no kvm-clock (arm64 uses the arch timer), so there we cannot tell. */
static void qemu_accel(const char *root, struct env_found *f)
{
	char cs[512];
	const char *kind = clocksource_kind(root, cs, sizeof(cs));
	size_t n = strlen(f->by);

	if (kind && !strcmp(kind, "kvm")) {
		f->kind = "kvm";
		snprintf(f->by + n, sizeof(f->by) - n, "; clocksource kvm-clock");
		return;
	}
#if defined(__x86_64__) || defined(__i386__)
	f->kind = "qemu-tcg";
	snprintf(f->by + n, sizeof(f->by) - n, "; no kvm-clock: TCG");
#endif
}

static int dmi_kind(const char *root, struct env_found *f)
{
	char vendor[256], product[256];

	if (env_read_small(root, DMI_VENDOR, vendor, sizeof(vendor)) < 0)
		return 0;
	if (env_read_small(root, DMI_PRODUCT, product, sizeof(product)) < 0)
		product[0] = '\0';
	for (size_t i = 0; i < ENV_ARRAY_LEN(dmi_rules); i++) {
		const struct dmi_rule *r = &dmi_rules[i];

		if (!strstr(vendor, r->vendor) ||
		    (r->product && !strstr(product, r->product)))
			continue;
		env_found_set(f, r->virt, "DMI sys_vendor \"%s\", product_name \"%s\"",
			      vendor, product);
		return 1;
	}
	return 0;
}

static int acpi_kind(const char *root, struct env_found *f)
{
	static const char *const tables[] = { "FACP", "DSDT", "APIC" };
	unsigned char hdr[16];

	for (size_t i = 0; i < ENV_ARRAY_LEN(tables); i++) {
		char rel[64], oem[7];
		const char *kind;

		snprintf(rel, sizeof(rel), "/sys/firmware/acpi/tables/%s", tables[i]);
		if (env_read_bytes(root, rel, hdr, sizeof(hdr)) != (long)sizeof(hdr))
			continue;
		memcpy(oem, hdr + 10, 6);
		oem[6] = '\0';
		kind = env_pair_find(acpi_oem_virt, ENV_ARRAY_LEN(acpi_oem_virt), oem, 0);
		if (kind) {
			env_found_set(f, kind, "ACPI OEM ID \"%s\" in %s", oem, rel);
			return 1;
		}
	}
	return 0;
}

static int hypervisor_type(const char *root, struct env_found *f)
{
	char type[16];

	if (env_read_small(root, "/sys/hypervisor/type", type, sizeof(type)) < 0 ||
	    strcmp(type, "xen"))
		return 0;
	env_found_set(f, "xen", "/sys/hypervisor/type: xen");
	return 1;
}

static int clocksource_rule(const char *root, struct env_found *f)
{
	char cs[512];
	const char *kind = clocksource_kind(root, cs, sizeof(cs));

	if (!kind)
		return 0;
	env_found_set(f, kind, "clocksource offered: %s", cs);
	return 1;
}

struct cpuinfo_scan { const char *model_kind; char model[128]; int hypervisor; };

static int has_word(const char *s, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = strstr(s, word); p; p = strstr(p + 1, word))
		if ((p == s || isspace((unsigned char)p[-1])) &&
		    (p[n] == '\0' || isspace((unsigned char)p[n])))
			return 1;
	return 0;
}

/* The first processor's "model name" and "flags" (the hypervisor CPUID
 * bit every x86 hypervisor sets shows as the flag "hypervisor"). */
static int cpuinfo_line(const char *line, void *ctx)
{
	struct cpuinfo_scan *c = ctx;
	const char *colon = strchr(line, ':');

	if (!colon)
		return 0;
	if (!strncmp(line, "model name", 10) && !c->model[0]) {
		snprintf(c->model, sizeof(c->model), "%s", colon + 1 + (colon[1] == ' '));
		c->model_kind = env_pair_find(cpu_model_virt, ENV_ARRAY_LEN(cpu_model_virt),
					      c->model, 1);
	}
	if (!strncmp(line, "flags", 5)) {
		c->hypervisor = has_word(colon + 1, "hypervisor") ? 1 : 2;
		return 1;
	}
	return 0;
}

/* The hypervisor's CPUID signature (leaf 0x40000000), systemd's vm_table.
 * An instruction, not a file: the real machine only. */
static const struct str_pair cpuid_virt[] = {
	{ "KVMKVMKVM", "kvm" },
	{ "Linux KVM Hv", "kvm" },
	{ "TCGTCGTCGTCG", "qemu-tcg" },
	{ "VMwareVMware", "vmware" },
	{ "XenVMMXenVMM", "xen" },
	{ "Microsoft Hv", "hyperv" },
	{ "bhyve bhyve ", "bhyve" },
};

static int cpuid_kind(const char *root, struct env_found *f)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned eax, ebx, ecx, edx;
	char sig[13];
	const char *kind;

	if (!env_root_is_real(root) || !__get_cpuid(1, &eax, &ebx, &ecx, &edx) ||
	    !(ecx & 0x80000000u))
		return 0;
	__cpuid(0x40000000u, eax, ebx, ecx, edx);
	memcpy(sig, &ebx, 4);
	memcpy(sig + 4, &ecx, 4);
	memcpy(sig + 8, &edx, 4);
	sig[12] = '\0';
	kind = env_pair_find(cpuid_virt, ENV_ARRAY_LEN(cpuid_virt), sig, 0);
	if (!kind)
		return 0;
	env_found_set(f, kind, "CPUID hypervisor signature \"%s\"", sig);
	return 1;
#else
	(void)root;
	(void)f;
	return 0;
#endif
}

void env_virt(const char *root, struct env_found *f)
{
	const char *accel = getenv("NETREPRO_ACCEL");
	const char *kind = accel ? env_pair_find(accel_virt, ENV_ARRAY_LEN(accel_virt),
						 accel, 0) : NULL;
	struct cpuinfo_scan cpu = { NULL, "", 0 };

	if (kind) {
		env_found_set(f, kind, "NETREPRO_ACCEL=%s (netrepro's QEMU guest)", accel);
		return;
	}
	if (dmi_kind(root, f) || acpi_kind(root, f)) {
		if (!strcmp(f->kind, "qemu"))
			qemu_accel(root, f);
		return;
	}
	if (hypervisor_type(root, f) || clocksource_rule(root, f))
		return;
	env_scan_file(root, "/proc/cpuinfo", '\n', cpuinfo_line, &cpu);
	if (cpu.model_kind) {
		env_found_set(f, cpu.model_kind, "/proc/cpuinfo model name \"%s\"", cpu.model);
		if (!strcmp(f->kind, "qemu"))
			qemu_accel(root, f);
		return;
	}
	if (cpuid_kind(root, f))
		return;
	if (cpu.hypervisor == 1) {
		env_found_set(f, "other", "/proc/cpuinfo flags: hypervisor, "
			      "and nothing names which");
		return;
	}
	env_found_set(f, "none", "no hypervisor: no VM's DMI vendor or ACPI OEM, "
		      "no paravirtual clocksource, %s",
		      cpu.hypervisor == 2 ? "no hypervisor flag in /proc/cpuinfo"
					  : "no /proc/cpuinfo flags");
}

json_t *env_dmi_vendor(const char *root)
{
	char vendor[256];

	if (env_read_small(root, DMI_VENDOR, vendor, sizeof(vendor)) < 0 || !vendor[0])
		return json_null();
	return env_jstr(vendor);
}
