/* Finding and loading the case files of a run. */
#include "suite.h"

#include "report.h"

#include <fnmatch.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


static int is_case_file(const char *name)
{
	size_t n = strlen(name);
	return n > 5 && !strcmp(name + n - 5, ".case");
}

/* Every *.case under path, sorted, so ids come out in a stable order. */
static int collect(const char *path, char ***out, int *n)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		put_textf(stderr, TEXT_TERM, "netrepro: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		*out = case_grow(*out, *n, sizeof **out);
		(*out)[(*n)++] = strdup(path);
		return 0;
	}
	struct dirent **ents;
	int k = scandir(path, &ents, NULL, alphasort), rc = 0;
	for (int i = 0; i < k; i++) {
		char sub[4096];
		const char *name = ents[i]->d_name;
		snprintf(sub, sizeof sub, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", name);
		struct stat es;
		if (name[0] != '.' && !rc && !stat(sub, &es) && (S_ISDIR(es.st_mode) || is_case_file(name)))
			rc = collect(sub, out, n);
		free(ents[i]);
	}
	free(ents);
	return rc;
}

/* A file name with a control character makes an id no one can type after
 * -k, and a line in KTAP that is not one: such a file is refused. */
static int name_ok(const char *path)
{
	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		if (*p < 0x20 || *p == 0x7f) {
			put_textf(stderr, TEXT_TERM, "netrepro: %s: a case file's name must not hold control characters "
				  "(shown escaped); rename it\n", path);
			return 0;
		}
	return 1;
}

/* A substring, or a glob over the whole id. Both are tried: ids hold
 * brackets ("seed/realm[v6only=0]"), so an id copied from `list` must
 * select itself although fnmatch reads "[...]" as a character class. */
static int id_matches(const char *pattern, const char *id)
{
	if (!pattern)
		return 1;
	return strstr(id, pattern) != NULL ||
	       (strpbrk(pattern, "*?[") && fnmatch(pattern, id, 0) == 0);
}

void suite_free(struct suite *s)
{
	for (int i = 0; i < s->nfiles; i++)
		case_file_free(&s->files[i]);
	free(s->files);
	free(s->sc);
}

/* The id of a case does not depend on where netrepro runs from: it is
 * taken from the absolute path (made lexically: ".", ".." and "//" folded,
 * symlinks kept), so "seed", "./cases/seed" and "/x/cases/seed" agree. */
static void id_base_of(const char *path, char *id, size_t len)
{
	char abs[8192], cwd[4096];
	if (path[0] != '/' && getcwd(cwd, sizeof cwd))
		snprintf(abs, sizeof abs, "%s/%s", cwd, path);
	else
		snprintf(abs, sizeof abs, "%s", path);
	char *out = abs, *o = abs;     /* fold in place: o never passes r */
	for (char *r = abs; *r;) {
		while (*r == '/')
			r++;
		size_t n = strcspn(r, "/");
		if (n == 0)
			break;
		if (n == 1 && r[0] == '.') {
			r += n;
			continue;
		}
		if (n == 2 && r[0] == '.' && r[1] == '.') {
			while (o > out && *--o != '/')
				;
			r += n;
			continue;
		}
		*o++ = '/';
		memmove(o, r, n);
		o += n;
		r += n;
	}
	*o = '\0';
	case_id_from_path(abs, id, len);
}

struct found {
	char *path;
	char id[4096];              /* the id without the variant */
	struct stat st;
};

/* By id, so the order does not depend on how the paths were written. */
static int cmpfound(const void *a, const void *b)
{
	const struct found *x = a, *y = b;
	int c = strcmp(x->id, y->id);
	return c ? c : strcmp(x->path, y->path);
}

/* Parse every file; report every error (not just the first); 2 if any. */
int suite_load(char **paths, int npaths, const char *match, struct suite *s)
{
	char **files = NULL;
	int nf = 0, bad = 0;
	*s = (struct suite){ 0 };
	for (int i = 0; i < npaths; i++)
		if (collect(paths[i], &files, &nf) < 0)
			bad = 1;
	struct found *f = calloc((size_t)nf + 1, sizeof *f);
	for (int i = 0; i < nf; i++) {
		f[i].path = files[i];
		id_base_of(files[i], f[i].id, sizeof f[i].id);
		if (stat(files[i], &f[i].st) < 0)
			f[i].st = (struct stat){ 0 };
	}
	free(files);
	qsort(f, (size_t)nf, sizeof *f, cmpfound);
	s->files = calloc((size_t)nf + 1, sizeof *s->files);
	for (int i = 0; i < nf; i++) {
		char err[CASE_ERRLEN];
		/* the same file named twice (a folder and a file in it, "x" and
		 * "./x") is loaded once: one id, one result */
		int dup = 0;
		for (int k = 0; k < i && !dup; k++)
			dup = f[i].st.st_ino && f[k].st.st_dev == f[i].st.st_dev && f[k].st.st_ino == f[i].st.st_ino;
		if (dup)
			continue;
		if (!name_ok(f[i].path)) {
			bad = 1;
		} else if (case_load(f[i].path, f[i].id, &s->files[s->nfiles], err) < 0 ||
			   case_file_runnable(&s->files[s->nfiles], f[i].path, err) < 0) {
			case_file_free(&s->files[s->nfiles]);
			put_textf(stderr, TEXT_TERM, "%s\n", err);
			bad = 1;
		} else {
			struct case_file *cf = &s->files[s->nfiles++];
			for (int k = 0; k < cf->n; k++) {
				if (!id_matches(match, cf->sc[k]->id))
					continue;
				s->sc = case_grow(s->sc, s->n, sizeof *s->sc);
				s->sc[s->n++] = cf->sc[k];
			}
		}
	}
	for (int i = 0; i < nf; i++)
		free(f[i].path);
	free(f);
	if (!nf && !bad) {
		fprintf(stderr, "netrepro: no *.case files found\n");
		bad = 1;
	}
	return bad ? 2 : 0;
}