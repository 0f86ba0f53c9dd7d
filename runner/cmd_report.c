/* `netrepro report` and `netrepro diff`: run records in, reports out. */
#include "commands.h"
#include "report.h"

#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int load_all(char **paths, int n, json_t **recs)
{
	for (int i = 0; i < n; i++) {
		char err[512];
		if (!(recs[i] = record_load(paths[i], err, sizeof err))) {
			put_textf(stderr, TEXT_TERM, "netrepro: %s\n", err);
			while (i--)
				json_decref(recs[i]);
			return -1;
		}
	}
	return 0;
}

struct report_cli {
	const char *format, *out, *match;
	int failed_only;
	struct report_opts o;
};

/* As `run -k`: a substring, or a glob over the whole id (an id copied from
 * `list` holds brackets, which fnmatch reads as a class: it still selects
 * itself as a substring). */
static int id_matches(const char *pattern, const char *id)
{
	return !pattern || strstr(id, pattern) != NULL ||
	       (strpbrk(pattern, "*?[") && fnmatch(pattern, id, 0) == 0);
}

/* The ids -k and --failed-only keep: a case failed on one kernel is kept
 * on all, so that the matrix row still compares it. */
static json_t *selected_ids(json_t *const *recs, int n, const struct report_cli *cli)
{
	json_t *ids = case_ids(recs, n), *keep = json_object(), *id;
	size_t i;
	json_array_foreach(ids, i, id) {
		const char *cid = json_string_value(id);
		int failed = 0;
		for (int r = 0; r < n; r++)
			failed |= case_failed(case_find(recs[r], cid));
		if (id_matches(cli->match, cid) && (!cli->failed_only || failed))
			json_object_set_new(keep, cid, json_true());
	}
	json_decref(ids);
	return keep;
}

/* rec with only the cases in keep, its summary counted again. */
static json_t *record_select(const json_t *rec, const json_t *keep)
{
	json_t *copy = json_copy((json_t *)rec), *cases = json_array(), *c;
	size_t i;
	json_array_foreach(json_object_get(rec, "cases"), i, c)
		if (json_object_get(keep, jstr(c, "id")))
			json_array_append(cases, c);
	json_object_set_new(copy, "cases", cases);
	record_finish(copy, json_number_value(json_object_get(rec, "duration_s")));
	return copy;
}

/* -k and --failed-only: recs replaced by their selections, and the words
 * that say so in the report (buf). -1: -k matches no case id. */
static int select_cases(json_t **recs, int n, struct report_cli *cli, char *buf, size_t len)
{
	if (!cli->match && !cli->failed_only)
		return 0;
	json_t *keep = selected_ids(recs, n, cli), *all = case_ids(recs, n);
	if (cli->match && !json_object_size(keep) && !cli->failed_only) {
		fprintf(stderr, "netrepro report: no case id matches '%s'\n", cli->match);
		json_decref(keep);
		json_decref(all);
		return -1;
	}
	int o = snprintf(buf, len, "%zu of %zu cases: ", json_object_size(keep), json_array_size(all));
	if (cli->match)
		o += snprintf(buf + o, len - (size_t)o, "ids matching '%s'%s", cli->match,
			      cli->failed_only ? ", and " : "");
	if (cli->failed_only && o < (int)len)
		snprintf(buf + o, len - (size_t)o, "those that failed, errored or timed out%s",
			 n > 1 ? " on some kernel" : "");
	cli->o.selection = buf;
	for (int r = 0; r < n; r++) {
		json_t *sel = record_select(recs[r], keep);
		json_decref(recs[r]);
		recs[r] = sel;
	}
	json_decref(keep);
	json_decref(all);
	return 0;
}

static int pattern_ok(const char *value, const char *pattern)
{
	regex_t re;
	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
		return 0;
	int ok = regexec(&re, value, 0, NULL, 0) == 0;
	regfree(&re);
	return ok;
}

/* The KCIDB fields, from the options else the environment (CI passes them
 * that way), each checked against the KCIDB v5.3 schema's pattern. */
