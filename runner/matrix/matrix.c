/* `netrepro matrix`: the same cases on several kernels, one QEMU guest each
 * (and `host` on the running kernel), then a case x kernel report. */
#include "clock.h"
#include "commands.h"
#include "env.h"
#include "guest.h"
#include "report.h"
#include "scheduler.h"
#include "suite.h"
#include "version.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


struct matrix_cli {
	const char *kernels[32];
	int nkernels;
	int jobs;
	const char *out, *cache, *accel;
	double timeout_s, guest_timeout_s;
};

static int parse_matrix_cli(int argc, char **argv, struct matrix_cli *c)
{
	static const struct option longopts[] = {
		{ "kernel", required_argument, 0, 'K' }, { "jobs", required_argument, 0, 'j' },
		{ "out", required_argument, 0, 'o' }, { "cache", required_argument, 0, 'c' },
		{ "accel", required_argument, 0, 'a' }, { "timeout", required_argument, 0, 't' },
		{ "guest-timeout", required_argument, 0, 'g' }, { 0, 0, 0, 0 },
	};
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	*c = (struct matrix_cli){ .jobs = cpus > 0 ? (int)cpus : 1, .out = "build/matrix", .accel = "auto",
				  .timeout_s = 30, .guest_timeout_s = 300 };
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "j:o:", longopts, NULL)) != -1) {
		char *end = NULL;
		switch (opt) {
		case 'K':
			if (c->nkernels == 32)
				return fprintf(stderr, "netrepro matrix: 32 kernels at most\n"), -1;
			c->kernels[c->nkernels++] = optarg;
			break;
		case 'j': c->jobs = (int)strtol(optarg, &end, 10); break;
		case 'o': c->out = optarg; break;
		case 'c': c->cache = optarg; break;
		case 'a': c->accel = optarg; break;
		case 't':
		case 'g':
			if (duration_parse(optarg, DURATION_MAX_S, opt == 't' ? &c->timeout_s : &c->guest_timeout_s) < 0)
				return fprintf(stderr, "netrepro matrix: bad number of seconds '%s' (more than 0, "
					       "at most %d)\n", optarg, DURATION_MAX_S), -1;
			break;
		default: return -1;
		}
		if (end && (*end || c->jobs < 1 || c->jobs > 64 || c->timeout_s <= 0 || c->guest_timeout_s <= 0))
			return fprintf(stderr, "netrepro matrix: bad value '%s'\n", optarg), -1;
	}
	if (strcmp(c->accel, "auto") && strcmp(c->accel, "kvm") && strcmp(c->accel, "tcg"))
		return fprintf(stderr, "netrepro matrix: --accel is auto, kvm or tcg\n"), -1;
	if (!c->nkernels)
		c->kernels[c->nkernels++] = "host";
	return 0;
}

static void default_cache(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	if (xdg && *xdg)
		snprintf(buf, len, "%s/netrepro/kernels", xdg);
	else
		snprintf(buf, len, "%s/.cache/netrepro/kernels", home && *home ? home : "/tmp");
}

/* Every file the guests must carry: the case files and their fixtures. */
static void add_file(const char *path, char ***files, int *n)
{
	char abs[PATH_MAX];
	if (!realpath(path, abs))
		return;
	for (int j = 0; j < *n; j++)
		if (!strcmp((*files)[j], abs))
			return;
	*files = realloc(*files, (size_t)(*n + 1) * sizeof **files);
	(*files)[(*n)++] = strdup(abs);
}

/* Every file the guests must carry: the case files and the fixtures every
 * variant uses (a `use ... when` line differs between variants). */
static void files_of(const struct suite *s, char ***files, int *n)
{
	for (int i = 0; i < s->nfiles; i++) {
		add_file(s->files[i].sc[0]->file, files, n);
		for (int v = 0; v < s->files[i].n; v++)
			for (char **f = s->files[i].sc[v]->strings; f && *f; f++)
				add_file(*f, files, n);
	}
}

