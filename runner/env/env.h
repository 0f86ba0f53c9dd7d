/* The environment fingerprint: what kernel, platform and sysctls a run saw.
 * Goes into every run record ("environment") and is what `netrepro env`
 * prints. Read-only: nothing on the host is ever written. */
#ifndef NETREPRO_ENV_H
#define NETREPRO_ENV_H

#include <stddef.h>
#include <jansson.h>

/* The environment object of the run record (new reference, NULL only when
 * out of memory). root: the root directory to read files from ("" or NULL
 * for "/"); lets unit tests point it at a fake tree. uname(2), geteuid() and
 * the process environment are always the real ones. */
json_t *env_collect(const char *root);

/* The kernel's real upstream version as "X.Y.Z": Debian's uname -r says
 * 6.1.0-50-amd64 while uname -v says "... Debian 6.1.158-1 (...)"; Ubuntu
 * keeps it in /proc/version_signature; otherwise the numeric prefix of the
 * release. Any argument but buf may be NULL. Writes into buf, returns 0, or
 * -1 if nothing parses (or buf is too small). */
int env_kernel_version(const char *release, const char *version,
		       const char *signature, char *buf, size_t len);

#endif
