/* Private to the parser: the state shared by parse.c (files, topology,
 * blocks) and parse_step.c (steps, arguments, expectations, conditions). */
#ifndef NETREPRO_PARSE_INT_H
#define NETREPRO_PARSE_INT_H

#include "case.h"
#include "lex.h"

#define MAX_DEPTH 8
#define MAX_CONTINUED 32        /* physical lines in one line continued with '\' */

struct frame {
	struct step hdr;        /* the loop or `if` being filled */
	struct step *items;
	int n;
	int in_else;            /* an `if` past its `else`: items are hdr.els */
};

/* One argument of a call: the words between two commas (`ttl 5`). */
struct group {
	const struct token *t;
	int n;
};

struct parser {
	const char *file;       /* the file being read now (case or fixture) */
	int line;
	const char *raw;        /* the text of that line, as written */
	struct scenario *sc;
	struct subst sub;
	char *err;              /* CASE_ERRLEN */
	struct frame frames[MAX_DEPTH + 1];
	int depth;              /* frames[0] is the top level */
	int host;               /* of the current `on` section, -1 before one */
	struct topology *topo;  /* a topology line read as a step goes here; NULL: the case's */
	int skipping;           /* in an `on ... when` section this variant leaves out */
	int use_depth;
	char **files;           /* every file name read, owned, freed with sc */
	/* The line being parsed, when it was continued with '\': column c of
	 * the joined text is on physical line seg_line[k], at column
	 * c - seg_off[k], for the last k whose seg_off[k] < c. nsegs is 0
	 * otherwise. */
	int seg_line[MAX_CONTINUED], seg_off[MAX_CONTINUED], nsegs;
};

/* Report "FILE:LINE:COL: message" and return -1; col is a column of the
 * line being parsed (of the joined text, for a continued line). */
int perr(struct parser *p, int col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same at a position kept from earlier (already a physical one). */
int perr_at(struct parser *p, const struct srcpos *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Where column col of the line being parsed is in the file. */
struct srcpos pos_at(const struct parser *p, int col);
/* The next line of text at *s, with the lines that a trailing '\' (not
 * in a string or a comment) continues joined to it, each '\' a blank.
 * *last counts the physical lines read; p->line becomes the first of
 * them and p's column map is set. NULL at the end of the text, or with
 * p->err set (a '\' on the last line, too many lines joined). */
char *next_line(struct parser *p, const char **s, int *last, int *rc);

int parse_text(struct parser *p, const char *text, int fixture);
/* topo_check.c: every interface an addr, set or route names exists (lo,
 * br0 of a bridge, or a link's end), and every link end is new. */
int check_interfaces(struct parser *p);
/* The ends of a set of topologies' links (not `link del`), sorted by host,
 * name and file order. compares counts the comparisons made, sorting and
 * looking up: a test bounds the work with it. */
struct link_end { int host; const char *name; int order; const struct topo_link *link; };
struct link_ends { struct link_end *v; int n; long compares; };
int link_ends_index(struct link_ends *ix, const struct topology *const *tops, int ntops);   /* 0, -1: no memory */
int link_ends_has(struct link_ends *ix, int host, const char *name);
/* The first end, in file order, whose host and name an earlier end has. */
const struct link_end *link_ends_first_twin(struct link_ends *ix);
void link_ends_free(struct link_ends *ix);
/* source.c: a case or fixture file's text, read only when it is a regular
 * file of at most SOURCE_MAX bytes: 0 with *out (NUL-terminated, *len
 * bytes, to free), or -1 with the rule broken (or strerror) in why. */
#define SOURCE_MAX (1 << 20)
int source_read(const char *path, char **out, size_t *len, char *why, size_t whylen);
/* Text read from p->file holds no NUL byte: the lines are C strings, and
 * one would end the file early. 0, or -1 with the byte's position in
 * p->err. */
int source_check_text(struct parser *p, const char *text, size_t len);
int parse_step_line(struct parser *p, struct line_toks *lt);
/* A finished step into the block being read (it takes what st owns). */
int push_step(struct parser *p, struct step *st);
int parse_cond(struct parser *p, const struct token *t, int *i, int end, struct cond **out);
/* What a condition subject names: the platform's kernel, platform or
 * privilege, else (SUBJ_VARIANT) a `vary` name. */
enum cond_subject cond_subject(const char *name);
/* parse_expect.c: "= A [or B] [when COND] | ..." from t[i], for step st
 * (its call, and option, say what an answer may be). */
int parse_alts(struct parser *p, const struct token *t, int i, int n, struct step *st);
/* parse_args.c */
int parse_args(struct parser *p, const struct group *g, int ng, struct step *st, int namecol);
int parse_addr(struct parser *p, const struct token *t, int with_port, struct arg *a);
/* "text" or "text" * N from t (n tokens there) into a new buffer. */
#define DATA_REPEAT_MAX (16 << 20)
int parse_data(struct parser *p, const struct token *t, int n, char **out, size_t *len);
struct arg *arg_next(struct parser *p, struct step *st, const struct token *t);
int parse_shape_values(struct parser *p, const struct group *g, int ng, int *k, struct step *st,
		       const struct sockopt_def *d, const struct token *name);
int parse_long(const char *s, long lo, long hi, long *out);
int var_find(const struct scenario *sc, const char *name);
int var_define(struct parser *p, const char *name, enum var_kind kind, int col);
int host_find(const struct scenario *sc, const char *name);
char *tokens_text(const struct token *t, int from, int to);

#endif
