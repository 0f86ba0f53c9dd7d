/* The step loop: pick the host, run the call, compare, record. Loops and
 * checks are here; the calls themselves are exec_calls.c's. */
#include "capture.h"
#include "exec_int.h"
#include "expr.h"
#include "netns.h"
#include "record.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int run_enter(struct run *r, int host)
{
	if (host == r->cur_host || !r->hosts[host])
		return 0;       /* there already, or in place: no namespace of its own */
	char err[NETNS_ERRLEN];
	if (netns_host_enter(r->hosts[host], err) < 0) {
		snprintf(r->reason, r->reasonlen, "%s", err);
		return -1;
	}
	r->cur_host = host;
	return 0;
}

/* Counts a step's verdict; 1 when the step goes into the record: a
 * mismatch up to the fail cap (a loop of failing steps once wrote 86k of
 * them, 17 MB of JSON: the first ones say what went wrong), a known bug or
 * a pass up to the record cap, a pass not inside `repeat until error`. */
static int recorded(struct run *r, int ok, int known_bug)
{
	if (!ok && ++r->mismatches > r->env->fail_cap) {
		r->failed_suppressed++;
		return 0;
	}
	if (ok && ((r->quiet && !known_bug) || r->recorded >= r->env->record_cap)) {
		r->suppressed++;
		return 0;
	}
	r->recorded += ok;
	return 1;
}

static void put_step(struct run *r, const struct step_rec *rec)
{
	json_t *j = record_step(rec);
	if (j)
		r->env->emit(r->env->emit_arg, j);
}

/* A known bug the step could show: counted, and noted for the case's
 * "bugs" (what it showed wins over "fixed"). */
static void note_bug(struct run *r, const struct verdict *v)
{
	if (v->bug_state == BUG_NONE)
		return;
	r->known_bugs += v->bug_state == BUG_HAS;
	json_t *bugs = r->env->bugs;
	const char *was = json_string_value(json_object_get(bugs, v->bug));
	if (bugs && (!was || strcmp(was, "has")))
		json_object_set_new(bugs, v->bug, json_string(v->bug_state == BUG_HAS ? "has" : "fixed"));
}

static void emit_verdict(struct run *r, const struct step *st, const struct outcome *o,
			 const struct verdict *vd)
{
	const struct expect *e = vd->e;
	int ok = vd->ok, has_bug = vd->bug_state == BUG_HAS;
	note_bug(r, vd);
	if (!recorded(r, ok, has_bug))
		return;
	enum call_value v = st->call ? st->call->value : VAL_COUNT;
	/* a "text" expectation is compared with data: show the data */
	char *observed = outcome_text(o, st, e && e->kind == EXP_STR && v == VAL_EXIT, e);
	int has_data = !o->failed && !o->timed_out && o->data && (v == VAL_DATA || v == VAL_EXIT);
	char detail[sizeof o->detail];
	snprintf(detail, sizeof detail, "%s", o->detail);
	if (!detail[0]) {
		char *all = outcome_details(o, st);
		snprintf(detail, sizeof detail, "%s", all && all[0] ? all + 1 : "");
		free(all);
	}
	if (v == VAL_EXIT && !o->len)
		snprintf(detail, sizeof detail, "no output");
	else if (v == VAL_EXIT)     /* the output's start; "data" holds all of it */
		data_escape(o->data, o->len, detail, 151);
	struct step_rec rec = {
		.line = st->pos.line, .host = r->sc->hosts[st->host], .call = st->text,
		.ret = o->timed_out ? -1 : o->ret,
		.errno_name = o->failed && !o->timed_out ? errno_name(o->err) : NULL,
		.observed = observed ? observed : "(out of memory)",
		.expected = e && e->kind != EXP_NONE ? e->text : NULL,
		.status = !e || e->kind == EXP_NONE ? STEP_INFO : !ok ? STEP_FAIL : has_bug ? STEP_KNOWN_BUG : STEP_PASS,
		.iter = r->iter, .detail = detail,
		.data = o->data, .data_len = o->len, .data_whole = o->truelen, .has_data = has_data,
		.kernel_picks = e && expect_loose(e),
		.bug = vd->bug, .bug_state = vd->bug_state, .bug_in_range = vd->in_range,
	};
	put_step(r, &rec);
	free(observed);
}

static void emit(struct run *r, const struct step *st, const struct outcome *o,
		 const struct expect *e, int ok)
{
	struct verdict v = { .e = e, .ok = ok };
	emit_verdict(r, st, o, &v);
}