/* Every value of o, nested objects' too, made null. */
static void blank(json_t *o)
{
	const char *key;
	json_t *v;
	json_object_foreach(o, key, v)
		if (json_is_object(v))
			blank(v);
		else
			json_object_set_new(o, key, json_null());
}

/* The environment of a guest that never reported: the environment
 * module's object, so it has every key a run's has, with what was read
 * on this machine blanked (it is not the guest's) and what is known of
 * the guest put back. */
static json_t *guest_environment(const struct kernel *k, const char *accel)
{
	char virt[32];
	json_t *env = env_collect(NULL);
	if (!env)
		return NULL;
	snprintf(virt, sizeof virt, "qemu-%s", accel);
	blank(env);
	json_t *kernel = json_object_get(env, "kernel"), *p = json_object_get(env, "platform");
	json_object_set_new(kernel, "release", json_string(k->name));
	json_object_set_new(kernel, "version", json_string(""));
	json_object_set_new(kernel, "arch", json_string("x86_64"));    /* qemu-system-x86_64 */
	json_object_set_new(p, "os", json_string("linux"));
	json_object_set_new(p, "virt", json_string(virt));
	json_object_set_new(p, "wsl", json_null());
	json_object_set_new(env, "privilege", json_string("root"));     /* the guest's init */
	json_object_set_new(env, "ipv6", json_false());
	return env;
}

/* A record for a kernel that gave none: every case ERROR, with why and
 * the console's last lines, so the report shows the gap. */
static json_t *failed_record(const struct kernel *k, const char *accel, const char *why,
			     const char *console, const struct suite *s)
{
	json_t *rec = record_new(guest_environment(k, accel), NETREPRO_VERSION);
	for (int i = 0; i < s->n; i++) {
		json_t *c = sched_case_base(s->sc[i]);
		record_case_close(c, ST_ERROR, why, 0);
		record_add_case(rec, c);
		json_decref(c);
	}
	record_finish(rec, 0);
	json_object_set_new(rec, "guest", json_pack("{s:s, s:s, s:s, s:s}", "accel", accel, "kernel", k->name,
						    "error", why, "console", console ? console : ""));
	return rec;
}

/* `run` on this kernel; with a board, its KTAP read as it comes, and its
 * stderr (a terminal's: it would draw its own progress line into the
 * board) into errlog. */
static int run_host(const char *path, char **paths, int npaths, double timeout_s,
		    const struct board_tell *tell, const char *errlog)
{
	char timeout[32];
	snprintf(timeout, sizeof timeout, "%g", timeout_s);
	char **argv = calloc((size_t)npaths + 8, sizeof *argv);
	int a = 0, ktap[2] = { -1, -1 };
	argv[a++] = "netrepro";
	argv[a++] = "run";
	argv[a++] = "--timeout";
	argv[a++] = timeout;
	argv[a++] = "--json";
	argv[a++] = (char *)path;
	for (int i = 0; i < npaths; i++)
		argv[a++] = paths[i];
	if (tell && pipe2(ktap, O_CLOEXEC) < 0)
		ktap[0] = ktap[1] = -1;
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (ktap[1] >= 0 ? dup2(ktap[1], 1) < 0 : !freopen("/dev/null", "w", stdout))
			_exit(127);
		if (tell && !freopen(errlog, "w", stderr))
			_exit(127);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	if (ktap[1] >= 0)
		close(ktap[1]);
	FILE *f = ktap[0] >= 0 ? fdopen(ktap[0], "r") : NULL;
	char line[1024];
	int done = 0, failed = 0;
	if (f)
		board_guest_progress((void *)tell, GUEST_RUNNING, 0, 0);
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "ok ", 3) || !strncmp(line, "not ok ", 7)) {
			failed += line[0] == 'n';
			board_guest_progress((void *)tell, GUEST_RUNNING, ++done, failed);
		}
	if (f)
		fclose(f);
	int status = 0;
	waitpid(pid, &status, 0);
	free(argv);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 2;
}

