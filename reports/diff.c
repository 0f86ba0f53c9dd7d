/* What changed between two runs: per case its status and every step whose
 * observed result differs. Steps are matched by line and loop position: the
 * same line is the same question asked. */
#include "report.h"

#include <string.h>

static void env_line(FILE *f, const char *mark, const char *path, const json_t *rec)
{
	json_t *env = json_object_get(rec, "environment"), *p = json_object_get(env, "platform");
	put_textf(f, TEXT_TERM, "%s %s: kernel %s (%s, %s, virt %s, %s)\n", mark, path, run_label(rec),
		jstr(p, "distro"), jstr(json_object_get(env, "kernel"), "arch"), jstr(p, "virt"),
		jstr(env, "privilege"));
}

static void header(FILE *f, const char *id, int *shown)
{
	if (!*shown)
		put_textf(f, TEXT_TERM, "\ncase %s\n", id);
	*shown = 1;
}

/* Steps recorded without an expectation that differ: seen, and whether
 * they are listed (diff --all). */
struct unchecked { int seen, all; };

static void step_line(FILE *f, const json_t *s, const char *from, const char *to, int info,
		      struct unchecked *u)
{
	u->seen |= info;
	if (info && !u->all)
		return;
	put_textf(f, TEXT_TERM, "  %sline %lld on %s%s%s: %s: %s -> %s%s\n", info ? "~ " : "",
		(long long)json_integer_value(json_object_get(s, "line")), jstr(s, "host"),
		*jstr(s, "iter") ? " at " : "", jstr(s, "iter"), jstr(s, "call"), from, to,
		info ? "   (recorded only)" : "");
}

/* 1 if the case differs: its status, or a step with an expectation.
 * Recorded-only steps that differ (a port the kernel picked) are shown,
 * marked '~', and do not count. */
/* A known bug one run has and the other has fixed (or cannot show). */
static void bug_lines(FILE *f, const char *id, const json_t *a, const json_t *b, int *shown)
{
	const char *fix;
	json_t *st;
	json_object_foreach(json_object_get(a, "bugs"), fix, st) {
		json_t *other = json_object_get(json_object_get(b, "bugs"), fix);
		if (other && json_equal(st, other))
			continue;
		header(f, id, shown);
		put_textf(f, TEXT_TERM, "  known bug %s: %s -> %s\n", fix, bug_word(st), bug_word(other));
	}
	json_object_foreach(json_object_get(b, "bugs"), fix, st)
		if (!json_object_get(json_object_get(a, "bugs"), fix)) {
			header(f, id, shown);
			put_textf(f, TEXT_TERM, "  known bug %s: %s -> %s\n", fix, bug_word(NULL), bug_word(st));
		}
}

static int diff_case(FILE *f, const char *id, const json_t *a, const json_t *b, struct unchecked *u)
{
	int shown = 0, counts = strcmp(jstr(a, "status"), jstr(b, "status")) != 0;
	if (counts) {
		header(f, id, &shown);
		put_textf(f, TEXT_TERM, "  status: %s -> %s\n", jstr(a, "status"), jstr(b, "status"));
	}
	bug_lines(f, id, a, b, &shown);
	/* a fresh namespace and the platform's own network may answer
	 * differently for that reason alone: never compared silently */
	const char *ia = jstr(a, "isolation"), *ib = jstr(b, "isolation");
	if (*ia && *ib && strcmp(ia, ib) && (!strcmp(ia, "in-place") || !strcmp(ib, "in-place"))) {
		header(f, id, &shown);
		put_textf(f, TEXT_TERM, "  isolation: %s -> %s (the platform's own network against a fresh namespace)\n", ia, ib);
	}
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(a, "steps"), i, s) {
		const json_t *t = case_step(b, s);
		if (t && !strcmp(jstr(s, "observed"), jstr(t, "observed")))
			continue;
		/* both passed a predicate: which value the kernel picked is no
		 * difference (a port in the range, here 40003, there 40005) */
		if (t && both_picked(s, t))
			continue;
		int checked = step_checked(s) || (t && step_checked(t));
		if (checked || u->all)
			header(f, id, &shown);
		step_line(f, s, jstr(s, "observed"), t ? jstr(t, "observed") : "(not recorded)", !checked, u);
		counts |= checked;
	}
	json_array_foreach(json_object_get(b, "steps"), i, s) {
		if (case_step(a, s))
			continue;
		if (step_checked(s) || u->all)
			header(f, id, &shown);
		step_line(f, s, "(not recorded)", jstr(s, "observed"), !step_checked(s), u);
		counts |= step_checked(s);
	}
	return counts;
}

int report_diff(FILE *f, const json_t *a, const json_t *b, const char *pa, const char *pb, int all)
{
	json_t *const both[2] = { (json_t *)a, (json_t *)b };
	json_t *ids = case_ids(both, 2), *id;
	size_t i;
	int differ = 0;
	struct unchecked u = { 0, all };
	env_line(f, "---", pa, a);
	env_line(f, "+++", pb, b);
	json_array_foreach(ids, i, id) {
		const char *cid = json_string_value(id);
		const json_t *ca = case_find(a, cid), *cb = case_find(b, cid);
		if (!ca || !cb) {
			put_textf(f, TEXT_TERM, "\ncase %s\n  only in %s (%s)\n", cid, ca ? pa : pb,
				jstr(ca ? ca : cb, "status"));
			differ++;
		} else {
			differ += diff_case(f, cid, ca, cb, &u);
		}
	}
	json_decref(ids);
	put_textf(f, TEXT_TERM, "\n%d case(s) differ%s\n", differ, !u.seen ? ""
		: all ? " (lines marked ~ are steps recorded without an expectation: not counted)"
		: " (steps recorded without an expectation differ too, not counted: diff --all lists them)");
	return differ;
}