/* What a capture of a call's result holds. A call without a value (bind)
 * or whose value is an errno (recverr): 0 or the errno, ETIMEDOUT when it
 * blocked past the step bound, so `if r == EADDRINUSE` can ask. A call
 * with a value (a port, a count): the value, or -1 when it failed. A
 * socket capture is the socket (the call's own business). */
static void capture(struct run *r, const struct step *st, const struct outcome *o)
{
	enum call_value v = st->call->value;
	if (st->capture < 0 || v == VAL_SOCK)
		return;
	if (v == VAL_ZERO || v == VAL_STATE || v == VAL_ERR)
		r->vals[st->capture] = o->timed_out ? ETIMEDOUT : o->failed ? o->err : o->ret;
	else
		r->vals[st->capture] = o->timed_out || o->failed ? -1 : o->ret;
}

/* One call step. Returns 1 when it failed (an error, a timeout) without an
 * expectation that asked for exactly that: what ends `repeat until error`. */
static int run_call(struct run *r, const struct step *st, struct outcome *last)
{
	struct outcome o = { 0 };
	if (run_enter(r, st->host) < 0)
		return -1;
	st->call->run(r, st, &o);
	captures_drain(r);
	if (o.fault) {
		snprintf(r->reason, r->reasonlen, "line %d: %s", st->pos.line, o.detail);
		return -1;
	}
	capture(r, st, &o);
	struct verdict v;
	expect_judge(st, &r->env->cond, &o, r->vals, &v);
	const struct expect *e = v.e;
	int failed = o.timed_out || o.failed;
	int asked = e && e->kind != EXP_NONE && v.ok;
	int ends_loop = failed && !asked;
	int saved_quiet = r->quiet;
	if (ends_loop && r->quiet)
		r->quiet = 0;       /* the step that ended the loop is always shown */
	emit_verdict(r, st, &o, &v);
	r->quiet = saved_quiet;
	if (last) {
		*last = o;
		last->data = NULL;  /* the run's buffer: the next call reuses it */
	}
	return ends_loop;
}

static int run_list(struct run *r, const struct step *steps, int n, struct outcome *last);

static size_t iter_push(struct run *r, const char *fmt, long v)
{
	size_t at = strlen(r->iter);
	snprintf(r->iter + at, sizeof r->iter - at, "%s", at ? "," : "");
	snprintf(r->iter + strlen(r->iter), sizeof r->iter - strlen(r->iter), fmt, v);
	return at;
}

static int run_until(struct run *r, const struct step *st)
{
	struct outcome o = { 0 };
	long count = 0;
	int ended = 0, saved_quiet = r->quiet;
	r->quiet = 1;
	while (count < st->max) {
		size_t at = iter_push(r, "#%ld", count + 1);
		ended = run_list(r, st->body, st->nbody, &o);
		r->iter[at] = '\0';
		if (ended)
			break;
		count++;
	}
	r->quiet = saved_quiet;
	if (ended < 0)
		return -1;
	if (st->loopvar >= 0)
		r->vals[st->loopvar] = count;
	struct outcome result = { .ret = ended ? -1 : 0, .failed = ended, .err = o.err,
				  .timed_out = ended && o.timed_out };
	snprintf(result.detail, sizeof result.detail, ended ? "after %ld iterations" :
		 "no error in %ld iterations", count);
	const struct expect *e = expect_pick(st, &r->env->cond);
	emit(r, st, &result, e, !e || expect_match(e, &result, r->vals));
	return 0;
}

/* last is non-NULL inside `repeat until error`: a failing call in this loop
 * then ends the loop and the one around it. */
static int run_loop(struct run *r, const struct step *st, struct outcome *last)
{
	long from = st->kind == STEP_FOR ? st->from : 1;
	long to = st->kind == STEP_FOR ? st->to : st->count;
	for (long v = from; v <= to; v++) {
		size_t at = st->kind == STEP_FOR ? iter_push(r, "", 0) : iter_push(r, "#%ld", v);
		if (st->kind == STEP_FOR) {
			r->vals[st->loopvar] = v;
			snprintf(r->iter + at + !!at, sizeof r->iter - at - 1, "%s=%ld",
				 r->sc->vars[st->loopvar].name, v);
		}
		int rc = run_list(r, st->body, st->nbody, last);
		r->iter[at] = '\0';
		if (rc)
			return rc;
	}
	return 0;
}

