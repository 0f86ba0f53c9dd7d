/* suite: the case files named on the command line, found, parsed and
 * expanded into scenarios, in a stable order. */
#ifndef NETREPRO_SUITE_H
#define NETREPRO_SUITE_H

#include "case.h"

struct suite {
	struct case_file *files;
	int nfiles;
	struct scenario **sc;   /* the selected scenarios, by id */
	int n;
};

/* Parses every *.case file under paths, printing every error (not just the
 * first) as FILE:LINE:COL on stderr. match (a glob or substring, NULL for
 * all) selects ids. Returns 0, or 2 for any error or an empty selection. */
int suite_load(char **paths, int npaths, const char *match, struct suite *s);
void suite_free(struct suite *s);

#endif
