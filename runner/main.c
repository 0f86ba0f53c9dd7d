/* netrepro: the command line. Parses everything first (any error: exit 2,
 * nothing run), then hands the scenarios to the scheduler. */
#include "case.h"
#include "registry.h"
#include "suite.h"
#include "version.h"
#include "commands.h"
#include "env.h"
#include "report.h"
#include "help.h"
#include "inplace.h"
#include "scheduler.h"

#include "clock.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


/* The run command's help, for its usage errors. */
static void run_usage(FILE *f)
{
	help_command_print(f, help_command("run"));
}

struct cli {
	int jobs;
	const char *match;
	double timeout_s, step_timeout_s;
	const char *json_path;
	const char *junit_path;
	const char *captures;
	int allow_exec;
	int strict;
	int in_place;
};


static int parse_cli(int argc, char **argv, struct cli *c)
{
	static const struct option longopts[] = {
		{ "jobs", required_argument, 0, 'j' }, { "match", required_argument, 0, 'k' },
		{ "timeout", required_argument, 0, 't' }, { "step-timeout", required_argument, 0, 's' },
		{ "json", required_argument, 0, 'J' }, { "junit", required_argument, 0, 'U' },
		{ "allow-exec", no_argument, 0, 'X' }, { "captures", required_argument, 0, 'C' },
		{ "strict", no_argument, 0, 'S' }, { "in-place", no_argument, 0, 'I' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
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
			if (duration_parse(optarg, DURATION_MAX_S, opt == 't' ? &c->timeout_s : &c->step_timeout_s) < 0)
				return fprintf(stderr, "netrepro: bad number of seconds '%s' (more than 0, at most %d)\n",
					       optarg, DURATION_MAX_S), -1;
			break;
		case 'J': c->json_path = optarg; break;
		case 'U': c->junit_path = optarg; break;
		case 'X': c->allow_exec = 1; break;
		case 'C': c->captures = optarg; break;
		case 'S': c->strict = 1; break;
		case 'I': c->in_place = 1; break;
		case 'h': run_usage(stdout); exit(0);
		default: return -1;
		}
	}
	return 0;
}

struct printer {
	json_t *record;
	int printed;            /* cases handed over, in input order */
	int write_errno;        /* of the first KTAP line stdout did not take */
};

static void print_case(void *arg, int index, json_t *rec)
{
	struct printer *p = arg;
	ktap_case(stdout, index + 1, rec);
	if (!p->write_errno && ferror(stdout))
		p->write_errno = errno;         /* ktap_case's fflush failed just now */
	record_add_case(p->record, rec);
	p->printed = index + 1;
}

/* SIGINT, SIGTERM: the run stops and writes what finished. */
static volatile int stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
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

/* Whether the record can be written, asked before the run rather than
 * found out after it. */
static int writable(const char *path)
{
	if (!access(path, W_OK))
		return 1;
	if (errno != ENOENT)
		return 0;
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash)
		slash[slash == dir] = '\0';
	return !access(slash ? dir : ".", W_OK);
}

