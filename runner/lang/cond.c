/* Conditions (`when`, `require kernel`) and kernel version arithmetic. */
#include "case.h"

#include <stdlib.h>
#include <string.h>

int kver_parse(const char *s, struct kver *out)
{
	/* "6", "6.1" or "6.1.54": one to three dot-separated decimal numbers,
	 * nothing else ("6.x", "6.", "6.1-rc1", "6.1.2.3" are not versions). */
	*out = (struct kver){ { 0, 0, 0 } };
	for (int i = 0; i < 3; i++) {
		long v = 0;
		int digits = 0;
		for (; *s >= '0' && *s <= '9'; s++, digits++) {
			v = v * 10 + (*s - '0');
			if (v > 100000)
				return -1;
		}
		if (!digits)
			return -1;
		out->v[i] = (int)v;
		if (!*s)
			return 0;
		if (*s != '.' || i == 2)
			return -1;
		s++;
	}
	return -1;
}

int kver_cmp(const struct kver *a, const struct kver *b)
{
	for (int i = 0; i < 3; i++)
		if (a->v[i] != b->v[i])
			return a->v[i] < b->v[i] ? -1 : 1;
	return 0;
}

int cond_op_holds(enum cond_op op, int cmp)
{
	switch (op) {
	case OP_EQ: return cmp == 0;
	case OP_NE: return cmp != 0;
	case OP_LT: return cmp < 0;
	case OP_LE: return cmp <= 0;
	case OP_GT: return cmp > 0;
	case OP_GE: return cmp >= 0;
	}
	return 0;
}

/* Variant values compare as numbers when both sides are numbers. */
int cond_value_cmp(const char *a, const char *b)
{
	char *ea, *eb;
	long x = strtol(a, &ea, 10), y = strtol(b, &eb, 10);
	if (*a && *b && !*ea && !*eb)
		return x < y ? -1 : x > y;
	return strcmp(a, b);
}

int cond_eval(const struct cond *c, const struct cond_ctx *ctx)
{
	if (!c)
		return 1;
	switch (c->kind) {
	case COND_AND: return cond_eval(c->l, ctx) && cond_eval(c->r, ctx);
	case COND_OR: return cond_eval(c->l, ctx) || cond_eval(c->r, ctx);
	case COND_CMP: break;
	}
	int cmp = 0;
	switch (c->subj) {
	case SUBJ_KERNEL:
		if (ctx->any_kernel)
			return 1;
		cmp = kver_cmp(&ctx->kernel, &c->kv);
		break;
	case SUBJ_PLATFORM: cmp = strcmp(ctx->platform, c->value); break;
	case SUBJ_PRIVILEGE: cmp = strcmp(ctx->privilege, c->value); break;
	case SUBJ_VARIANT: cmp = cond_value_cmp(ctx->variant_values[c->variant], c->value); break;
	}
	return cond_op_holds(c->op, cmp);
}
