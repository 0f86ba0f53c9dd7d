/* Expectations: which alternative applies, and whether an outcome meets it. */
#include "exec.h"

#include <stdio.h>
#include <string.h>

const struct expect *expect_pick(const struct step *st, const struct cond_ctx *ctx)
{
	for (int i = 0; i < st->nalts; i++)
		if (cond_eval(st->alts[i].guard, ctx))
			return &st->alts[i].e;
	return NULL;
}

static int match_one(const struct expect *e, const struct outcome *o, const long *vars)
{
	int ok = !o->timed_out && !o->failed;
	switch (e->kind) {
	case EXP_NONE: return 1;
	case EXP_OK: return ok;
	case EXP_INT: return ok && o->ret == e->i;
	case EXP_VAR: return ok && o->ret == vars[e->var];
	case EXP_ERRNO: return !o->timed_out && o->failed && o->err == e->i;
	case EXP_STR: return ok && o->len == e->len && !memcmp(o->data, e->str, e->len);
	case EXP_STATE: return ok && o->ret == e->i;
	case EXP_TIMEOUT: return o->timed_out;
	}
	return 0;
}

int expect_match(const struct expect *e, const struct outcome *o, const long *vars)
{
	for (; e; e = e->or)
		if (match_one(e, o, vars))
			return 1;
	return 0;
}

size_t escape_bytes(const char *data, size_t n, char *buf, size_t len)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 8 < len; i++) {
		unsigned char c = (unsigned char)data[i];
		if (c >= 32 && c < 127 && c != '"' && c != '\\')
			buf[o++] = (char)c;
		else if (c == '\n')
			o += (size_t)snprintf(buf + o, len - o, "\\n");
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
		if (i + 1 < n && o + 8 >= len) {
			o += (size_t)snprintf(buf + o, len - o, "...");
			break;
		}
	}
	buf[o] = '\0';
	return o;
}

/* "hello\x00" as a case would write it, cut to fit with "..." */
static void quote_bytes(const char *data, size_t n, char *buf, size_t len)
{
	buf[0] = '"';
	size_t o = 1 + escape_bytes(data, n, buf + 1, len - 2);
	snprintf(buf + o, len - o, "\"");
}

void outcome_text(const struct outcome *o, enum call_value v, char *buf, size_t len)
{
	if (o->timed_out)
		snprintf(buf, len, "TIMEOUT");
	else if (o->failed)
		snprintf(buf, len, "%s", errno_name(o->err));
	else if (v == VAL_STATE && table_name(tbl_tcp_state, o->ret))
		snprintf(buf, len, "%s", table_name(tbl_tcp_state, o->ret));
	else if (v == VAL_DATA)
		quote_bytes(o->data, o->len, buf, len);
	else
		snprintf(buf, len, "%ld", o->ret);
}
