/* Conditions as written: `when` guards, `require kernel`, topology guards.
 * Evaluation is cond.c's. */
#include "parse_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct { const char *text; enum cond_op op; } cond_ops[] = {
	{ "==", OP_EQ }, { "!=", OP_NE }, { "<", OP_LT }, { "<=", OP_LE },
	{ ">", OP_GT }, { ">=", OP_GE },
};

/* The names a condition reads from the platform; any other subject is a
 * `vary` name, so these cannot be one. */
static const struct { const char *name; enum cond_subject subj; } cond_subjects[] = {
	{ "kernel", SUBJ_KERNEL }, { "platform", SUBJ_PLATFORM }, { "privilege", SUBJ_PRIVILEGE },
};

enum cond_subject cond_subject(const char *name)
{
	for (size_t k = 0; k < sizeof cond_subjects / sizeof *cond_subjects; k++)
		if (!strcmp(cond_subjects[k].name, name))
			return cond_subjects[k].subj;
	return SUBJ_VARIANT;
}

static int parse_cmp(struct parser *p, const struct token *t, int *i, int end, struct cond **out)
{
	if (*i + 2 >= end)
		return perr(p, t[*i < end ? *i : end].col, "incomplete condition (want SUBJECT OP VALUE)");
	const struct token *subj = &t[*i], *op = &t[*i + 1], *val = &t[*i + 2];
	struct cond c = { .kind = COND_CMP };
	size_t k;
	if (subj->kind != TOK_WORD)
		return perr(p, subj->col, "expected a condition (kernel, platform, privilege or a variant)");
	for (k = 0; k < sizeof cond_ops / sizeof *cond_ops; k++)
		if (tok_is(op, cond_ops[k].text))
			break;
	if (k == sizeof cond_ops / sizeof *cond_ops)
		return perr(p, op->col, "expected a comparison (== != < <= > >=) after '%s'", subj->text);
	c.op = cond_ops[k].op;
	if (val->kind == TOK_END || val->kind == TOK_PUNCT || val->len >= CASE_NAME)
		return perr(p, val->col, "expected a value after '%s'", op->text);
	strcpy(c.value, val->text);
	c.subj = cond_subject(subj->text);
	if (c.subj == SUBJ_KERNEL) {
		if (kver_parse(val->text, &c.kv) < 0)
			return perr(p, val->col, "bad kernel version '%s' (want e.g. 6.1 or 6.1.54)", val->text);
	} else if (c.subj != SUBJ_VARIANT) {
		int plat = c.subj == SUBJ_PLATFORM;
		const char *ok = plat ? " linux wsl1 wsl2 " : " root rootless ";
		char probe[CASE_NAME + 2];
		snprintf(probe, sizeof probe, " %s ", val->text);
		if (!strstr(ok, probe) || (c.op != OP_EQ && c.op != OP_NE))
			return perr(p, val->col, "%s compares with == or != to one of:%s", subj->text, ok);
	} else {
		c.variant = -1;
		for (int v = 0; v < p->sc->nvariants; v++)
			if (!strcmp(p->sc->variant_names[v], subj->text))
				c.variant = v;
		if (c.variant < 0)
			return perr(p, subj->col, "unknown condition subject '%s' (kernel, platform, privilege, or a 'vary' name)",
				    subj->text);
	}
	if (!(*out = malloc(sizeof **out)))
		return perr(p, subj->col, "out of memory");
	**out = c;
	*i += 3;
	return 0;
}

/* The state of one condition's parse: how deep the parentheses are and
 * how many comparisons it holds, both bounded (a hostile file may nest ten
 * thousand '(' or chain a million `or`s; each level costs stack frames
 * here, and each node a frame of cond_eval). */
struct cp {
	struct parser *p;
	const struct token *t;
	int end, depth, terms;
};

static int parse_level(struct cp *c, int *i, int level, struct cond **out);

/* One more comparison: a tree of n holds n - 1 joins, so its height is
 * below 2n. */
static int count_term(struct cp *c, int col)
{
	if (++c->terms <= COND_MAX_TERMS)
		return 0;
	return perr(c->p, col, "condition too long (more than %d terms)", COND_MAX_TERMS);
}

static struct cond *join(struct cp *c, int kind, struct cond *l, struct cond *r, int col)
{
	struct cond *j = calloc(1, sizeof *j);
	if (!j) {
		perr(c->p, col, "out of memory");
		cond_free(l);
		cond_free(r);
		return NULL;
	}
	j->kind = kind;
	j->l = l;
	j->r = r;
	return j;
}

/* primary := '(' cond ')' | cmp */
static int parse_primary(struct cp *c, int *i, struct cond **out)
{
	const struct token *t = c->t;
	int end = c->end;
	if (*i >= end || !tok_is(&t[*i], "(")) {
		if (*i < end && count_term(c, t[*i].col) < 0)
			return -1;
		return parse_cmp(c->p, t, i, end, out);
	}
	int open = (*i)++;
	if (++c->depth > COND_MAX_DEPTH)
		return perr(c->p, t[open].col, "condition nested too deeply (more than %d levels)",
			    COND_MAX_DEPTH);
	int rc = parse_level(c, i, 0, out);
	c->depth--;
	if (rc < 0)
		return -1;
	if (*i < end && tok_is(&t[*i], ")")) {
		(*i)++;
		return 0;
	}
	cond_free(*out);
	*out = NULL;
	return perr(c->p, t[*i < end ? *i : end].col, "expected ')' to close the '(' at column %d",
		    t[open].col);
}

/* level 0 := level 1 ('or' level 1)*;  level 1 := primary ('and' primary)*
 * (left-nested: a or b or c is (a or b) or c) */
static int parse_level(struct cp *c, int *i, int level, struct cond **out)
{
	static const struct { const char *word; int kind; } ops[] = {
		{ "or", COND_OR }, { "and", COND_AND },
	};
	if (level == 2)
		return parse_primary(c, i, out);
	if (parse_level(c, i, level + 1, out) < 0)
		return -1;
	while (*i < c->end && tok_is(&c->t[*i], ops[level].word)) {
		struct cond *rhs = NULL;
		int col = c->t[(*i)++].col;
		if (parse_level(c, i, level + 1, &rhs) < 0) {
			cond_free(*out);
			*out = NULL;
			return -1;
		}
		if (!(*out = join(c, ops[level].kind, *out, rhs, col)))
			return -1;
	}
	return 0;
}

/* cond: 'and' binds tighter than 'or', parentheses group. On error *out
 * is NULL: the caller may hand it to cond_free() (or step_free()) either
 * way. */
int parse_cond(struct parser *p, const struct token *t, int *i, int end, struct cond **out)
{
	struct cp c = { .p = p, .t = t, .end = end };
	*out = NULL;
	return parse_level(&c, i, 0, out);
}
