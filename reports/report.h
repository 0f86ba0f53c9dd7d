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

/* What `report` was asked beyond the format; all members may be 0/NULL
 * (report_opts_default()). */
struct report_opts {
	/* md: 0, one document (saying at its top when it passes GitHub's
	 * limit); else report_markdown_parts() cuts it into parts */
	long max_chars;
	/* how the cases were chosen ("3 of 8 cases: ids matching 'x'"), shown
	 * at the top of md and html; NULL: every case */
	const char *selection;
	/* kcidb: origin (^[a-z0-9_]+$, default "netrepro"), and the checked-out
	 * tree when known (NULL: not said) */
	const char *kcidb_origin, *kcidb_tree, *kcidb_repo, *kcidb_commit;
};
const struct report_opts *report_opts_default(void);

/* One writer per format; all take one or more records (several: one per
 * kernel or platform, compared side by side). write uses the default
 * options; write_opts, when not NULL, takes them. */
struct report_writer {
	const char *name;
	const char *what;
	void (*write)(FILE *f, json_t *const *recs, int n);
	void (*write_opts)(FILE *f, json_t *const *recs, int n, const struct report_opts *o);
};
const struct report_writer *report_writer_find(const char *name);
/* w's report with options o (NULL: the defaults). */
void report_write(const struct report_writer *w, FILE *f, json_t *const *recs, int n,
		  const struct report_opts *o);
/* The end of an output file (stdout: flushed, not closed): every write to
 * f and its close succeeded, else "WHO: cannot write NAME: why" on stderr
 * and -1 (errno set). Set errno to 0 before writing f: a write that failed
 * is then told by its own errno. */
int report_close(FILE *f, const char *name, const char *who);
/* "md html junit ktap kcidb" */
#define REPORT_FORMATS "md, html, junit, ktap, kcidb"

/* GitHub refuses an issue or comment body longer than this (characters). */
#define GITHUB_BODY_MAX 65536
/* Markdown in parts of fewer than o->max_chars characters each, cut between
 * cases, each saying "part i of n"; *parts (malloc'd strings, *nparts of
 * them) for the caller to write and free. A part holding a single case
 * longer than that is longer: *oversize counts them. 0, or -1 out of memory. */
int report_markdown_parts(json_t *const *recs, int n, const struct report_opts *o, char ***parts,
			  int *nparts, int *oversize);
/* Characters of UTF-8 text as GitHub counts them against its limit (UTF-16
 * units: an emoji outside the BMP is two). */
size_t text_chars(const char *s, size_t len);

/* A report as pieces that parts can be cut between (writers.c). head: text
 * a part must hold before the piece (a table's heading and header rows),
 * written before the first of a run of pieces with the same head; alt: the
 * piece as written once a piece of the same file is in the part (NULL:
 * none); file: that key (NULL: none). */
struct report_piece {
	char *text, *alt;
	const char *head, *file;
	size_t chars, alt_chars;
};
struct report_doc {
	struct report_piece *p;
	int n;
	int oom;        /* a piece could not be made: the document is short of it */
};
typedef void report_put_fn(FILE *f, const void *arg);
/* What fn writes from arg, as a new string of *chars characters (NULL when
 * out of memory). */
char *report_render(report_put_fn *fn, const void *arg, size_t *chars);
/* Appends the piece fn writes (alt_fn, when not NULL: its alt). Strings
 * head and file are borrowed and must outlive d. */
void report_doc_add(struct report_doc *d, const char *head, const char *file, report_put_fn *fn,
		    report_put_fn *alt_fn, const void *arg);
void report_doc_free(struct report_doc *d);
/* Where each piece goes: its part (from 0), whether as its alt, whether
 * after its head. Each part holds fewer than max characters with its top
 * (top characters) counted (max 0: one part); a piece that does not fit
 * even alone gets a part of its own, counted in *oversize. Returns the
 * number of parts. */
struct report_place { int part, alt, head; };
int report_doc_layout(const struct report_doc *d, long max, size_t top, struct report_place *pl,
		      int *oversize);
/* Piece i as pl places it, its head first when it goes after it. */
void report_doc_put(FILE *f, const struct report_doc *d, int i, const struct report_place *pl);

/* Every case and step whose result differs between a and b (read from
 * paths pa and pb), as text, and each known kernel bug that one has and
 * the other has fixed. Returns the number of differing cases. Recorded-only
 * steps (a port the kernel handed out) never count; all: they are listed. */
int report_diff(FILE *f, const json_t *a, const json_t *b, const char *pa, const char *pb, int all);

/* Text safety (text.c). Every string of a record or a case file is
 * hostile: it reaches each output through put_text() for that output. */
