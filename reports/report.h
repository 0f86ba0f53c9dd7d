/* reports: the run record (JSON, schema "netrepro.run/1") and the writers
 * that turn records into what people and CI read. */
#ifndef NETREPRO_REPORT_H
#define NETREPRO_REPORT_H

#include <jansson.h>
#include <stdio.h>

#define RECORD_SCHEMA "netrepro.run/1"

/* A new record; environment is stolen. */
json_t *record_new(json_t *environment, const char *version);
void record_add_case(json_t *rec, json_t *case_rec);
/* Sets duration_s and the summary counts. */
void record_finish(json_t *rec, double duration_s);
int record_write(const json_t *rec, const char *path, char *err, size_t len);

/* KTAP v1, as `run` prints it: the header, then one result per case with
 * the step trace of a case that did not pass as '#' lines. */
void ktap_header(FILE *f, int ncases);
void ktap_case(FILE *f, int number, const json_t *case_rec);

/* Exit status for a finished record: 0 all PASS or SKIP, else 1. */
int record_exit_status(const json_t *rec);

#endif