struct plan {
	struct matrix_cli cli;
	struct suite suite;
	struct kernel *kernels;
	char **paths;
	int npaths;
	struct guest_opts guest;
	char self[PATH_MAX];
	char work[PATH_MAX];     /* initramfs images and console logs: DIR/.guests */
	int progress;           /* a line per kernel on the terminal */
};

/* One kernel, in a child process: its record into OUT/<name>.json; tell
 * (or NULL) hears how it goes. */
static int run_one(const struct plan *p, const struct kernel *k, const struct board_tell *tell)
{
	char path[PATH_MAX + 200];
	snprintf(path, sizeof path, "%s/%s.json", p->cli.out, k->name);
	double t0 = clock_now();
	if (k->host) {
		char errlog[PATH_MAX + 200];
		snprintf(errlog, sizeof errlog, "%s/%s.stderr", p->work, k->name);
		int rc = run_host(path, p->paths, p->npaths, p->cli.timeout_s, tell, errlog);
		json_t *rec = tell ? record_load(path, (char[256]){ 0 }, 256) : NULL;
		if (rec)
			board_done(tell, rec, clock_now() - t0);
		else if (tell)
			board_tell(tell, "failed: run exited with status %d (%s)", rc, errlog);
		json_decref(rec);
		return rc == 2 ? 1 : 0;
	}
	char err[GUEST_ERRLEN] = "", *console = NULL;
	json_t *rec = NULL;
	struct guest_opts g = p->guest;
	g.progress = tell ? board_guest_progress : NULL;
	g.progress_arg = (void *)tell;
	if (k->error[0])
		snprintf(err, sizeof err, "%s", k->error);
	else
		rec = guest_run(k, &g, &console, err, sizeof err);
	if (!rec)
		rec = failed_record(k, p->guest.accel, err, console, &p->suite);
	free(console);
	if (tell)
		board_done(tell, rec, clock_now() - t0);
	char werr[PATH_MAX + 300];
	int rc = record_write(rec, path, werr, sizeof werr);
	if (rc < 0)     /* a full disk: said here, where its errno is known */
		put_textf(stderr, TEXT_TERM, "netrepro matrix: %s: %s\n", k->name, werr);
	json_decref(rec);
	return rc < 0 ? 1 : 0;
}

/* Each kernel in a child, at most -j at a time; on a terminal, the board
 * shows how each goes, else a line as each starts. */
static void run_all(const struct plan *p)
{
	int running = 0, next = 0, n = p->cli.nkernels;
	const char **names = calloc((size_t)n, sizeof *names);
	struct board b = { .fd = { -1, -1 } };
	for (int i = 0; names && i < n; i++)
		names[i] = p->kernels[i].name;
	int board = p->progress && names && board_open(&b, names, n) == 0;
	while (next < n || running) {
		while (next < n && running < p->cli.jobs) {
			const struct kernel *k = &p->kernels[next];
			struct board_tell tell = { .fd = b.fd[1], .index = next++, .ncases = p->suite.n };
			if (!board)
				put_textf(stderr, TEXT_TERM, "netrepro matrix: %s: %s\n", k->name,
					k->host ? "running on this kernel" : p->guest.accel);
			pid_t pid = fork();
			if (pid == 0) {
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				if (board)
					board_tell(&tell, "%s", k->host ? "starting" : "making its initramfs");
				_exit(run_one(p, k, board ? &tell : NULL));
			}
			running += pid > 0;
		}
		if (board)
			board_read(&b, 200);
		if (!board && running && wait(NULL) > 0)
			running--;
		while (board && running && waitpid(-1, NULL, WNOHANG) > 0)
			running--;
	}
	if (board) {
		board_read(&b, 0);
		board_close(&b);
	}
	free(names);
}

static const char *case_status(const json_t *rec, const char *id)
{
	const json_t *c = case_find(rec, id);
	return c ? jstr(c, "status") : "-";
}

