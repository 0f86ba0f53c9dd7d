/* Private to env.c and env_platform.c: reading files under a root
 * directory (a fake tree in the unit tests) and building JSON values. */
#ifndef NETREPRO_ENV_INT_H
#define NETREPRO_ENV_INT_H

#include <stddef.h>
#include <jansson.h>

#include "env.h"

struct str_pair { const char *key; const char *val; };

int env_root_path(const char *root, const char *rel, char *buf, size_t len);
int env_root_exists(const char *root, const char *rel);
void env_trim_right(char *s);
/* The start of a small file (at most len - 1 bytes), NUL-terminated, the
 * trailing newline removed; 0 or -1. */
int env_read_small(const char *root, const char *rel, char *buf, size_t len);
/* Calls fn on each delim-terminated item of a file until fn returns
 * nonzero; that value, or -1 if the file cannot be read. */
int env_scan_file(const char *root, const char *rel, int delim,
		  int (*fn)(const char *item, void *ctx), void *ctx);
/* The val of the first key equal to s (or, substring: found in s). */
const char *env_pair_find(const struct str_pair *t, size_t n, const char *s, int substring);
/* A string, or null for NULL or text that is not UTF-8. */
json_t *env_jstr(const char *s);
void env_put(json_t *obj, const char *key, json_t *val);

/* env_platform.c: the "platform" object. */
json_t *env_platform(const char *root, const char *release);

#endif
