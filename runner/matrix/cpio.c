/* A cpio "newc" writer: the format the kernel unpacks as an initramfs
 * (Documentation/driver-api/early-userspace/buffer-format.rst). */
#include "guest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct cpio {
	FILE *f;
	unsigned ino;
	char **dirs;            /* directories written, to write each once */
	int ndirs;
};

struct cpio *cpio_open(const char *path, char *err, size_t len)
{
	struct cpio *c = calloc(1, sizeof *c);
	if (c && !(c->f = fopen(path, "wb"))) {
		snprintf(err, len, "%s: %s", path, strerror(errno));
		free(c);
		return NULL;
	}
	if (c)
		c->ino = 1;
	return c;
}

static void pad4(FILE *f)
{
	long at = ftell(f);
	while (at++ % 4)
		fputc(0, f);
}

static int entry(struct cpio *c, const char *path, unsigned mode, const void *data, size_t n)
{
	while (*path == '/')
		path++;
	size_t namesize = strlen(path) + 1;
	fprintf(c->f, "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X",
		c->ino++, mode, 0u, 0u, 1u, 0u, n, 0u, 0u, 0u, 0u, namesize, 0u);
	fwrite(path, 1, namesize, c->f);
	pad4(c->f);
	if (n)
		fwrite(data, 1, n, c->f);
	pad4(c->f);
	return ferror(c->f) ? -1 : 0;
}

int cpio_dir(struct cpio *c, const char *path)
{
	char buf[4096];
	snprintf(buf, sizeof buf, "%s", path);
	for (char *p = buf + 1; ; p++) {
		if (*p && *p != '/')
			continue;
		char saved = *p;
		*p = '\0';
		int seen = 0;
		for (int i = 0; i < c->ndirs && !seen; i++)
			seen = !strcmp(c->dirs[i], buf);
		if (!seen && strcmp(buf, "/") && *buf) {
			c->dirs = realloc(c->dirs, (size_t)(c->ndirs + 1) * sizeof *c->dirs);
			c->dirs[c->ndirs++] = strdup(buf);
			if (entry(c, buf, S_IFDIR | 0755, NULL, 0) < 0)
				return -1;
		}
		if (!saved)
			return 0;
		*p = saved;
	}
}

static int parent_dirs(struct cpio *c, const char *path)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	return cpio_dir(c, dir);
}

int cpio_data(struct cpio *c, const char *path, const void *data, size_t n, unsigned mode)
{
	if (parent_dirs(c, path) < 0)
		return -1;
	return entry(c, path, S_IFREG | mode, data, n);
}

int cpio_file(struct cpio *c, const char *path, const char *from, unsigned mode)
{
	FILE *f = fopen(from, "rb");
	if (!f)
		return -1;
	size_t cap = 1 << 20, n = 0, got;
	char *buf = malloc(cap);
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap)
			buf = realloc(buf, cap *= 2);
	}
	fclose(f);
	int rc = buf ? cpio_data(c, path, buf, n, mode) : -1;
	free(buf);
	return rc;
}

int cpio_close(struct cpio *c)
{
	int rc = entry(c, "TRAILER!!!", 0, NULL, 0);
	rc |= fclose(c->f);
	for (int i = 0; i < c->ndirs; i++)
		free(c->dirs[i]);
	free(c->dirs);
	free(c);
	return rc ? -1 : 0;
}

long base64_decode(const char *in, size_t n, unsigned char *out)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned acc = 0;
	int bits = 0;
	long len = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = in[i];
		if (ch == '=' || ch == '\n' || ch == '\r' || ch == ' ')
			continue;
		const char *p = strchr(alphabet, ch);
		if (!p || !ch)
			return -1;
		acc = acc << 6 | (unsigned)(p - alphabet);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[len++] = (unsigned char)(acc >> bits);
		}
	}
	return len;
}
