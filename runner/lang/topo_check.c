/* Checks over a parsed case's topology: each link end is a new interface,
 * every interface a line names exists, packets() counts a capture.
 *
 * A case may hold tens of thousands of links and addresses: the link ends
 * are sorted once (host, then name, then file order), so that a duplicate
 * sits next to its twin and a lookup is a binary search. Comparing every
 * pair took minutes on large files. */
#include "parse_int.h"
#include "registry.h"

#include <stdlib.h>
#include <string.h>

/* The topologies steps carry, in file order, collected once for the checks. */
struct step_topos { const struct topology **t; int n; };

static void collect_topos(const struct step *steps, int n, struct step_topos *out)
{
	for (int i = 0; i < n; i++) {
		if (steps[i].topo) {
			GROW(out->t, out->n);
			out->t[out->n++] = steps[i].topo;
		}
		collect_topos(steps[i].body, steps[i].nbody, out);
		collect_topos(steps[i].els, steps[i].nels, out);
	}
}

static int end_cmp(const void *a, const void *b, void *count)
{
	const struct link_end *x = a, *y = b;
	++*(long *)count;
	if (x->host != y->host)
		return x->host < y->host ? -1 : 1;
	int c = strcmp(x->name, y->name);
	return c ? c : (x->order > y->order) - (x->order < y->order);
}

int link_ends_index(struct link_ends *ix, const struct topology *const *tops, int ntops)
{
	int n = 0, k = 0, order = 0;
	for (int t = 0; t < ntops; t++)
		n += 2 * tops[t]->nlinks;
	*ix = (struct link_ends){ .v = malloc(((size_t)n + 1) * sizeof *ix->v) };
	if (!ix->v)
		return -1;
	for (int t = 0; t < ntops; t++)
		for (int i = 0; i < tops[t]->nlinks; i++) {
			const struct topo_link *l = &tops[t]->links[i];
			if (l->del)
				continue;   /* names an interface; makes none */
			ix->v[k++] = (struct link_end){ l->a, l->ifa, order++, l };
			ix->v[k++] = (struct link_end){ l->b, l->ifb, order++, l };
		}
	ix->n = k;
	qsort_r(ix->v, (size_t)k, sizeof *ix->v, end_cmp, &ix->compares);
	return 0;
}

