/* Private to runner/env/: reading files under a root directory (a fake tree
 * in the unit tests), building JSON values, and the detectors the "platform"
 * object is made of. Each detector says what it found and, in found_by, the
 * file or fact that decided it. */
#ifndef NETREPRO_ENV_INT_H
#define NETREPRO_ENV_INT_H

#include <stddef.h>
#include <sys/utsname.h>
#include <jansson.h>

#include "env.h"

struct str_pair { const char *key; const char *val; };

#define ENV_FOUND_MAX 512

/* A detector's answer: kind (a static string, or NULL for "nothing") and
 * the fact that decided it ("" when there was none). */
struct env_found {
	const char *kind;
	char by[ENV_FOUND_MAX];
};

/* uname -r and -v as the root's /proc/sys/kernel/osrelease and version say
 * them (procfs serves uname's strings there), else uname(2)'s own. */
struct env_kstr {
	char release[256];
	char version[256];
};

int env_root_path(const char *root, const char *rel, char *buf, size_t len);
int env_root_exists(const char *root, const char *rel);
/* 1 for the real machine: root NULL, "" or "/". Live facts (uname, CPUID,
 * the namespace probe) are only taken there. */
int env_root_is_real(const char *root);
void env_trim_right(char *s);
/* The start of a small file (at most len - 1 bytes), NUL-terminated, the
 * trailing newline removed; 0 or -1. */
int env_read_small(const char *root, const char *rel, char *buf, size_t len);
/* Up to len raw bytes of a file (binary, no terminator); the count or -1. */
long env_read_bytes(const char *root, const char *rel, void *buf, size_t len);
/* Calls fn on each delim-terminated item of a file until fn returns
 * nonzero; that value, or -1 if the file cannot be read. */
int env_scan_file(const char *root, const char *rel, int delim,
		  int (*fn)(const char *item, void *ctx), void *ctx);
/* The val of the first key equal to s (or, substring: found in s). */
const char *env_pair_find(const struct str_pair *t, size_t n, const char *s, int substring);
/* A variable of this process's environment: getenv(), and with a fake
 * root also the tree's /proc/self/environ. 0, or -1 when unset. */
int env_getvar(const char *root, const char *name, char *buf, size_t len);
void env_kernel_strings(const char *root, const struct utsname *u, struct env_kstr *k);
/* Sets f to kind, found by the printf-formatted fact. */
void env_found_set(struct env_found *f, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A string, or null for NULL or text that is not UTF-8. */
json_t *env_jstr(const char *s);
void env_put(json_t *obj, const char *key, json_t *val);

#define ENV_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* env_platform.c: the "platform" object; caps NULL: not probed. */
json_t *env_platform(const char *root, const struct utsname *u,
		     const struct env_caps *caps);

/* env_virt.c: the hypervisor below us ("kvm", "hyperv", ..., "none"). */
void env_virt(const char *root, struct env_found *f);
json_t *env_dmi_vendor(const char *root);

/* env_wsl.c: null, or WSL's version and WSL 2's networking mode. */
json_t *env_wsl(const char *root, const struct env_kstr *k);

/* env_container.c: the container manager, the sandboxing kernel (gVisor)
 * and the seccomp state of this process. */
void env_container(const char *root, struct env_found *f);
void env_sandbox(const char *root, const struct env_kstr *k, struct env_found *f);
json_t *env_seccomp(const char *root);

/* env_probe.c: the "probe" object; caps NULL: every value null. */
json_t *env_probe_json(const struct env_caps *caps);

#endif
