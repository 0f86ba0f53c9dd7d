/* env: the platform part of the fingerprint: distro and libc here, and the
 * detectors' answers (hypervisor, WSL, container, sandbox, seccomp, what
 * the process may do) put together, each with its found_by. Read-only,
 * like the rest of env. */
#include "env_int.h"

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

/* ---- the platform object ---- */

/* key: the detector's kind (or null), key_found_by: the fact behind it. */
static void put_found(json_t *p, const char *key, const char *key_by,
		      const struct env_found *f)
{
	env_put(p, key, env_jstr(f->kind));
	env_put(p, key_by, env_jstr(f->by[0] ? f->by : NULL));
}

json_t *env_platform(const char *root, const struct utsname *u,
		     const struct env_caps *caps)
{
	struct env_kstr k;
	struct env_found virt, container, sandbox;
	json_t *p = json_object();

	if (!p)
		return NULL;
	env_kernel_strings(root, u, &k);
	env_virt(root, &virt);
	env_container(root, &container);
	env_sandbox(root, &k, &sandbox);
	env_put(p, "os", json_string("linux"));
	env_put(p, "distro", os_release_get(root, "PRETTY_NAME"));
	env_put(p, "distro_id", os_release_get(root, "ID"));
	env_put(p, "distro_version", os_release_get(root, "VERSION_ID"));
	env_put(p, "libc", libc_json());
	put_found(p, "virt", "virt_found_by", &virt);
	env_put(p, "dmi_vendor", env_dmi_vendor(root));
	env_put(p, "wsl", env_wsl(root, &k));
	put_found(p, "container", "container_found_by", &container);
	put_found(p, "sandbox", "sandbox_found_by", &sandbox);
	env_put(p, "seccomp", env_seccomp(root));
	env_put(p, "probe", env_probe_json(caps));
	return p;
}
