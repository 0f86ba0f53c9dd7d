/* `netrepro report` and `netrepro diff`: run records in, reports out. */
#include "commands.h"
#include "report.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int load_all(char **paths, int n, json_t **recs)
{
	for (int i = 0; i < n; i++) {
		char err[512];
		if (!(recs[i] = record_load(paths[i], err, sizeof err))) {
			fprintf(stderr, "netrepro: %s\n", err);
			while (i--)
				json_decref(recs[i]);
			return -1;
		}
	}
	return 0;
}

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, 0, 'f' }, { "output", required_argument, 0, 'o' },
		{ 0, 0, 0, 0 },
	};
	const char *format = NULL, *out = NULL;
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "f:o:", longopts, NULL)) != -1) {
		if (opt == 'f')
			format = optarg;
		else if (opt == 'o')
			out = optarg;
		else
			return 2;
	}
	const struct report_writer *w = format ? report_writer_find(format) : NULL;
	if (!w) {
		fprintf(stderr, "netrepro report: %s%s%s (formats: %s)\n", format ? "unknown format '" : "--format is required",
			format ? format : "", format ? "'" : "", REPORT_FORMATS);
		return 2;
	}
	int n = argc - optind;
	if (n < 1) {
		fprintf(stderr, "usage: netrepro report --format %s [-o FILE] RUN.json...\n", REPORT_FORMATS);
		return 2;
	}
	json_t **recs = calloc((size_t)n, sizeof *recs);
	if (load_all(argv + optind, n, recs) < 0) {
		free(recs);
		return 2;
	}
	FILE *f = out ? fopen(out, "w") : stdout;
	int rc = 0;
	if (!f) {
		perror(out);
		rc = 2;
	} else {
		w->write(f, recs, n);
		if ((out ? fclose(f) : fflush(f)) != 0) {
			perror(out ? out : "stdout");
			rc = 2;
		}
	}
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
	int differ = report_diff(stdout, recs[0], recs[1], argv[1], argv[2], all);
	json_decref(recs[0]);
	json_decref(recs[1]);
	return differ ? 1 : 0;
}