/* A string of a record in the terminal's table: escaped (a guest's record
 * holds what a ticket's case made it say), padded to w bytes and, with
 * cut >= 0, cut there at a character. */
static void term_cell(const char *lead, const char *s, int w, int cut)
{
	char *shown = text_dup(s, TEXT_TERM);
	const char *t = shown ? shown : "";
	size_t len = strlen(t);
	if (cut >= 0 && len > (size_t)cut)
		len = utf8_whole(t, (size_t)cut);
	printf("%s%-*.*s", lead, w, (int)len, t);
	free(shown);
}

static void summary(json_t *const *recs, int n, const struct plan *p)
{
	json_t *ids = case_ids(recs, n), *id;
	size_t i, w = 4;
	int any = 0;
	json_array_foreach(ids, i, id)
		w = strlen(json_string_value(id)) > w ? strlen(json_string_value(id)) : w;
	printf("\n  %-*s", (int)w, "case");
	for (int r = 0; r < n; r++)
		term_cell("  ", p->kernels[r].name, 22, -1);
	putchar('\n');
	json_array_foreach(ids, i, id) {
		const char *cid = json_string_value(id);
		int differs = 0;
		for (int r = 1; r < n; r++)
			differs |= !case_same_answers(case_find(recs[0], cid), case_find(recs[r], cid));
		any |= differs;
		term_cell(differs ? "* " : "  ", cid, (int)w, -1);
		for (int r = 0; r < n; r++)
			term_cell("  ", case_status(recs[r], cid), 22, -1);
		putchar('\n');
		const json_t *step = differs ? case_differing_step(recs, n, cid) : NULL;
		if (!step)
			continue;
		char where[64];
		snprintf(where, sizeof where, "    line %lld: ", (long long)json_integer_value(json_object_get(step, "line")));
		int room = w > strlen(where) ? (int)(w - strlen(where)) : 0;
		printf("  %s", where);
		term_cell("", jstr(step, "call"), room, room);
		for (int r = 0; r < n; r++)
			term_cell("  ", step_observed_in(recs[r], cid, step), 22, -1);
		putchar('\n');
	}
	if (any)
		printf("\n* the answers differ between kernels (netrepro diff A.json B.json shows where)\n");
	putchar('\n');
	/* which kernels lack which fixes */
	json_t *bugs = bug_table(recs, n), *row;
	const char *fix;
	if (json_object_size(bugs)) {
		printf("known kernel bugs:\n");
		json_object_foreach(bugs, fix, row) {
			term_cell("  ", fix, 0, -1);
			putchar('\n');
			for (int r = 0; r < n; r++) {
				term_cell("    ", p->kernels[r].name, 22, -1);
				printf(" %s\n", bug_word(json_array_get(row, (size_t)r)));
			}
		}
		putchar('\n');
	}
	json_decref(bugs);
	for (int r = 0; r < n; r++) {
		json_t *g = json_object_get(recs[r], "guest");
		if (*jstr(g, "error"))
			put_textf(stdout, TEXT_TERM, "! %s: %s\n", p->kernels[r].name, jstr(g, "error"));
	}
	json_decref(ids);
}