enum text_kind {
	TEXT_TERM,      /* a terminal, plain text (diff, trace, messages) */
	TEXT_KTAP,      /* a KTAP description: TEXT_TERM, and no '#' */
	TEXT_HTML,      /* HTML text or a "..." attribute */
	TEXT_XML_ATTR,  /* an XML "..." attribute */
	TEXT_XML_BODY,  /* XML character data */
	TEXT_MD,        /* Markdown text (a table cell too) */
	TEXT_MD_CODE,   /* inside a Markdown code span (in a table cell too) */
	TEXT_MD_BLOCK,  /* inside a fenced Markdown code block */
	TEXT__COUNT
};
/* s as kind wants it: its special characters escaped; control characters,
 * bytes that are not UTF-8, line separators and bidirectional overrides
 * made visible (\n, \x1b, \u202e) wherever a kind does not keep them
 * (HTML, XML bodies and code blocks keep \n and \t). NULL writes nothing. */
void put_text(FILE *f, const char *s, enum text_kind kind);
/* printf for text from elsewhere: fmt is this program's own, and each of
 * its %s arguments goes through put_text(kind); numbers as printf has
 * them (%d, %ld, %lld, %zu, %f, %g; flags, width and precision but not
 * '*'). */
void put_textf(FILE *f, enum text_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same as a new string (NULL when out of memory). */
char *text_dup(const char *s, enum text_kind kind);
/* The length of s[0..n) without a UTF-8 character that n cuts short: where
 * a string cut at n bytes must end. */
size_t utf8_whole(const char *s, size_t n);
/* s as one word a shell (bash, zsh, ksh) reads back as exactly s: plain
 * (unless quoted), in '...', or, holding control characters, in $'...'
 * with them escaped. Every command line a report writes quotes its words
 * with this. */
void put_shell_word(FILE *f, const char *s, int quoted);
/* Markdown around text from elsewhere: s as a code span whose fence is
 * longer than any run of '`' in it ('|' escaped, as a table wants; ""
 * writes nothing); text as a fenced block (info after the fence); url as
 * a link when it is an http(s) URL (or, rel, a file's path), else as a
 * code span. */
void md_code(FILE *f, const char *s);
void md_fenced(FILE *f, const char *info, const char *text);
void md_link(FILE *f, const char *url, int rel);
/* An http(s) URL that can be a link: nothing in it ends an HTML attribute
 * or a Markdown link target. */
int text_is_web_url(const char *s);
/* A file's path that can be a link (a capture's pcap): plain characters,
 * no scheme, no host, no "..". */
int text_is_file_path(const char *s);

/* Helpers shared by the writers (report_util.c). */
const char *jstr(const json_t *o, const char *key);    /* "" when absent */
const char *run_label(const json_t *rec);              /* kernel release */
const char *env_sysctl(const json_t *rec, const char *key);   /* NULL when absent */
/* The case ids of all records, first-seen order; a JSON array of strings. */
json_t *case_ids(json_t *const *recs, int n);
json_t *case_find(const json_t *rec, const char *id);
/* Each record's case of that id (NULL where a record lacks it), found once
 * for a loop over the case's steps; the caller frees the array. */
const json_t **case_find_each(json_t *const *recs, int n, const char *id);
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

/* The steps of case id over all records, each question once, in the case
 * file's order (a `repeat until` line before the calls of its loop, which
 * it is recorded after): the first record's steps, then those only other
 * records asked, each after the step above it. A new array. */
json_t *case_steps(json_t *const *recs, int n, const char *id);
/* The case ids failures first (FAIL, ERROR or TIMEOUT on some record),
 * then known kernel bugs, then the rest, each group in first-seen order. */
json_t *case_ids_failures_first(json_t *const *recs, int n);
/* Whether c (NULL: not run) failed, errored or timed out. */
int case_failed(const json_t *c);
/* A run's netrepro version, from the record's "tool". */
const char *run_tool_version(const json_t *rec);
/* "netrepro run -k 'ID' FILE": the command that runs case c again, each
 * word quoted for the shell. */
void put_reproduce(FILE *f, const json_t *c);

/* For case c (its "source", "file" and "variant"), read now:
 *   "fixtures": every file `use`d (nested ones too, whatever the variant),
 *     once each, in order: {"name", "path", "text"} when found and read,
 *     else {"name", "missing": why, where it was looked for};
 *   "sysctls": the `sysctl` lines that set the network up before step 1
 *     for c's variant (guards decided, $names given their values), the
 *     fixtures' included: {"host", "name", "value", "file", "line"}.
 * A new object; a source that says nothing gives empty arrays. */
json_t *case_text(const json_t *c);

#endif
