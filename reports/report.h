/* reports: the run record (JSON, schema "netrepro.run/1") and the writers
 * that turn records into what people and CI read. */
#ifndef NETREPRO_REPORT_H
#define NETREPRO_REPORT_H

#include <stdio.h>

#include "record.h"

/* KTAP v1, as `run` prints it: the header, then one result per case with
 * the step trace of a case that did not pass as '#' lines. */
void ktap_header(FILE *f, int ncases);
void ktap_case(FILE *f, int number, const json_t *case_rec);

/* One writer per format; all take one or more records (several: one per
 * kernel or platform, compared side by side). */
struct report_writer {
	const char *name;
	const char *what;
	void (*write)(FILE *f, json_t *const *recs, int n);
};
const struct report_writer *report_writer_find(const char *name);
/* "md html junit ktap kcidb" */
#define REPORT_FORMATS "md, html, junit, ktap, kcidb"

/* Every case and step whose result differs between a and b (read from
 * paths pa and pb), as text, and each known kernel bug that one has and
 * the other has fixed. Returns the number of differing cases. Recorded-only
 * steps (a port the kernel handed out) never count; all: they are listed. */
int report_diff(FILE *f, const json_t *a, const json_t *b, const char *pa, const char *pb, int all);

/* Helpers shared by the writers (report_util.c). */
const char *jstr(const json_t *o, const char *key);    /* "" when absent */
const char *run_label(const json_t *rec);              /* kernel release */
const char *env_sysctl(const json_t *rec, const char *key);   /* NULL when absent */
/* The case ids of all records, first-seen order; a JSON array of strings. */
json_t *case_ids(json_t *const *recs, int n);
json_t *case_find(const json_t *rec, const char *id);
void put_escaped(FILE *f, const char *s, const char *special);  /* HTML/XML */
/* The step trace, one step a line, each line starting with prefix. */
void case_trace(FILE *f, const json_t *c, const char *prefix);
void case_first_failure(FILE *f, const json_t *c);
/* The step of c that asks what step (of the same case, another run) asks. */
const json_t *case_step(const json_t *c, const json_t *step);
/* Whether step has an expectation: recorded-only steps (an ephemeral port,
 * a state caught in passing) differ from run to run on any kernel. */
int step_checked(const json_t *step);
/* "N passed, N failed, N errors, N skipped, N timed out" */
void put_summary(FILE *f, const json_t *rec);
/* Steps s and t both passed an expectation that left the value to the
 * kernel: the same answer, whatever each kernel picked. */
int both_picked(const json_t *s, const json_t *t);
/* Same status and the same observed result at every checked step (see
 * both_picked). */
int case_same_answers(const json_t *a, const json_t *b);
/* The first step of case id whose observed result is not the same in all
 * records (NULL if none), and what a record observed there ("-": nothing). */
const json_t *case_differing_step(json_t *const *recs, int n, const char *id);
const char *step_observed_in(const json_t *rec, const char *id, const json_t *step);

/* Known kernel bugs x runs: for each bug's fix (sorted), per record "has"
 * (a case showed it), "fixed" (its cases gave the correct answer) or null
 * (no case could show it there: not applicable). An empty object when no
 * case marks a bug. */
json_t *bug_table(json_t *const *recs, int n);
/* Its word for a state, as the tables show it. */
const char *bug_word(const json_t *state);

#endif