static int report(const struct plan *p)
{
	int n = p->cli.nkernels > 0 ? p->cli.nkernels : 1, rc = 0;
	json_t **recs = calloc((size_t)n, sizeof *recs);
	for (int r = 0; r < n; r++) {
		char path[PATH_MAX + 200], err[512];
		snprintf(path, sizeof path, "%s/%s.json", p->cli.out, p->kernels[r].name);
		if (!(recs[r] = record_load(path, err, sizeof err))) {
			put_textf(stderr, TEXT_TERM, "netrepro matrix: %s\n", err);
			rc = 1;
		}
	}
	const char *formats[][2] = { { "md", "matrix.md" }, { "html", "matrix.html" } };
	for (size_t f = 0; !rc && f < 2; f++) {
		char path[PATH_MAX + 200];
		snprintf(path, sizeof path, "%s/%s", p->cli.out, formats[f][1]);
		FILE *out = fopen(path, "w");
		if (!out) {     /* rc set: the records are still freed below */
			put_textf(stderr, TEXT_TERM, "netrepro matrix: %s: %s\n", path, strerror(errno));
			rc = 1;
			continue;
		}
		errno = 0;
		report_writer_find(formats[f][0])->write(out, recs, n);
		if (report_close(out, path, "netrepro matrix") < 0)
			rc = 1;
	}
	if (!rc) {
		summary(recs, n, p);
		printf("records: %s/<kernel>.json, reports: %s/matrix.md, %s/matrix.html\n",
		       p->cli.out, p->cli.out, p->cli.out);
	}
	for (int r = 0; r < n; r++) {
		rc |= recs[r] && record_exit_status(recs[r], 0);
		json_decref(recs[r]);
	}
	free(recs);
	return rc ? 1 : 0;
}

/* Two images both called bzImage (two trees' builds) must not share a
 * record: the later one becomes bzImage-2. */
static void unique_name(struct kernel *ks, int i)
{
	char base[sizeof ks[i].name];
	snprintf(base, sizeof base, "%s", ks[i].name);
	for (int n = 2, clash = 1; clash; n++) {
		clash = 0;
		for (int j = 0; j < i; j++)
			clash |= !strcmp(ks[j].name, ks[i].name);
		if (clash && snprintf(ks[i].name, sizeof ks[i].name, "%.100s-%d", base, n) < 0)
			return;
	}
}

static int prepare(struct plan *p, char *cache)
{
	char err[GUEST_ERRLEN];
	p->kernels = calloc((size_t)p->cli.nkernels, sizeof *p->kernels);
	for (int i = 0; i < p->cli.nkernels; i++) {
		struct kernel *k = &p->kernels[i];
		int rc = kernel_resolve(p->cli.kernels[i], cache, k, err, sizeof err);
		if (rc < 0)
			return put_textf(stderr, TEXT_TERM, "netrepro matrix: %s\n", err), -1;
		if (rc > 0) {
			snprintf(k->error, sizeof k->error, "%s", err);
			put_textf(stderr, TEXT_TERM, "netrepro matrix: %s: %s\n", k->name, err);
		}
		unique_name(p->kernels, i);
	}
	if (make_dirs(p->cli.out) < 0)
		return put_textf(stderr, TEXT_TERM, "netrepro matrix: %s: %s\n", p->cli.out, strerror(errno)), -1;
	if (!realpath("/proc/self/exe", p->self))
		return -1;
	char **files = NULL;
	int nfiles = 0;
	files_of(&p->suite, &files, &nfiles);
	snprintf(p->work, sizeof p->work, "%s/.guests", p->cli.out);
	if (make_dirs(p->work) < 0)
		return put_textf(stderr, TEXT_TERM, "netrepro matrix: %s: %s\n", p->work, strerror(errno)), -1;
	/* the CPUs split between the guests that run at once; past 16 vCPUs
	 * a TCG guest gains little, and its memory grows with them */
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int at_once = p->cli.jobs < p->cli.nkernels ? p->cli.jobs : p->cli.nkernels;
	cpus = cpus / at_once > 16 ? 16 * at_once : cpus;
	p->progress = isatty(1) && isatty(2);
	p->guest = (struct guest_opts){ .netrepro = p->self, .paths = p->paths, .npaths = p->npaths,
					.cpus = cpus > at_once ? (int)(cpus / at_once) : 1,
					.files = files, .nfiles = nfiles, .accel = "tcg",
					.timeout_s = p->cli.guest_timeout_s,
					.case_timeout_s = p->cli.timeout_s, .workdir = p->work,
					.out = p->cli.out };
	return 0;
}

/* The probe's answer is kept in the cache until the machine reboots: KVM
 * that hangs a stock kernel here costs a few seconds once, not per run. */
