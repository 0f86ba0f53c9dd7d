#include "lex.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_punct(char c)
{
	return strchr("(),|=!<>", c) != NULL;
}

/* Growing by one slot a token made a long line quadratic (a 300 KB line
 * took minutes under ASan): the array doubles. */
static int push(struct line_toks *lt, enum tok_kind kind, char *text, size_t len, int col)
{
	if (lt->n + 2 > lt->cap) {
		int cap = lt->cap ? 2 * lt->cap : 16;
		struct token *t = cap > lt->cap ? realloc(lt->t, (size_t)cap * sizeof *t) : NULL;
		if (!t) {
			free(text);
			return -1;
		}
		lt->t = t;
		lt->cap = cap;
		lt->grows++;
	}
	lt->t[lt->n++] = (struct token){ kind, text, len, col };
	lt->t[lt->n] = (struct token){ TOK_END, NULL, 0, col };
	return 0;
}

/* Replace every $name that is a variant by its value; other $names stay for
 * the parser (runtime variables). */
static char *substitute(const char *w, size_t n, const struct subst *sub, size_t *outlen)
{
	size_t cap = n + 1, len = 0;
	char *out = malloc(cap);
	for (size_t i = 0; out && i < n;) {
		const char *val = NULL;
		size_t skip = 1;
		if (w[i] == '$' && sub) {
			size_t j = i + 1;
			while (j < n && (isalnum((unsigned char)w[j]) || w[j] == '_'))
				j++;
			for (int k = 0; k < sub->n; k++)
				if (strlen(sub->names[k]) == j - i - 1 &&
				    !strncmp(sub->names[k], w + i + 1, j - i - 1)) {
					val = sub->values[k];
					skip = j - i;
				}
		}
		const char *piece = val ? val : w + i;
		size_t plen = val ? strlen(val) : 1;
		if (len + plen + 1 > cap) {
			cap = (len + plen + 1) * 2;
			char *bigger = realloc(out, cap);
			if (!bigger) {
				free(out);
				return NULL;
			}
			out = bigger;
		}
		memcpy(out + len, piece, plen);
		len += plen;
		i += skip;
	}
	if (out)
		out[len] = '\0';
	if (outlen)
		*outlen = len;
	return out;
}

static int lex_string(const char *line, size_t *i, const struct subst *sub,
		      struct line_toks *out, int *errcol, char *err, size_t errlen)
{
	size_t start = *i, j = *i + 1, len = 0, end = j;
	while (line[end] && line[end] != '"')   /* the content's bytes bound the unescaped ones */
		end += line[end] == '\\' && line[end + 1] ? 2 : 1;
	char *buf = malloc(end - j + 1);
	if (!buf)
		return -1;
	for (; line[j] && line[j] != '"'; j++) {
		char c = line[j];
		if (c == '\\' && line[j + 1] == 'x') {
			/* \xHH: two hex digits, as the record writes bytes */
			if (!isxdigit((unsigned char)line[j + 2]) || !isxdigit((unsigned char)line[j + 3])) {
				*errcol = (int)j + 1;
				snprintf(err, errlen, "'\\x' wants two hex digits");
				free(buf);
				return -1;
			}
			char hex[3] = { line[j + 2], line[j + 3], 0 };
			buf[len++] = (char)strtol(hex, NULL, 16);
			j += 3;
			continue;
		}
		if (c == '\\' && !line[j + 1])
			break;      /* "...\ at the end of the line: unterminated */
		if (c == '\\') {
			static const char from[] = "nt0\\\"", to[] = "\n\t\0\\\"";
			const char *p = line[j + 1] ? strchr(from, line[j + 1]) : NULL;
			if (!p) {
				*errcol = (int)j + 1;
				snprintf(err, errlen, "unknown escape '\\%c' in string", line[j + 1]);
				free(buf);
				return -1;
			}
			c = to[p - from];
			j++;
		}
		buf[len++] = c;
	}
	if (line[j] != '"') {
		*errcol = (int)start + 1;
		snprintf(err, errlen, "unterminated string");
		free(buf);
		return -1;
	}
	buf[len] = '\0';
	*i = j + 1;
	if (sub && memchr(buf, '$', len)) {
		char *with = substitute(buf, len, sub, &len);   /* may hold NUL bytes */
		free(buf);
		if (!with)
			return -1;
		buf = with;
	}
	return push(out, TOK_STR, buf, len, (int)start + 1);
}

