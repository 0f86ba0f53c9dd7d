/* The step loop: pick the host, run the call, compare, record. Loops and
 * checks are here; the calls themselves are exec_calls.c's. */
#include "exec_int.h"
#include "netns.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int enter_host(struct run *r, int host)
{
	if (host == r->cur_host)
		return 0;
	char err[NETNS_ERRLEN];
	if (netns_host_enter(r->hosts[host], err) < 0) {
		snprintf(r->reason, r->reasonlen, "%s", err);
		return -1;
	}
	r->cur_host = host;
	return 0;
}

static void emit(struct run *r, const struct step *st, const struct outcome *o,
		 const struct expect *e, int ok, enum call_value v)
{
	if (!ok)
		r->mismatches++;
	if (ok && (r->quiet || r->recorded >= r->env->record_cap)) {
		r->suppressed++;
		return;
	}
	r->recorded++;
	char observed[sizeof o->data * 4 + 8];    /* recv: the data, escaped */
	/* a "text" expectation is compared with data: show the data */
	outcome_text(o, e && e->kind == EXP_STR ? VAL_DATA : v, observed, sizeof observed);
	json_t *j = json_pack("{s:i, s:s, s:s, s:I, s:s?, s:s, s:s?, s:s}",
			      "line", st->pos.line, "host", r->sc->hosts[st->host], "call", st->text,
			      "ret", (json_int_t)(o->timed_out ? -1 : o->ret),
			      "errno", o->failed && !o->timed_out ? errno_name(o->err) : NULL,
			      "observed", observed, "expected", e && e->kind != EXP_NONE ? e->text : NULL,
			      "status", !e || e->kind == EXP_NONE ? "info" : ok ? "pass" : "fail");
	if (r->iter[0])
		json_object_set_new(j, "iter", json_string(r->iter));
	if (v == VAL_EXIT) {        /* a program's output, whole (what was kept) */
		char out[sizeof o->data * 4 + 8];
		escape_bytes(o->data, o->len, out, sizeof out);
		json_object_set_new(j, "output", json_string(out));
		json_object_set_new(j, "detail", json_string(out[0] ? out : "no output"));
		if (strlen(out) > 150)
			json_object_set_new(j, "detail", json_pack("s#", out, (size_t)150));
	} else if (o->detail[0]) {
		json_object_set_new(j, "detail", json_string(o->detail));
	}
	r->env->emit(r->env->emit_arg, j);
}

/* One call step. Returns 1 when it failed (an error, a timeout) without an
 * expectation that asked for exactly that: what ends `repeat until error`. */
static int run_call(struct run *r, const struct step *st, struct outcome *last)
{
	struct outcome o = { 0 };
	if (enter_host(r, st->host) < 0)
		return -1;
	call_run(r, st, &o);
	if (!o.timed_out && !o.failed && st->capture >= 0)
		r->vals[st->capture] = st->call->value == VAL_SOCK ? 0 : o.ret;
	const struct expect *e = expect_pick(st, &r->env->cond);
	int ok = !e || expect_match(e, &o, r->vals);
	int failed = o.timed_out || o.failed;
	int asked = e && e->kind != EXP_NONE && ok;
	int ends_loop = failed && !asked;
	int saved_quiet = r->quiet;
	if (ends_loop && r->quiet)
		r->quiet = 0;       /* the step that ended the loop is always shown */
	emit(r, st, &o, e, ok, st->call->value);
	r->quiet = saved_quiet;
	if (last)
		*last = o;
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
	emit(r, st, &result, e, !e || expect_match(e, &result, r->vals), VAL_ZERO);
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

static void run_check(struct run *r, const struct step *st)
{
	struct outcome o = { .ret = r->vals[st->loopvar] };
	const struct expect *e = expect_pick(st, &r->env->cond);
	emit(r, st, &o, e, !e || expect_match(e, &o, r->vals), VAL_COUNT);
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
		}
		if (rc)
			return rc;
	}
	return 0;
}

int exec_steps(const struct scenario *sc, struct netns_host **hosts,
	       const struct exec_env *env, long *suppressed, char *reason, size_t len)
{
	struct run r = { .sc = sc, .hosts = hosts, .env = env, .cur_host = -1,
			 .reason = reason, .reasonlen = len };
	r.vals = calloc((size_t)sc->nvars + 1, sizeof *r.vals);
	r.slots = calloc((size_t)sc->nvars + 1, sizeof *r.slots);
	for (int i = 0; i < sc->nvars; i++)
		r.slots[i].fd = -1;
	int rc = run_list(&r, sc->steps, sc->nsteps, NULL);
	*suppressed = r.suppressed;
	free(r.vals);
	free(r.slots);
	return rc < 0 ? -1 : r.mismatches;
}