static int cmd_run(int argc, char **argv)
{
	struct cli c;
	struct suite s;
	argv[0] = (char *)"netrepro run";  /* how getopt's own messages name us */
	if (parse_cli(argc, argv, &c) < 0)
		return 2;
	if (optind >= argc)
		return fprintf(stderr, "netrepro run: no PATH given\n"), run_usage(stderr), 2;
	const char *outputs[] = { c.json_path, c.junit_path };
	for (int i = 0; i < 2; i++)
		if (outputs[i] && !writable(outputs[i]))
			return fprintf(stderr, "netrepro run: cannot write %s: %s\n", outputs[i], strerror(errno)), 2;
	if (suite_load(argv + optind, argc - optind, c.match, &s))
		return suite_free(&s), 2;
	if (c.match && !s.n) {
		/* most likely a typo: a run of nothing must not pass quietly */
		fprintf(stderr, "netrepro run: no case id matches '%s'\n", c.match);
		return suite_free(&s), 2;
	}
	/* A record's captures sit next to it, named relative to it, so that
	 * the reports written there link to them. */
	char capdir[4096] = "";
	const char *capname = c.captures;
	if (!c.captures && c.json_path) {
		const char *slash = strrchr(c.json_path, '/');
		snprintf(capdir, sizeof capdir, "%.*scaptures", slash ? (int)(slash - c.json_path + 1) : 0, c.json_path);
		capname = "captures";
	}
	const char *capture_dir = c.captures ? c.captures : capdir[0] ? capdir : NULL;
	double t0 = clock_now();
	json_t *env = env_collect(NULL);
	struct printer pr = { .record = record_new(env, NETREPRO_VERSION) };
	struct sched_opts so = { .jobs = c.jobs, .timeout_s = c.timeout_s, .progress = isatty(2),
				 .worker = { .step_timeout_ms = (int)(c.step_timeout_s * 1000),
					     .allow_exec = c.allow_exec, .capture_dir = capture_dir,
					     .capture_name = capname },
				 .done = print_case, .arg = &pr };
	worker_opts_from_env(env, &so.worker);
	so.worker.in_place = c.in_place;
	if (c.in_place)
		so.jobs = 1;    /* the cases share this namespace: one at a time */
	char no_netns[600] = "", why[400];
	if (!c.in_place && !inplace_netns_probe(why, sizeof why)) {
		/* said once here; every case SKIPs with it */
		fprintf(stderr, "netrepro run: network namespaces cannot be made here (%s; platform %s): "
			"every case SKIPs; --in-place runs the single-host cases in this namespace\n",
			why, so.worker.platform);
		snprintf(no_netns, sizeof no_netns, "namespaces unavailable here (%s); --in-place runs the "
			 "single-host cases in this namespace", why);
		so.worker.no_netns = no_netns;
	}
	json_t **recs = calloc((size_t)s.n + 1, sizeof *recs);
	struct sigaction sa = { .sa_handler = on_stop };    /* no SA_RESTART: poll returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	so.stop = &stop_signal;
	ktap_header(stdout, s.n);
	sched_run(s.sc, s.n, &so, recs);
	/* stopped: the cases that finished after the first unfinished one */
	for (int i = pr.printed; stop_signal && i < s.n; i++)
		if (recs[i])
			print_case(&pr, i, recs[i]);
	if (stop_signal)
		record_interrupted(pr.record, stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
	for (int i = 0; i < s.n; i++)
		json_decref(recs[i]);
	free(recs);
	record_finish(pr.record, clock_now() - t0);
	int rc = record_exit_status(pr.record, c.strict);
	if (stop_signal) {
		printf("# interrupted by %s: %zu of %d cases finished\n", stop_signal == SIGINT ? "SIGINT" : "SIGTERM",
		       json_array_size(json_object_get(pr.record, "cases")), s.n);
		rc = 128 + stop_signal;     /* 130, 143: as a shell reports it */
	}
	char err[256];
	if (c.json_path && record_write(pr.record, c.json_path, err, sizeof err) < 0) {
		fprintf(stderr, "netrepro: %s\n", err);
		rc = 2;
	}
	errno = 0;
	FILE *junit = c.junit_path ? fopen(c.junit_path, "w") : NULL;
	if (junit) {
		report_writer_find("junit")->write(junit, &pr.record, 1);
		if (report_close(junit, c.junit_path, "netrepro run") < 0)
			rc = 2;         /* as the record's: a full disk is never a cut file and success */
	} else if (c.junit_path) {
		fprintf(stderr, "netrepro: %s: %s\n", c.junit_path, strerror(errno));
		rc = 2;
	}
	/* KTAP onto a full disk: a cut result is no pass */
	errno = pr.write_errno;
	if (report_close(stdout, "standard output", "netrepro run") < 0)
		rc = 2;
	json_decref(pr.record);
	suite_free(&s);
	return rc;
}

static int cmd_check_list(int argc, char **argv, int list)
{
	struct suite s;
	if (argc < 2)
		return fprintf(stderr, "netrepro %s: no PATH given\n", argv[0]), 2;
	int rc = suite_load(argv + 1, argc - 1, NULL, &s);
	for (int i = 0; !rc && list && i < s.n; i++)
		put_textf(stdout, TEXT_TERM, "%s\n", s.sc[i]->id);
	if (!rc && !list)
		printf("%d case(s) in %d file(s): ok\n", s.n, s.nfiles);
	suite_free(&s);
	if (report_close(stdout, "standard output", list ? "netrepro list" : "netrepro check") < 0)
		rc = 2;
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

/* help [calls|options|COMMAND] [--markdown], help --man, --man-case,
 * --completion SHELL. */
static int cmd_help(int argc, char **argv)
{
	const char *topic = NULL;
	int md = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--markdown"))
			md = 1;
		else if (!strcmp(argv[i], "--man"))
			return help_man(stdout, NETREPRO_VERSION), 0;
		else if (!strcmp(argv[i], "--man-case"))
			return help_man_case(stdout, NETREPRO_VERSION), 0;
		else if (!strcmp(argv[i], "--completion"))
			return help_completion(stdout, i + 1 < argc ? argv[i + 1] : NULL) < 0
				? fprintf(stderr, "netrepro help: --completion bash or zsh\n"), 2 : 0;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return help_command_print(stdout, help_command("help")), 0;
		else if (!topic && (!strcmp(argv[i], "calls") || !strcmp(argv[i], "options") || help_command(argv[i])))
			topic = argv[i];
		else
			return fprintf(stderr, "netrepro help: unknown topic '%s' (calls, options, or a command)\n",
				       argv[i]), 2;
	}
	if (!topic)
		return help_usage(stdout), 0;
	if (help_command(topic))
		return help_command_print(stdout, help_command(topic)), 0;
	if (md)
		puts(!strcmp(topic, "calls") ? "| call | value | what |\n|---|---|---|"
		     : "| option | level | value | what |\n|---|---|---|---|");
	if (!strcmp(topic, "calls"))
		registry_print_calls(stdout, md);
	else
		registry_print_options(stdout, md);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		help_usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h"))
		return help_usage(stdout), 0;
	/* `netrepro COMMAND --help` for every command, whatever else follows */
	for (int i = 2; help_command(cmd) && strcmp(cmd, "help") && i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return help_command_print(stdout, help_command(cmd)), 0;
	if (!strcmp(cmd, "help"))
		return cmd_help(argc - 1, argv + 1);
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
	if (!strcmp(cmd, "matrix"))
		return cmd_matrix(argc - 1, argv + 1);
	fprintf(stderr, "netrepro: unknown command '%s'\n", cmd);
	help_usage(stderr);
	return 2;
}
