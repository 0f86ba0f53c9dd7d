/* env: WSL. Which one (1: Windows' kernel answering Linux system calls; 2: a
 * Linux kernel in a Hyper-V VM) and, for WSL 2, the networking mode, each
 * with the fact that told. WSL's own answer (`wslinfo --networking-mode`)
 * comes from its init over a socket, not from a file, so the mode is read
 * from the marks each mode leaves; found_by names the one used. Read-only. */
#include "env_int.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* WSL's init writes this only in mirrored mode, and only when systemd is
 * enabled (microsoft/WSL src/linux/init/init.cpp,
 * HardenMirroredNetworkingSettingsAgainstSystemd). */
#define WSL_MIRRORED_CONF "/run/sysctl.d/wsl-networking.conf"

/* In mirrored mode Linux shares Windows' port space, so Windows reserves a
 * block for Linux's ephemeral ports and init writes it to
 * ip_local_port_range: end - start is c_ephemeralPortRangeSize = 4095
 * (src/windows/service/exe/WslCoreGuestNetworkService.cpp), the block lies
 * wherever Windows found room (43255-47350 in microsoft/WSL#42327). */
#define WSL_MIRRORED_SPAN 4095

/* .wslconfig networkingMode values (learn.microsoft.com/windows/wsl/wsl-config,
 * [wsl2] section; [experimental] before WSL 2.0.5). "Unknown values use NAT". */
static const char *const wsl_modes[] = {
	"none", "nat", "bridged", "mirrored", "virtioproxy",
};

/* WSL 2 kernels are "5.15.167.4-microsoft-standard-WSL2" (older ones
 * "4.19.128-microsoft-standard"); WSL 1 emulates a kernel and calls it
 * "4.4.0-19041-Microsoft" with a capital M (systemd's detect_container()
 * reads /proc/sys/kernel/osrelease for both, per microsoft/WSL#423). */
static int wsl_version_of(const char *s)
{
	if (!s)
		return 0;
	if (strstr(s, "WSL2") || strstr(s, "microsoft"))
		return 2;
	return strstr(s, "Microsoft") ? 1 : 0;
}

static int wsl_version(const char *root, const struct env_kstr *k, struct env_found *f)
{
	/* WSL's init exports these. Without a Microsoft kernel string this is
	 * WSL 2 with a custom kernel: WSL 1 always says "Microsoft". */
	static const char *const vars[] = { "WSL_DISTRO_NAME", "WSL_INTEROP" };
	char buf[512];
	int v = wsl_version_of(k->release);

	if (v) {
		env_found_set(f, "wsl", "kernel release %s", k->release);
		return v;
	}
	if (env_read_small(root, "/proc/version", buf, sizeof(buf)) == 0 &&
	    (v = wsl_version_of(buf)) != 0) {
		env_found_set(f, "wsl", "/proc/version: %.400s", buf);
		return v;
	}
	for (size_t i = 0; i < ENV_ARRAY_LEN(vars); i++)
		if (env_getvar(root, vars[i], buf, sizeof(buf)) == 0) {
			env_found_set(f, "wsl", "%s=%.200s in the environment and a "
				      "kernel not named Microsoft: WSL 2, custom kernel",
				      vars[i], buf);
			return 2;
		}
	return 0;
}

/* ---- the marks of each networking mode ---- */

static int mirrored_conf(const char *root, struct env_found *f)
{
	if (!env_root_exists(root, WSL_MIRRORED_CONF))
		return 0;
	env_found_set(f, "mirrored", "%s (WSL's init writes it in mirrored mode only)",
		      WSL_MIRRORED_CONF);
	return 1;
}

static int mirrored_port_block(const char *root, struct env_found *f)
{
	char range[64];
	long lo, hi;

	if (env_read_small(root, "/proc/sys/net/ipv4/ip_local_port_range", range,
			   sizeof(range)) < 0 ||
	    sscanf(range, "%ld %ld", &lo, &hi) != 2 || hi - lo != WSL_MIRRORED_SPAN)
		return 0;
	env_found_set(f, "mirrored", "ip_local_port_range %ld-%ld: the 4096-port "
		      "block Windows reserves for Linux in mirrored mode", lo, hi);
	return 1;
}

