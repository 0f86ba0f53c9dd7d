/* lex: one line of a case file into tokens. Words are maximal runs of
 * anything but blanks, quotes and the punctuation ( ) , | = ! < >, so that
 * addresses ("[::1]:80", "10.0.1.1/24", "a:eth0") stay one word and are
 * interpreted by whoever expects them. */
#ifndef NETREPRO_LEX_H
#define NETREPRO_LEX_H

#include <stddef.h>

enum tok_kind { TOK_WORD, TOK_STR, TOK_PUNCT, TOK_END };

/* Punctuation is kept as text: "(", ")", ",", "|", "=", "==", "!=", "<",
 * "<=", ">", ">=". */
struct token {
	enum tok_kind kind;
	char *text;     /* owned; TOK_STR: the unescaped content */
	size_t len;     /* TOK_STR: bytes in text (may hold NUL) */
	int col;        /* 1-based */
};

struct line_toks {
	struct token *t;
	int n;          /* tokens before the TOK_END that closes the array */
	int indent;     /* column of the first token */
	int cap;        /* slots allocated: it grows geometrically */
	int grows;      /* reallocations made: a test bounds the work with it */
};

/* Substitution of $name by a variant value, done while lexing so that the
 * column still points at the $name the user wrote. */
struct subst {
	char **names, **values;
	int n;
};

/* 0, or -1 with "COL: message" in err (the caller adds FILE:LINE). */
int lex_line(const char *line, const struct subst *sub, struct line_toks *out,
	     int *errcol, char *err, size_t errlen);
void lex_free(struct line_toks *lt);

int tok_is(const struct token *t, const char *text);
/* A token as an error message names it: its text, "\"...\"" for a string,
 * "end of line" past the last one. */
const char *tok_shown(const struct token *t);

#endif