/* "p=40003 q=40004": the captured numbers a condition names. */
static void cond_detail(const struct run *r, const struct step *st, char *buf, size_t len)
{
	size_t w = 0;
	buf[0] = '\0';
	for (int v = 0; v < r->sc->nvars && w < len; v++) {
		const char *name = r->sc->vars[v].name, *at = st->text;
		size_t n = strlen(name);
		int named = 0;
		if (r->sc->vars[v].kind != VAR_INT)
			continue;
		while (!named && (at = strstr(at, name))) {
			int before = at == st->text || !(isalnum((unsigned char)at[-1]) || at[-1] == '_');
			int after = !(isalnum((unsigned char)at[n]) || at[n] == '_');
			named = before && after;
			at += n;
		}
		if (named)
			w += (size_t)snprintf(buf + w, len - w, "%s%s=%ld", w ? " " : "", name, r->vals[v]);
	}
}

/* check EXPR (passes when it holds) and if EXPR (recorded only). */
static int eval_cond(struct run *r, const struct step *st, int checked)
{
	int err = 0;
	long v = expr_eval(st->expr, r->vals, &err);
	int holds = !err && v;
	int ok = checked ? holds : !err;
	char detail[256];
	cond_detail(r, st, detail, sizeof detail);
	if (!recorded(r, ok, 0))
		return holds;
	struct step_rec rec = {
		.line = st->pos.line, .host = r->sc->hosts[st->host], .call = st->text, .ret = v,
		.observed = err ? "error: division by zero or overflow" : holds ? "true" : "false",
		.expected = checked ? "true" : NULL,
		.status = ok ? (checked ? STEP_PASS : STEP_INFO) : STEP_FAIL,
		.iter = r->iter, .detail = detail,
	};
	put_step(r, &rec);
	return holds;
}

static void run_check(struct run *r, const struct step *st)
{
	if (st->expr) {
		eval_cond(r, st, 1);
		return;
	}
	struct outcome o = { .ret = r->vals[st->loopvar], .val_errno = 1 };
	const struct expect *e = expect_pick(st, &r->env->cond);
	emit(r, st, &o, e, !e || expect_match(e, &o, r->vals));
}

/* Returns 1 when a call ended the list (see run_call), -1 on our fault. */
static int run_list(struct run *r, const struct step *steps, int n, struct outcome *last)
{
	for (int i = 0; i < n; i++) {
		const struct step *st = &steps[i];
		int rc = 0;
		switch (st->kind) {
		case STEP_CALL:
		case STEP_SLEEP:
			rc = run_call(r, st, last);
			if (rc == 1 && !last)
				rc = 0;     /* outside `repeat until error` a failure goes on */
			break;
		case STEP_UNTIL: rc = run_until(r, st); break;
		case STEP_REPEAT:
		case STEP_FOR: rc = run_loop(r, st, last); break;
		case STEP_CHECK: run_check(r, st); break;
		case STEP_IF:
			rc = eval_cond(r, st, 0) ? run_list(r, st->body, st->nbody, last)
				: run_list(r, st->els, st->nels, last);
			break;
		}
		if (rc)
			return rc;
	}
	return 0;
}

int exec_steps(const struct scenario *sc, struct netns_host **hosts,
	       const struct exec_env *env, struct exec_counts *counts, char *reason, size_t len)
{
	struct run r = { .sc = sc, .hosts = hosts, .env = env, .cur_host = -1,
			 .reason = reason, .reasonlen = len };
	r.vals = calloc((size_t)sc->nvars + 1, sizeof *r.vals);
	r.slots = calloc((size_t)sc->nvars + 1, sizeof *r.slots);
	for (int i = 0; i < sc->nvars; i++)
		r.slots[i].fd = -1;
	int rc = 0;
	/* captures the case declares start before its first step */
	for (int i = 0; rc == 0 && i < sc->topo.ncaptures; i++) {
		const struct topo_capture *c = &sc->topo.captures[i];
		char err[CAPTURE_ERRLEN];
		if (capture_start(&r, c->host, c->ifname, err, sizeof err) < 0) {
			snprintf(reason, len, "line %d: capture: %s", c->pos.line, err);
			rc = -1;
		}
	}
	if (rc == 0)
		rc = run_list(&r, sc->steps, sc->nsteps, NULL);
	captures_finish(&r);
	*counts = (struct exec_counts){ r.suppressed, r.failed_suppressed, r.known_bugs };
	free(r.buf);
	free(r.vals);
	free(r.slots);
	return rc < 0 ? -1 : r.mismatches;
}