static void kvm_memo_path(const char *cache, char *path, size_t len, char *boot, size_t blen)
{
	FILE *b = fopen("/proc/sys/kernel/random/boot_id", "r");
	boot[0] = '\0';
	if (b && fgets(boot, (int)blen, b))
		boot[strcspn(boot, "\n")] = '\0';
	if (b)
		fclose(b);
	snprintf(path, len, "%s/kvm-probe", cache);
}

static int kvm_recall(const char *cache, int *works)
{
	char path[PATH_MAX + 32], boot[64], line[128];
	kvm_memo_path(cache, path, sizeof path, boot, sizeof boot);
	FILE *f = fopen(path, "r");
	int hit = f && fgets(line, sizeof line, f) && *boot && !strncmp(line, boot, strlen(boot)) &&
		  sscanf(line + strlen(boot), " %d", works) == 1;
	if (f)
		fclose(f);
	return hit;
}

static void kvm_remember(const char *cache, int works)
{
	char path[PATH_MAX + 32], boot[64];
	kvm_memo_path(cache, path, sizeof path, boot, sizeof boot);
	FILE *f = *boot ? fopen(path, "w") : NULL;
	if (f) {
		fprintf(f, "%s %d\n", boot, works);
		fclose(f);
	}
}

/* KVM when it works here (a short probe, once), else TCG. A failed probe is
 * remembered only once the same kernel has booted under TCG: a broken
 * kernel must not turn KVM off for later runs. Returns the kernel whose
 * TCG boot would confirm it, or -1. */
static int pick_accel(struct plan *p, const char *cache)
{
	const char *accel = p->cli.accel;
	int confirm = -1;
	for (int i = 0; !strcmp(accel, "auto") && i < p->cli.nkernels; i++) {
		if (p->kernels[i].host || p->kernels[i].error[0])
			continue;
		int works = 0;
		if (!kvm_recall(cache, &works)) {
			works = guest_kvm_works(&p->kernels[i], &p->guest);
			if (works)
				kvm_remember(cache, 1);
			else
				confirm = i;
		}
		accel = works ? "kvm" : "tcg";
		fprintf(stderr, "netrepro matrix: KVM %s here: using %s\n",
			works ? "works" : "does not boot a guest", accel);
	}
	p->guest.accel = strcmp(accel, "auto") ? accel : "tcg";
	return confirm;
}

static void confirm_no_kvm(const struct plan *p, int k, const char *cache)
{
	char path[PATH_MAX + 200], err[512];
	snprintf(path, sizeof path, "%s/%s.json", p->cli.out, p->kernels[k].name);
	json_t *rec = record_load(path, err, sizeof err);
	if (rec && !*jstr(json_object_get(rec, "guest"), "error"))
		kvm_remember(cache, 0);
	json_decref(rec);
}

int cmd_matrix(int argc, char **argv)
{
	struct plan p = { 0 };
	char cache[PATH_MAX];
	if (parse_matrix_cli(argc, argv, &p.cli) < 0)
		return 2;
	if (optind >= argc)
		return fprintf(stderr, "usage: netrepro matrix [--kernel K]... [-j N] [--out DIR] PATH...\n"), 2;
	p.paths = argv + optind;
	p.npaths = argc - optind;
	if (suite_load(p.paths, p.npaths, NULL, &p.suite))
		return suite_free(&p.suite), 2;
	snprintf(cache, sizeof cache, "%s", p.cli.cache ? p.cli.cache : "");
	if (!p.cli.cache)
		default_cache(cache, sizeof cache);
	int rc = prepare(&p, cache);
	if (rc == 0) {
		int confirm = pick_accel(&p, cache);
		run_all(&p);
		if (confirm >= 0)
			confirm_no_kvm(&p, confirm, cache);
		rc = report(&p);
	} else {
		rc = 2;
	}
	for (int i = 0; i < p.guest.nfiles; i++)
		free(p.guest.files[i]);
	free(p.guest.files);
	free(p.kernels);
	suite_free(&p.suite);
	return rc;
}
