/* The parsed model's memory: what a scenario, its steps, expectations and
 * conditions own, and how it is freed. Kept apart from the parser so that
 * everything that holds a scenario (the executor, the scheduler) frees it
 * without depending on how it was read. */
#include "case.h"
#include "expr.h"

#include <stdlib.h>
#include <string.h>

void *case_grow(void *arr, int n, size_t size)
{
	/* The capacity is implied, n rounded up to a power of two: the array
	 * doubles, and n pushes cost log n copies, not n (tens of thousands
	 * of links took quadratic time under ASan, whose realloc copies). */
	if (n == 0 || !(n & (n - 1))) {
		void *bigger = realloc(arr, (size_t)(n ? 2 * n : 1) * size);
		if (!bigger)
			abort();    /* a case file is at most 1 MiB */
		arr = bigger;
	}
	memset((char *)arr + (size_t)n * size, 0, size);
	return arr;
}

/* A chain `a or b or c` nests to the left: walk that spine in a loop, so
 * that freeing costs no stack per term. */
void cond_free(struct cond *c)
{
	while (c) {
		struct cond *l = c->l;
		cond_free(c->r);
		free(c);
		c = l;
	}
}

/* One answer's own parts, not its `or` chain. */
static void answer_free(struct expect *e)
{
	free(e->str);
	free(e->attrs);
	free(e->text);
	if (e->not) {
		expect_free(e->not);
		free(e->not);
	}
}

void expect_free(struct expect *e)
{
	answer_free(e);
	for (struct expect *next, *o = e->or; o; o = next) {
		next = o->or;
		answer_free(o);
		free(o);
	}
	e->or = NULL;
}

void step_free(struct step *st)
{
	free(st->text);
	for (int i = 0; st->argv && st->argv[i]; i++)
		free(st->argv[i]);
	free(st->argv);
	free(st->argv_var);
	for (int i = 0; i < st->nargs; i++)
		free(st->args[i].str);
	for (int i = 0; i < st->nalts; i++) {
		cond_free(st->alts[i].guard);
		expect_free(&st->alts[i].e);
		free(st->alts[i].bug);
	}
	free(st->args);
	free(st->alts);
	for (int i = 0; i < st->nbody; i++)
		step_free(&st->body[i]);
	free(st->body);
	for (int i = 0; i < st->nels; i++)
		step_free(&st->els[i]);
	free(st->els);
	expr_free(st->expr);
	if (st->topo) {
		topology_free(st->topo);
		free(st->topo);
	}
}

void topology_free(struct topology *t)
{
	free(t->links);
	free(t->sets);
	free(t->addrs);
	free(t->routes);
	free(t->sysctls);
	free(t->netems);
	free(t->captures);
}

void scenario_free(struct scenario *sc)
{
	if (!sc)
		return;
	free(sc->file);
	free(sc->id);
	free(sc->title);
	for (int i = 0; i < sc->nrefs; i++)
		free(sc->refs[i]);
	free(sc->refs);
	for (int i = 0; i < sc->nvariants; i++) {
		free(sc->variant_names[i]);
		free(sc->variant_values[i]);
	}
	free(sc->variant_names);
	free(sc->variant_values);
	if (sc->shared && --sc->shared->refs == 0)
		free(sc->shared);
	topology_free(&sc->topo);
	free(sc->bridges);
	free(sc->on_when);
	for (int i = 0; i < sc->nreqs; i++)
		cond_free(sc->reqs[i].cond);
	free(sc->reqs);
	for (int i = 0; i < sc->nsteps; i++)
		step_free(&sc->steps[i]);
	free(sc->steps);
	free(sc->vars);
	for (int i = 0; sc->strings && sc->strings[i]; i++)
		free(sc->strings[i]);
	free(sc->strings);
	free(sc);
}

void case_file_free(struct case_file *cf)
{
	for (int i = 0; i < cf->n; i++)
		scenario_free(cf->sc[i]);
	free(cf->sc);
	cf->sc = NULL;
	cf->n = 0;
}
