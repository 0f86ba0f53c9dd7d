/* netrepro: the command line. Parses everything first (any error: exit 2,
 * nothing run), then hands the scenarios to the scheduler. */
#include "case.h"
#include "commands.h"
#include "env.h"
#include "report.h"
#include "scheduler.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef NETREPRO_VERSION
#define NETREPRO_VERSION "0.1"
#endif

static const char usage[] =
	"usage: netrepro COMMAND [OPTIONS] PATH...\n"
	"\n"
	"Reproduce network behaviour in throw-away network namespaces and record\n"
	"what the kernel answered, step by step.\n"
	"\n"
	"commands:\n"
	"  run [OPTIONS] PATH...   run the cases (files or folders of *.case); KTAP v1 on stdout\n"
	"  check PATH...           parse and validate only\n"
	"  list PATH...            one line per case id (variants expanded)\n"
	"  env                     the environment fingerprint as JSON\n"
	"  report --format F [-o FILE] RUN.json...\n"
	"                          write a report of one or more run records;\n"
	"                          F is md, html, junit, ktap or kcidb\n"
	"  diff A.json B.json      what differs between two runs (exit 1 if anything)\n"
	"\n"
	"run options:\n"
	"  -j, --jobs N            cases at a time (default: the number of CPUs)\n"
	"  -k, --match PATTERN     only case ids matching PATTERN (a glob, or a substring)\n"
	"      --timeout S         per-case timeout in seconds (default 30), reported as TIMEOUT\n"
	"      --step-timeout S    bound on a step that can block (default 2)\n"
	"      --json FILE         write the run record (JSON, schema netrepro.run/1)\n"
	"\n"
	"exit status: 0 all passed or skipped, 1 a case failed, errored or timed out,\n"
	"2 usage or parse error.\n";

struct cli {
	int jobs;
	const char *match;
	double timeout_s, step_timeout_s;
	const char *json_path;
};

struct suite {
	struct case_file *files;
	int nfiles;
	struct scenario **sc;
	int n;
};

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
		fprintf(stderr, "netrepro: %s: %s\n", path, strerror(errno));
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

static void suite_free(struct suite *s)
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
static int load(char **paths, int npaths, const char *match, struct suite *s)
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
		if (case_load(f[i].path, f[i].id, &s->files[s->nfiles], err) < 0) {
			fprintf(stderr, "%s\n", err);
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

static int parse_seconds(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (*end || v <= 0 || v > 86400)
		return -1;
	*out = v;
	return 0;
}

static int parse_cli(int argc, char **argv, struct cli *c)
{
	static const struct option longopts[] = {
		{ "jobs", required_argument, 0, 'j' }, { "match", required_argument, 0, 'k' },
		{ "timeout", required_argument, 0, 't' }, { "step-timeout", required_argument, 0, 's' },
		{ "json", required_argument, 0, 'J' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	*c = (struct cli){ .jobs = cpus > 0 ? (int)cpus : 1, .timeout_s = 30, .step_timeout_s = 2 };
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "j:k:h", longopts, NULL)) != -1) {
		char *end;
		switch (opt) {
		case 'j':
			c->jobs = (int)strtol(optarg, &end, 10);
			if (*end || c->jobs < 1 || c->jobs > 64)
				return fprintf(stderr, "netrepro: -j wants 1..64, got '%s'\n", optarg), -1;
			break;
		case 'k': c->match = optarg; break;
		case 't':
		case 's':
			if (parse_seconds(optarg, opt == 't' ? &c->timeout_s : &c->step_timeout_s) < 0)
				return fprintf(stderr, "netrepro: bad number of seconds '%s'\n", optarg), -1;
			break;
		case 'J': c->json_path = optarg; break;
		case 'h': fputs(usage, stdout); exit(0);
		default: return -1;
		}
	}
	return 0;
}

struct printer {
	json_t *record;
};