static int kcidb_fields(struct report_cli *cli)
{
	const struct {
		const char *option, *env, *pattern, *want;
		const char **value;
	} fields[] = {
		{ "--kcidb-origin", "NETREPRO_KCIDB_ORIGIN", "^[a-z0-9_]+$", "lower-case letters, digits and _",
		  &cli->o.kcidb_origin },
		{ "--kcidb-tree", "NETREPRO_KCIDB_TREE", "^.+$", "a name", &cli->o.kcidb_tree },
		{ "--kcidb-repo", "NETREPRO_KCIDB_REPO", "^https://.+$", "an https:// URL", &cli->o.kcidb_repo },
		{ "--kcidb-commit", "NETREPRO_KCIDB_COMMIT", "^[0-9a-f]{40}$",
		  "a full commit hash, 40 lower-case hex digits", &cli->o.kcidb_commit },
	};
	for (size_t k = 0; k < sizeof fields / sizeof *fields; k++) {
		const char **v = fields[k].value, *env = getenv(fields[k].env), *from = fields[k].option;
		if (!*v && env && *env) {
			*v = env;
			from = fields[k].env;
		}
		if (*v && !pattern_ok(*v, fields[k].pattern)) {
			fprintf(stderr, "netrepro report: %s '%s': KCIDB wants %s (%s)\n", from, *v, fields[k].want,
				fields[k].pattern);
			return -1;
		}
	}
	if (!cli->o.kcidb_origin)
		cli->o.kcidb_origin = "netrepro";
	return 0;
}

enum { OPT_FAILED_ONLY = 256, OPT_MAX_CHARS, OPT_ORIGIN, OPT_TREE, OPT_REPO, OPT_COMMIT };

static int parse_report_args(int argc, char **argv, struct report_cli *cli)
{
	static const struct option longopts[] = {
		{ "format", required_argument, 0, 'f' }, { "output", required_argument, 0, 'o' },
		{ "match", required_argument, 0, 'k' }, { "failed-only", no_argument, 0, OPT_FAILED_ONLY },
		{ "max-chars", required_argument, 0, OPT_MAX_CHARS },
		{ "kcidb-origin", required_argument, 0, OPT_ORIGIN }, { "kcidb-tree", required_argument, 0, OPT_TREE },
		{ "kcidb-repo", required_argument, 0, OPT_REPO }, { "kcidb-commit", required_argument, 0, OPT_COMMIT },
		{ 0, 0, 0, 0 },
	};
	int opt, kcidb_opt = 0;
	char *end;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "f:o:k:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f': cli->format = optarg; break;
		case 'o': cli->out = optarg; break;
		case 'k': cli->match = optarg; break;
		case OPT_FAILED_ONLY: cli->failed_only = 1; break;
		case OPT_MAX_CHARS:
			errno = 0;
			cli->o.max_chars = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || cli->o.max_chars < 1000) {
				fprintf(stderr, "netrepro report: --max-chars wants a number of characters, 1000 or more\n");
				return -1;
			}
			break;
		case OPT_ORIGIN: cli->o.kcidb_origin = optarg; kcidb_opt = 1; break;
		case OPT_TREE: cli->o.kcidb_tree = optarg; kcidb_opt = 1; break;
		case OPT_REPO: cli->o.kcidb_repo = optarg; kcidb_opt = 1; break;
		case OPT_COMMIT: cli->o.kcidb_commit = optarg; kcidb_opt = 1; break;
		default: return -1;
		}
	}
	int md = cli->format && !strcmp(cli->format, "md"), kcidb = cli->format && !strcmp(cli->format, "kcidb");
	const char *misplaced = cli->o.max_chars && !md ? "--max-chars is for --format md" :
				cli->o.max_chars && !cli->out ? "--max-chars writes parts: it needs -o FILE" :
				kcidb_opt && !kcidb ? "--kcidb-* options are for --format kcidb" : NULL;
	if (cli->format && misplaced) {
		fprintf(stderr, "netrepro report: %s\n", misplaced);
		return -1;
	}
	return kcidb ? kcidb_fields(cli) : 0;
}

/* FILE.md (or FILE) as FILE.1.md, FILE.2.md, ...: parts of fewer than
 * --max-chars characters each. */
