/* The record module: every piece of a run record (schema "netrepro.run/1",
 * reports/run.schema.json) is built here and nowhere else, so the runner,
 * the matrix and the writers cannot drift apart on a key or a status. */
#ifndef NETREPRO_RECORD_H
#define NETREPRO_RECORD_H

#include <jansson.h>
#include <stddef.h>

#define RECORD_SCHEMA "netrepro.run/1"

/* A case's status; status_name() is how the record spells it. KNOWN-BUG:
 * no step failed, and one or more gave an answer the case marks as a
 * kernel bug (with the fix that ends it): not a pass, not a failure. */
enum status { ST_PASS, ST_FAIL, ST_ERROR, ST_SKIP, ST_TIMEOUT, ST_KNOWN_BUG, ST__COUNT };

/* "PASS" ... "TIMEOUT"; NULL for a value out of range. */
const char *status_name(enum status st);
/* 0 and *st set for a status name, -1 for anything else (NULL included). */
int status_parse(const char *name, enum status *st);
/* The status of case object c, ST__COUNT when c is NULL or has none this
 * netrepro knows: what writers show as "not run". */
enum status record_case_status(const json_t *c);

/* A step's status: recorded only, or checked against its expectation
 * (known-bug: the answer is one the case marks as a kernel bug). */
enum step_status { STEP_INFO, STEP_PASS, STEP_FAIL, STEP_KNOWN_BUG };

/* A step that could show a known kernel bug: it showed it (BUG_HAS), or gave
 * the correct answer (BUG_FIXED). */
enum bug_state { BUG_NONE, BUG_HAS, BUG_FIXED };

/* Of step object s; a status this netrepro does not know counts as a
 * checked step that did not fail. */
enum step_status record_step_status(const json_t *s);

/* One step as the executor saw it. Strings are borrowed. */
struct step_rec {
	int line;
	const char *host, *call;        /* the call as written */
	long ret;
	const char *errno_name;         /* NULL unless the call failed */
	const char *observed, *expected;/* expected NULL: record only */
	enum step_status status;
	const char *iter;               /* "p=40003,#2" or NULL/"" */
	const char *detail;             /* NULL or "" for none */
	const void *data; size_t data_len; int has_data;   /* bytes a call returned (recv, recvmsg, exec output) */
	size_t data_whole;              /* the whole's length when only data_len bytes were kept (MSG_TRUNC); 0: data_len */
	int kernel_picks;               /* the expectation leaves the value to the kernel (in 40000..40007, >= 1, $p) */
	const char *bug;                /* the known bug this step can show (its fix), or NULL */
	enum bug_state bug_state;
	int bug_in_range;               /* this kernel is in the range the case gives for the bug */
};

/* Data up to this size is kept whole; above it, the first RECORD_DATA_HEAD
 * bytes and the SHA-256 of all of it. */
#define RECORD_DATA_MAX  (64 * 1024)
#define RECORD_DATA_HEAD (4 * 1024)

/* The step object (new reference; NULL when out of memory, or when host,
 * call or observed is NULL). With has_data,
 * "data_len" is always the true length (data_whole, else data_len), and "data" the bytes escaped as
 * data_escape() does; beyond RECORD_DATA_MAX, "data" is the head only and
 * "data_sha256" and "data_truncated": true say so. */
json_t *record_step(const struct step_rec *s);

/* Bytes as printable ASCII: as is, \n, or \xHH (so '"' is \x22 and '\\' is
 * \x5c); cut with "..." to fit len (len >= 9). Returns the length written.
 * DATA_ESCAPED_LEN(n) bytes always hold all of it. */
size_t data_escape(const void *data, size_t n, char *buf, size_t len);
#define DATA_ESCAPED_LEN(n) (4 * (n) + 9)

/* What a case is, before anything ran. Strings are borrowed; bytes that are
 * not UTF-8 (a file name) become '?' in the record. */
struct case_info {
	const char *id, *file, *title, *source;
	const char *const *refs;
	int nrefs;
	const char *const *variant_names, *const *variant_values;
	int nvariants;
	int nondeterministic;   /* a setting acts at random: "nondeterministic": true */
};

/* The case object without results: status ERROR, no reason, no steps (new
 * reference). A case whose worker never reports stays an ERROR. */
json_t *record_case(const struct case_info *ci);
/* The case's end: its status, its reason when reason is not NULL, and how
 * long it took. */
void record_case_close(json_t *c, enum status st, const char *reason, double duration_s);

/* A worker streams its case to the scheduler as JSON lines, each ending in
 * '\n' (the caller frees them; NULL when out of memory):
 *   {"step": {...}}        one per recorded step; takes the step's reference
 *   {"result": {"status": "PASS", "reason": null, "suppressed": 0}}   last
 * extra (stolen, may be NULL) adds its members to the result, and so to
 * the case: "captures". */
char *record_step_line(json_t *step);
char *record_result_line(enum status st, const char *reason, long suppressed, json_t *extra);
/* One such line (without its '\n') into case object c: 1 when it was the
 * result, 0 for a step or a line that is neither. */
int record_case_take_line(json_t *c, const char *line);

/* A new run record; environment is stolen. */
json_t *record_new(json_t *environment, const char *version);
/* Appends case_rec (borrowed). */
void record_add_case(json_t *rec, json_t *case_rec);
/* Sets duration_s and the summary counts. */
void record_finish(json_t *rec, double duration_s);
/* The summary's count of cases with status st. */
long long record_count(const json_t *rec, enum status st);
int record_write(const json_t *rec, const char *path, char *err, size_t len);
/* The run was stopped by signal (its name): the record holds what had
 * finished, and says so ("interrupted": "SIGINT"). */
void record_interrupted(json_t *rec, const char *signal);
/* Exit status for a finished record: 0 all PASS, SKIP or KNOWN-BUG, else
 * 1; strict: KNOWN-BUG is 1 too. */
int record_exit_status(const json_t *rec, int strict);

/* A record read back: NULL with a message in err for a file that is not
 * JSON, truncated JSON, not a run record, or a newer schema. */
json_t *record_load(const char *path, char *err, size_t len);

#endif
