/* Where the parser's text comes from: reading a case or fixture file
 * within bounds, and finding the fixture a `use` line names.
 *
 * A case file comes from a bug ticket: it may name /dev/zero, a FIFO or
 * /etc/shadow. So only a regular file is read, never more than
 * SOURCE_MAX bytes, and a fixture only from the folders the search
 * looks in; an error names the rule broken, never what the file holds. */
#include "parse_int.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Read the whole of fd, which fstat says is a regular file of at most
 * SOURCE_MAX bytes (it may still grow while we read). */
static int read_bounded(int fd, char **out, size_t *len, char *why, size_t whylen)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (buf && n + 1 == cap && cap <= SOURCE_MAX) {
			char *bigger = realloc(buf, cap * 2);
			if (!bigger)
				free(buf);
			buf = bigger;
			cap *= 2;
		}
		if (!buf)
			return snprintf(why, whylen, "out of memory"), -1;
		ssize_t got = read(fd, buf + n, cap - n - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(why, whylen, "%s", strerror(errno));
			free(buf);
			return -1;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n > SOURCE_MAX) {
			snprintf(why, whylen, "larger than %d MiB, the most a case or fixture file may be",
				 SOURCE_MAX >> 20);
			free(buf);
			return -1;
		}
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int source_read(const char *path, char **out, size_t *len, char *why, size_t whylen)
{
	/* O_NONBLOCK: opening a FIFO must not wait for a writer */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	int rc = -1;
	if (!S_ISREG(st.st_mode))
		snprintf(why, whylen, "not a regular file (a case or fixture must be one)");
	else if (st.st_size > SOURCE_MAX)
		snprintf(why, whylen, "larger than %d MiB, the most a case or fixture file may be",
			 SOURCE_MAX >> 20);
	else
		rc = read_bounded(fd, out, len, why, whylen);
	close(fd);
	return rc;
}

int source_check_text(struct parser *p, const char *text, size_t len)
{
	const char *nul = memchr(text, '\0', len);
	if (!nul)
		return 0;
	struct srcpos at = { p->file, 1, 1 };
	const char *bol = text;
	for (const char *s = text; s < nul; s++)
		if (*s == '\n') {
			at.line++;
			bol = s + 1;
		}
	at.col = (int)(nul - bol) + 1;
	return perr_at(p, &at, "control character 0x00 in the file");
}

/* Whether path, resolved, is inside folder dir, resolved. */
static int inside(const char *dir, const char *path)
{
	char rd[PATH_MAX], rp[PATH_MAX];
	if (!realpath(dir, rd) || !realpath(path, rp))
		return 0;
	size_t n = strlen(rd);
	return !strncmp(rd, rp, n) && (rp[n] == '/' || (n == 1 && rd[0] == '/'));
}

/* The folder tree a case's fixtures may come from: the top folder above
 * the case (/home of /home/u/proj/cases/x.case), as the search walks up
 * to it; "" for a case at the root. */
static void case_tree(const char *case_file, char *top, size_t len)
{
	char real[PATH_MAX];
	top[0] = '\0';
	if (!realpath(case_file, real))
		return;
	size_t n = strcspn(real + 1, "/");
	if (real[1 + n] == '/')
		snprintf(top, len, "/%.*s", (int)n, real + 1);
}

/* A fixture path is looked up from the including file's folder upwards, so
 * that "fixtures/pair.net" works from any depth under the project. */
static char *find_upwards(const char *from, const char *name)
{
	char *dir = strdup(from), path[4096];
	while (dir) {
		char *d = dirname(dir);
		if (snprintf(path, sizeof path, "%s/%s", d, name) < (int)sizeof path && !access(path, R_OK)) {
			free(dir);
			return strdup(path);
		}
		if (!strcmp(d, "/") || !strcmp(d, "."))
			break;
		char *up = strdup(d);
		free(dir);
		dir = up;
	}
	free(dir);
	return NULL;
}

/* An installed netrepro's share folder, beside its bin: PREFIX/share/netrepro. */
static int installed_share(char *buf, size_t len)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	char raw[4200], real[4096];
	snprintf(raw, sizeof raw, "%s/../share/netrepro", exe);
	return snprintf(buf, len, "%s", realpath(raw, real) ? real : raw) < (int)len ? 0 : -1;
}

/* Where the fixture name is, not yet checked against the roots. */
static char *fixture_search(const char *case_file, const char *name, char *share, size_t sharelen,
			    int *have_share)
{
	char abs[4096], path[8200];
	char *found = NULL;
	if (name[0] == '/')
		found = access(name, R_OK) ? NULL : strdup(name);
	else if (!(found = find_upwards(case_file, name)) && case_file[0] != '/' && realpath(case_file, abs))
		/* a relative case path stops at "."; the project may be above it
		 * (`cd cases/timewait; netrepro run x.case`) */
		found = find_upwards(abs, name);
	/* then the installed share folder (a case copied out of the project) */
	*have_share = installed_share(share, sharelen) == 0;
	if (!found && name[0] != '/' && *have_share &&
	    snprintf(path, sizeof path, "%s/%s", share, name) < (int)sizeof path && !access(path, R_OK))
		found = strdup(path);
	return found;
}

char *case_fixture_find(const char *case_file, const char *name, char *where, size_t len)
{
	char share[4096], top[PATH_MAX];
	int have_share;
	char *found = fixture_search(case_file, name, share, sizeof share, &have_share);
	case_tree(case_file, top, sizeof top);
	if (found && !(top[0] && inside(top, found)) && !(have_share && inside(share, found))) {
		/* an absolute path, a '..' or a symlink that leads elsewhere */
		if (where)
			snprintf(where, len, "it is outside the folders fixtures come from: %s%s%s",
				 top[0] ? top : "", top[0] && have_share ? " and " : "", have_share ? share : "");
		free(found);
		errno = EACCES;
		return NULL;
	}
	if (!found)
		errno = ENOENT;
	if (!found && where)
		snprintf(where, len, name[0] == '/' ? "no such file" :
			 "looked from %s's folder upwards, then in %s", case_file,
			 have_share ? share : "no installed share folder");
	return found;
}
