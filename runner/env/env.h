/* The environment fingerprint: what kernel, platform and sysctls a run saw.
 * Goes into every run record ("environment") and is what `netrepro env`
 * prints. Read-only: nothing on the host is ever written (the namespace
 * probe's throwaway child changes only its own namespaces). */
#ifndef NETREPRO_ENV_H
#define NETREPRO_ENV_H

#include <stddef.h>
#include <jansson.h>

/* What this process may do, tried live by env_caps_probe(): each member is
 * 0 when the call worked, the errno it failed with, or ENV_CAP_UNKNOWN when
 * it was not tried. */
struct env_caps {
	int netns;           /* unshare(CLONE_NEWNET), as we are */
	int userns;          /* unshare(CLONE_NEWUSER) */
	int netns_in_userns; /* unshare(CLONE_NEWNET) inside that new user namespace */
	int raw_socket;      /* socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) */
};
#define ENV_CAP_UNKNOWN (-1)

/* The environment object of the run record (new reference, NULL only when
 * out of memory). root: the root directory to read files from ("" or NULL
 * for "/"); lets unit tests point it at a fake tree. On the real root the
 * kernel strings come from uname(2), and env_caps_probe() runs; with a fake
 * root the tree's /proc/sys/kernel/{osrelease,version} and
 * /proc/self/environ stand in and nothing is probed (platform.probe null). */
json_t *env_collect(const char *root);

/* env_collect() with the probe's answers given (caps NULL: not probed),
 * whatever the root: how the unit tests say what a platform allows. */
json_t *env_collect_with(const char *root, const struct env_caps *caps);

/* Tries each call of struct env_caps in one forked child, which reports
 * back through a pipe and exits; the caller's own namespaces never change.
 * Costs a fork and a namespace setup, a few milliseconds. Returns 0, or a
 * negative errno when the child could not be run (caps then all
 * ENV_CAP_UNKNOWN). */
int env_caps_probe(struct env_caps *caps);

/* Whether a worker could make its network namespaces here, the way it
 * does: as root unshare(CLONE_NEWNET) directly, otherwise inside a new
 * user namespace first. 1 yes; 0 no, with the errno that stopped it in
 * *err (may be NULL). One env_caps_probe(), so cheap enough to ask once
 * per run before scheduling. */
int env_netns_available(int *err);

/* The kernel's real upstream version as "X.Y.Z": Debian's uname -r says
 * 6.1.0-50-amd64 while uname -v says "... Debian 6.1.158-1 (...)"; Ubuntu
 * keeps it in /proc/version_signature; otherwise the numeric prefix of the
 * release. Any argument but buf may be NULL. Writes into buf, returns 0, or
 * -1 if nothing parses (or buf is too small). */
int env_kernel_version(const char *release, const char *version,
		       const char *signature, char *buf, size_t len);

#endif