int link_ends_has(struct link_ends *ix, int host, const char *name)
{
	int lo = 0, hi = ix->n;
	struct link_end key = { host, name, -1, NULL };
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (end_cmp(&ix->v[mid], &key, &ix->compares) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ix->n && ix->v[lo].host == host && !strcmp(ix->v[lo].name, name);
}

const struct link_end *link_ends_first_twin(struct link_ends *ix)
{
	const struct link_end *first = NULL;
	for (int i = 1; i < ix->n; i++) {
		const struct link_end *a = &ix->v[i - 1], *b = &ix->v[i];
		ix->compares++;
		/* sorted: b is the later of two ends with one name */
		if (a->host == b->host && !strcmp(a->name, b->name) && (!first || b->order < first->order))
			first = b;
	}
	return first;
}

void link_ends_free(struct link_ends *ix)
{
	free(ix->v);
	ix->v = NULL;
	ix->n = 0;
}

static int no_interface(struct parser *p, const struct srcpos *at, int host, const char *ifname)
{
	return perr_at(p, at, "host %s has no interface '%s' (lo, or an end of a 'link')",
		       p->sc->hosts[host], ifname);
}

static int is_bridge(const struct scenario *sc, int host)
{
	for (int i = 0; i < sc->nbridges; i++)
		if (sc->bridges[i].host == host)
			return 1;
	return 0;
}

/* lo, br0 of a bridge host, or an end of a link made before step 1 or by
 * any step (a step's link may come and go: the run says when). */
static int has_interface(const struct scenario *sc, struct link_ends *all, int host, const char *ifname)
{
	return !strcmp(ifname, "lo") || (!strcmp(ifname, "br0") && is_bridge(sc, host)) ||
	       link_ends_has(all, host, ifname);
}

/* Each link end is a new interface of its host: not lo, not br0 of a
 * bridge host, not an end made before. */
static int check_link_ends(struct parser *p)
{
	const struct scenario *sc = p->sc;
	const struct topology *top = &sc->topo;
	struct link_ends ix;
	if (link_ends_index(&ix, &top, 1) < 0)
		return perr_at(p, &(struct srcpos){ p->file, 1, 1 }, "out of memory");
	/* the case's own links make no `link del`: end k is side k % 2 of link k / 2 */
	const struct link_end *twin = link_ends_first_twin(&ix);
	int rc = 0;
	for (int k = 0; rc == 0 && k < 2 * top->nlinks; k++) {
		const struct topo_link *l = &top->links[k / 2];
		int h = k % 2 ? l->b : l->a;
		const char *name = k % 2 ? l->ifb : l->ifa;
		if (twin && twin->order == k)
			h = twin->host;
		else if (strcmp(name, "lo") && (strcmp(name, "br0") || !is_bridge(sc, h)))
			continue;
		rc = perr_at(p, &l->pos, "host %s already has an interface '%s'", sc->hosts[h], name);
	}
	link_ends_free(&ix);
	return rc;
}

#define EACH_IF(arr, n, hostf, iff) \
	for (int i_ = 0; i_ < (n); i_++) \
		if ((arr)[i_].iff[0] && !has_interface(sc, all, (arr)[i_].hostf, (arr)[i_].iff)) \
			return no_interface(p, &(arr)[i_].pos, (arr)[i_].hostf, (arr)[i_].iff);

/* Every interface a topology names exists (see has_interface). */
static int topology_interfaces(struct parser *p, struct link_ends *all, const struct topology *t)
{
	const struct scenario *sc = p->sc;
	EACH_IF(t->sysctls, t->nsysctls, host, dev)
	EACH_IF(t->addrs, t->naddrs, host, ifname)
	EACH_IF(t->sets, t->nsets, host, ifname)
	EACH_IF(t->routes, t->nroutes, host, dev)
	EACH_IF(t->netems, t->nnetems, host, ifname)
	EACH_IF(t->captures, t->ncaptures, host, ifname)
	for (int i = 0; i < t->nlinks; i++)
		if (t->links[i].del && !has_interface(sc, all, t->links[i].a, t->links[i].ifa))
			return no_interface(p, &t->links[i].pos, t->links[i].a, t->links[i].ifa);
	return 0;
}

static int captured(const struct topology *t, int host, const char *ifname)
{
	for (int i = 0; i < t->ncaptures; i++)
		if (t->captures[i].host == host && !strcmp(t->captures[i].ifname, ifname))
			return 1;
	return 0;
}

/* packets(HOST:IF, ...) counts what a `capture HOST:IF` line records. */
static int packets_captured(struct parser *p, const struct step_topos *tops, const struct step *steps, int n)
{
	for (int i = 0; i < n; i++) {
		const struct step *s = &steps[i];
		if (packets_captured(p, tops, s->body, s->nbody) < 0 || packets_captured(p, tops, s->els, s->nels) < 0)
			return -1;
		if (!s->call || strcmp(s->call->name, "packets"))
			continue;
		const struct arg *a = &s->args[0];
		int found = captured(&p->sc->topo, (int)a->i, a->str);
		for (int k = 0; k < tops->n && !found; k++)
			found = captured(tops->t[k], (int)a->i, a->str);
		if (!found)
			return perr_at(p, &a->pos, "nothing captures %s%s%s: add 'capture %s%s%s'",
				       p->sc->hosts[a->i], a->str[0] ? ":" : "", a->str,
				       p->sc->hosts[a->i], a->str[0] ? ":" : "", a->str);
	}
	return 0;
}

int check_interfaces(struct parser *p)
{
	struct step_topos st = { 0 };
	GROW(st.t, st.n);
	st.t[st.n++] = &p->sc->topo;
	collect_topos(p->sc->steps, p->sc->nsteps, &st);
	struct link_ends all = { 0 };
	int rc = check_link_ends(p);
	if (rc == 0 && link_ends_index(&all, st.t, st.n) < 0)
		rc = perr_at(p, &(struct srcpos){ p->file, 1, 1 }, "out of memory");
	for (int i = 0; rc == 0 && i < st.n; i++)
		rc = topology_interfaces(p, &all, st.t[i]);
	link_ends_free(&all);
	struct step_topos steps = { st.t + 1, st.n - 1 };
	if (rc == 0)
		rc = packets_captured(p, &steps, p->sc->steps, p->sc->nsteps);
	free(st.t);
	return rc;
}