static void print_case(void *arg, int index, json_t *rec)
{
	struct printer *p = arg;
	ktap_case(stdout, index + 1, rec);
	record_add_case(p->record, rec);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* `kernel` and `platform` in conditions come from the fingerprint. */
static void worker_opts_from_env(const json_t *env, struct worker_opts *w)
{
	const char *up = json_string_value(json_object_get(json_object_get(env, "kernel"), "upstream"));
	if (!up || kver_parse(up, &w->kernel) < 0)
		w->kernel = (struct kver){ { 0, 0, 0 } };
	json_t *wsl = json_object_get(json_object_get(env, "platform"), "wsl");
	json_int_t v = json_integer_value(json_object_get(wsl, "version"));
	w->platform = v == 1 ? "wsl1" : v == 2 ? "wsl2" : "linux";
}

static int cmd_run(int argc, char **argv)
{
	struct cli c;
	struct suite s;
	argv[0] = (char *)"netrepro run";  /* how getopt's own messages name us */
	if (parse_cli(argc, argv, &c) < 0)
		return 2;
	if (optind >= argc)
		return fprintf(stderr, "netrepro run: no PATH given\n%s", usage), 2;
	if (load(argv + optind, argc - optind, c.match, &s))
		return suite_free(&s), 2;
	if (c.match && !s.n) {
		/* most likely a typo: a run of nothing must not pass quietly */
		fprintf(stderr, "netrepro run: no case id matches '%s'\n", c.match);
		return suite_free(&s), 2;
	}
	double t0 = now();
	json_t *env = env_collect(NULL);
	struct printer pr = { record_new(env, NETREPRO_VERSION) };
	struct sched_opts so = { .jobs = c.jobs, .timeout_s = c.timeout_s, .progress = isatty(2),
				 .worker = { .step_timeout_ms = (int)(c.step_timeout_s * 1000) },
				 .done = print_case, .arg = &pr };
	worker_opts_from_env(env, &so.worker);
	json_t **recs = calloc((size_t)s.n + 1, sizeof *recs);
	ktap_header(stdout, s.n);
	int rc = sched_run(s.sc, s.n, &so, recs);
	for (int i = 0; i < s.n; i++)
		json_decref(recs[i]);
	free(recs);
	record_finish(pr.record, now() - t0);
	if (rc < 0) {
		fprintf(stderr, "netrepro: cannot start a worker: %s\n", strerror(errno));
		rc = 2;
	} else {
		rc = record_exit_status(pr.record);
	}
	char err[256];
	if (c.json_path && record_write(pr.record, c.json_path, err, sizeof err) < 0) {
		fprintf(stderr, "netrepro: %s\n", err);
		rc = 2;
	}
	json_decref(pr.record);
	suite_free(&s);
	return rc;
}

static int cmd_check_list(int argc, char **argv, int list)
{
	struct suite s;
	if (argc < 2)
		return fprintf(stderr, "netrepro %s: no PATH given\n", argv[0]), 2;
	int rc = load(argv + 1, argc - 1, NULL, &s);
	for (int i = 0; !rc && list && i < s.n; i++)
		printf("%s\n", s.sc[i]->id);
	if (!rc && !list)
		printf("%d case(s) in %d file(s): ok\n", s.n, s.nfiles);
	suite_free(&s);
	return rc;
}

static int cmd_env(void)
{
	json_t *env = env_collect(NULL);
	json_dumpf(env, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(env);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help"))
		return fputs(usage, stdout), 0;
	if (!strcmp(cmd, "--version"))
		return printf("netrepro %s\n", NETREPRO_VERSION), 0;
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "check") || !strcmp(cmd, "list"))
		return cmd_check_list(argc - 1, argv + 1, !strcmp(cmd, "list"));
	if (!strcmp(cmd, "env"))
		return cmd_env();
	if (!strcmp(cmd, "report"))
		return cmd_report(argc - 1, argv + 1);
	if (!strcmp(cmd, "diff"))
		return cmd_diff(argc - 1, argv + 1);
	fprintf(stderr, "netrepro: unknown command '%s'\n%s", cmd, usage);
	return 2;
}