static int lex_punct(const char *line, size_t *i, struct line_toks *out)
{
	size_t n = (line[*i + 1] == '=' && strchr("=!<>", line[*i])) ? 2 : 1;
	char *text = strndup(line + *i, n);
	int col = (int)*i + 1;
	*i += n;
	return text ? push(out, TOK_PUNCT, text, n, col) : -1;
}

/* The length of the UTF-8 sequence at s, or 0 if it is not one. */
static int utf8_len(const unsigned char *s)
{
	int n = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3
		: (s[0] & 0xf8) == 0xf0 ? 4 : 0;
	if (n == 2 && s[0] < 0xc2)
		return 0;   /* overlong */
	for (int i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* Text only: UTF-8, no control characters but tab (and the CR of CRLF).
 * Records, reports and KTAP carry case text, and must not meet a byte
 * that breaks their format. */
static int check_text(const char *line, int *errcol, char *err, size_t errlen)
{
	for (size_t i = 0; line[i];) {
		const unsigned char *u = (const unsigned char *)line + i;
		int n = utf8_len(u);
		if (n == 1 && u[0] < 0x20 && u[0] != '\t' && !(u[0] == '\r' && !u[1])) {
			*errcol = (int)i + 1;
			snprintf(err, errlen, "control character 0x%02x in the file", u[0]);
			return -1;
		}
		if (!n) {
			*errcol = (int)i + 1;
			snprintf(err, errlen, "bytes that are not UTF-8 (0x%02x)", u[0]);
			return -1;
		}
		i += (size_t)n;
	}
	return 0;
}

int lex_line(const char *line, const struct subst *sub, struct line_toks *out,
	     int *errcol, char *err, size_t errlen)
{
	*out = (struct line_toks){ 0 };
	*err = '\0';
	if (check_text(line, errcol, err, errlen) < 0)
		return -1;
	if (push(out, TOK_END, NULL, 0, 1) < 0)
		return -1;
	out->n = 0;
	size_t i = 0;
	while (line[i]) {
		char c = line[i];
		if (c == '#')
			break;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			i++;
			continue;
		}
		if (!out->n)
			out->indent = (int)i + 1;
		int rc;
		if (c == '"') {
			rc = lex_string(line, &i, sub, out, errcol, err, errlen);
		} else if (is_punct(c)) {
			if (c == '!' && line[i + 1] != '=') {
				*errcol = (int)i + 1;
				snprintf(err, errlen, "unexpected '!'");
				lex_free(out);
				return -1;
			}
			rc = lex_punct(line, &i, out);
		} else {
			size_t j = i;
			while (line[j] && !strchr(" \t\r\n\"#", line[j]) && !is_punct(line[j]))
				j++;
			char *w = substitute(line + i, j - i, sub, NULL);
			rc = w ? push(out, TOK_WORD, w, strlen(w), (int)i + 1) : -1;
			i = j;
		}
		if (rc < 0) {
			if (!*err)
				snprintf(err, errlen, "out of memory");
			lex_free(out);
			return -1;
		}
	}
	return 0;
}

void lex_free(struct line_toks *lt)
{
	for (int i = 0; i < lt->n; i++)
		free(lt->t[i].text);
	free(lt->t);
	lt->t = NULL;
	lt->n = lt->cap = 0;
}

int tok_is(const struct token *t, const char *text)
{
	return t->kind != TOK_STR && t->text && !strcmp(t->text, text);
}

const char *tok_shown(const struct token *t)
{
	return t->kind == TOK_STR ? "\"...\"" : t->text ? t->text : "end of line";
}