struct ifaces {
	char names[256]; /* "eth0 eth1 lo loopback0", sorted */
	int loopback0;   /* the Windows loopback mirrored (and virtioproxy) mode adds */
	int others;      /* any interface but lo and loopback0 */
	int any;
};

static void interfaces(const char *root, struct ifaces *ifs)
{
	char path[4096];
	struct dirent **de = NULL;
	int n;

	memset(ifs, 0, sizeof(*ifs));
	if (env_root_path(root, "/sys/class/net", path, sizeof(path)) < 0 ||
	    (n = scandir(path, &de, NULL, alphasort)) < 0)
		return;
	for (int i = 0; i < n; i++) {
		const char *name = de[i]->d_name;
		size_t used = strlen(ifs->names);

		if (name[0] != '.') {
			ifs->any = 1;
			ifs->loopback0 |= !strcmp(name, "loopback0");
			ifs->others |= strcmp(name, "lo") && strcmp(name, "loopback0");
			snprintf(ifs->names + used, sizeof(ifs->names) - used, "%s%s",
				 used ? " " : "", name);
		}
		free(de[i]);
	}
	free(de);
}

/* ---- .wslconfig, read through the Windows drive ---- */

struct ini_query {
	const char *const *sections; /* NULL-terminated, matched without case */
	const char *key;
	char section[64];
	char *out;
	size_t len;
	int found;
};

static char *trim(char *s)
{
	/* A UTF-8 byte-order mark, as Windows editors write one. */
	if (!strncmp(s, "\xef\xbb\xbf", 3))
		s += 3;
	while (*s == ' ' || *s == '\t')
		s++;
	env_trim_right(s);
	return s;
}

static int ini_line(const char *item, void *ctx)
{
	struct ini_query *q = ctx;
	char line[512], *s, *eq;

	snprintf(line, sizeof(line), "%s", item);
	s = trim(line);
	if (*s == '[') {
		char *end = strchr(s, ']');

		if (end)
			*end = '\0';
		snprintf(q->section, sizeof(q->section), "%s", trim(s + 1));
		return 0;
	}
	eq = strchr(s, '=');
	if (!eq || *s == '#' || *s == ';')
		return 0;
	*eq = '\0';
	if (strcasecmp(trim(s), q->key))
		return 0;
	for (const char *const *sec = q->sections; *sec; sec++)
		if (!strcasecmp(q->section, *sec)) {
			char *v = trim(eq + 1), *comment = strpbrk(v, "#;");

			if (comment)
				*comment = '\0';
			snprintf(q->out, q->len, "%s", trim(v));
			q->found = 1;
			return 1;
		}
	return 0;
}

/* Where the Windows drives are mounted: /etc/wsl.conf [automount] root,
 * "/mnt/" unless set (learn.microsoft.com/windows/wsl/wsl-config). */
static void automount_root(const char *root, char *buf, size_t len)
{
	static const char *const automount[] = { "automount", NULL };
	char val[200] = "";
	struct ini_query q = { automount, "root", "", val, sizeof(val), 0 };
	size_t n;

	env_scan_file(root, "/etc/wsl.conf", '\n', ini_line, &q);
	snprintf(buf, len, "%s", q.found && val[0] == '/' ? val : "/mnt/");
	n = strlen(buf);
	if (n && buf[n - 1] != '/' && n + 1 < len)
		strcat(buf, "/");
}

static const char *mode_of(const char *value)
{
	for (size_t i = 0; i < ENV_ARRAY_LEN(wsl_modes); i++)
		if (!strcasecmp(value, wsl_modes[i]))
			return wsl_modes[i];
	return "nat";
}

/* The mode each readable C:\Users\*\.wslconfig asks for (no networkingMode:
 * NAT, the default). Which Windows user started WSL cannot be seen from
 * inside, so two files that disagree answer nothing. */