static int write_parts(json_t *const *recs, int n, const struct report_cli *cli)
{
	char **parts;
	int nparts, oversize, rc = 0;
	if (report_markdown_parts(recs, n, &cli->o, &parts, &nparts, &oversize) < 0) {
		fprintf(stderr, "netrepro report: out of memory\n");
		return 2;
	}
	size_t base = strlen(cli->out);
	if (base > 3 && !strcmp(cli->out + base - 3, ".md"))
		base -= 3;
	for (int k = 0; k < nparts; k++) {
		char path[4200];
		snprintf(path, sizeof path, "%.*s.%d.md", (int)base, cli->out, k + 1);
		errno = 0;
		FILE *f = rc ? NULL : fopen(path, "w");
		if (!rc && !f) {
			put_textf(stderr, TEXT_TERM, "netrepro report: cannot write %s: %s\n", path, strerror(errno));
			rc = 1;
		} else if (!rc) {
			fputs(parts[k], f);
			rc = report_close(f, path, "netrepro report") < 0;
		}
		free(parts[k]);
	}
	free(parts);
	if (!rc && nparts > 1)
		fprintf(stderr, "netrepro report: %d parts, %.*s.1.md ... %.*s.%d.md\n", nparts, (int)base, cli->out,
			(int)base, cli->out, nparts);
	else if (!rc)
		fprintf(stderr, "netrepro report: 1 part, %.*s.1.md\n", (int)base, cli->out);
	if (!rc && oversize)
		fprintf(stderr, "netrepro report: warning: %d part%s longer than --max-chars %ld: "
			"a single case that long\n", oversize, oversize == 1 ? " is" : "s are", cli->o.max_chars);
	return rc;
}

static int write_report(const struct report_writer *w, json_t *const *recs, int n, const struct report_cli *cli)
{
	if (cli->o.max_chars)
		return write_parts(recs, n, cli);
	FILE *f = cli->out ? fopen(cli->out, "w") : stdout;
	if (!f) {
		put_textf(stderr, TEXT_TERM, "netrepro report: cannot write %s: %s\n", cli->out, strerror(errno));
		return 1;
	}
	errno = 0;
	report_write(w, f, recs, n, &cli->o);
	/* a full disk: exit 1 and say so, never a cut file and success */
	return report_close(f, cli->out ? cli->out : "standard output", "netrepro report") < 0 ? 1 : 0;
}

int cmd_report(int argc, char **argv)
{
	struct report_cli cli = { 0 };
	if (parse_report_args(argc, argv, &cli) < 0)
		return 2;
	const struct report_writer *w = cli.format ? report_writer_find(cli.format) : NULL;
	if (!w) {
		fprintf(stderr, "netrepro report: %s%s%s (formats: %s)\n",
			cli.format ? "unknown format '" : "--format is required", cli.format ? cli.format : "",
			cli.format ? "'" : "", REPORT_FORMATS);
		return 2;
	}
	int n = argc - optind;
	if (n < 1) {
		fprintf(stderr, "usage: netrepro report --format %s [-o FILE] RUN.json...\n", REPORT_FORMATS);
		return 2;
	}
	json_t **recs = calloc((size_t)n, sizeof *recs);
	if (!recs || load_all(argv + optind, n, recs) < 0) {
		free(recs);
		return 2;
	}
	char selection[1024];
	int rc = select_cases(recs, n, &cli, selection, sizeof selection) < 0 ? 2 : 0;
	if (!rc)
		rc = write_report(w, recs, n, &cli);
	for (int i = 0; i < n; i++)
		json_decref(recs[i]);
	free(recs);
	return rc;
}

int cmd_diff(int argc, char **argv)
{
	int all = argc > 1 && !strcmp(argv[1], "--all");
	argc -= all;
	argv += all;
	if (argc != 3) {
		fprintf(stderr, "usage: netrepro diff [--all] A.json B.json\n");
		return 2;
	}
	json_t *recs[2];
	if (load_all(argv + 1, 2, recs) < 0)
		return 2;
	errno = 0;
	int differ = report_diff(stdout, recs[0], recs[1], argv[1], argv[2], all);
	json_decref(recs[0]);
	json_decref(recs[1]);
	if (report_close(stdout, "standard output", "netrepro diff") < 0)
		return 1;
	return differ ? 1 : 0;
}