static void wslconfig_mode(const char *root, struct env_found *f)
{
	static const char *const sections[] = { "wsl2", "experimental", NULL };
	char mnt[256], users[300], path[4096];
	struct dirent **de = NULL;
	int n, conflict = 0;

	f->kind = NULL;
	automount_root(root, mnt, sizeof(mnt));
	snprintf(users, sizeof(users), "%sc/Users", mnt);
	if (env_root_path(root, users, path, sizeof(path)) < 0 ||
	    (n = scandir(path, &de, NULL, alphasort)) < 0)
		return;
	for (int i = 0; i < n; i++) {
		char rel[600], val[64] = "";
		struct ini_query q = { sections, "networkingMode", "", val, sizeof(val), 0 };
		const char *mode;

		snprintf(rel, sizeof(rel), "%s/%s/.wslconfig", users, de[i]->d_name);
		free(de[i]);
		if (rel[strlen(users) + 1] == '.' ||
		    env_scan_file(root, rel, '\n', ini_line, &q) < 0)
			continue;
		mode = q.found ? mode_of(val) : "nat";
		if (f->kind && strcmp(f->kind, mode))
			conflict = 1;
		else if (!f->kind && q.found)
			env_found_set(f, mode, "%.300s: networkingMode=%.40s%s", rel, val,
				      strcasecmp(mode, val) ?
				      " (not a mode WSL knows: it uses NAT)" : "");
		else if (!f->kind)
			env_found_set(f, mode, "%.300s sets no networkingMode: NAT, "
				      "the default", rel);
	}
	free(de);
	if (conflict)
		f->kind = NULL;
}

/* In order of how directly a fact shows the mode in force: the marks only
 * mirrored mode makes, then the interfaces (loopback0, which virtioproxy
 * mode has too), then .wslconfig (what was asked for: WSL falls back to
 * another mode when mirrored cannot start, microsoft/WSL#41228), then the
 * interfaces again (an eth0 alone is NAT's virtual NIC). */
static void wsl_networking(const char *root, struct env_found *f)
{
	struct env_found cfg;
	struct ifaces ifs;
	int asked_mirrored;

	if (mirrored_conf(root, f) || mirrored_port_block(root, f))
		return;
	wslconfig_mode(root, &cfg);
	interfaces(root, &ifs);
	asked_mirrored = cfg.kind && !strcmp(cfg.kind, "mirrored");
	if (ifs.loopback0 && cfg.kind && !strcmp(cfg.kind, "virtioproxy")) {
		env_found_set(f, "virtioproxy", "interfaces %s: loopback0 (mirrored "
			      "and virtioproxy modes add it); %.300s", ifs.names, cfg.by);
	} else if (ifs.loopback0) {
		env_found_set(f, "mirrored", "interfaces %s: loopback0 is mirrored "
			      "mode's Windows loopback", ifs.names);
	} else if (cfg.kind && !asked_mirrored) {
		*f = cfg;
	} else if (ifs.others) {
		env_found_set(f, "nat", "interfaces %s: no loopback0%s%.300s", ifs.names,
			      asked_mirrored ? "; WSL fell back from the mirrored mode of " : "",
			      asked_mirrored ? cfg.by : "");
	} else if (ifs.any) {
		env_found_set(f, "none", "interfaces %s: no network device", ifs.names);
	} else if (cfg.kind) {
		*f = cfg;
	} else {
		env_found_set(f, NULL, "%s", "");
	}
}

json_t *env_wsl(const char *root, const struct env_kstr *k)
{
	struct env_found ver, net;
	int version = wsl_version(root, k, &ver);
	json_t *w;

	if (!version)
		return json_null();
	w = json_object();
	if (!w)
		return NULL;
	if (version == 2)
		wsl_networking(root, &net);
	else
		env_found_set(&net, NULL, "WSL 1 has no network of its own: "
			      "Linux calls go to Windows' stack");
	env_put(w, "version", json_integer(version));
	env_put(w, "version_found_by", env_jstr(ver.by));
	env_put(w, "networking", env_jstr(net.kind));
	env_put(w, "found_by", env_jstr(net.by[0] ? net.by : NULL));
	return w;
}
