/* One scenario in a worker process: namespaces, topology, requirements,
 * steps. Everything it makes dies with it. */
#include "worker.h"
#include "exec.h"
#include "inplace.h"
#include "netns.h"
#include "record.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* One line of record.h's stream; s is freed. */
static void put_line(int fd, char *s)
{
	if (!s)
		return;
	size_t len = strlen(s);
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, s + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	free(s);
}

static void emit_step(void *arg, json_t *step)
{
	put_line(*(int *)arg, record_step_line(step));
}

static int finish(int fd, enum status st, const char *reason, long suppressed)
{
	put_line(fd, record_result_line(st, reason, suppressed, NULL));
	return 0;
}

/* `require nofile N`: the soft limit raised to N when the hard limit
 * allows it (worker_raise_nofile has raised both as far as it could). */
static int nofile_short(long want)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 1;
	if (rl.rlim_cur != RLIM_INFINITY && (rlim_t)want > rl.rlim_cur && (rlim_t)want <= rl.rlim_max) {
		rl.rlim_cur = (rlim_t)want;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur != RLIM_INFINITY && (rlim_t)want > rl.rlim_cur;
}

/* Requirements that can be judged before anything is built. */
static const struct requirement *unmet_early(const struct scenario *sc, const struct cond_ctx *ctx)
{
	for (int i = 0; i < sc->nreqs; i++) {
		const struct requirement *r = &sc->reqs[i];
		if ((r->kind == REQ_ROOT && strcmp(ctx->privilege, "root")) ||
		    (r->kind == REQ_KERNEL && !cond_eval(r->cond, ctx)) ||
		    (r->kind == REQ_NOFILE && nofile_short(r->nofile)) ||
		    (r->kind == REQ_IN_PLACE && !ctx->in_place))
			return r;
	}
	return NULL;
}

/* Whether the kernel has netem (sch_netem, a module or built in: some
 * kernels have neither), tried on the first host's lo: a netem that changes
 * nothing, taken away again. */
static int netem_missing(struct netns_host *h)
{
	char err[NETNS_ERRLEN];
	struct netns_netem none = { 0 };
	if (netns_netem_set(h, "lo", &none, err) == -ENOENT)
		return 1;
	netns_netem_clear(h, "lo", err);
	return 0;
}

/* Requirements read inside the first host: its sysctls, IPv6. */
static const struct requirement *unmet_in_host(const struct scenario *sc, struct netns_host *h)
{
	static const struct requirement netem = { .text = "netem (this kernel has no sch_netem: "
						  "CONFIG_NET_SCH_NETEM)" };
	if (sc->uses_netem && netem_missing(h))
		return &netem;
	char buf[256], err[NETNS_ERRLEN];
	for (int i = 0; i < sc->nreqs; i++) {
		const struct requirement *r = &sc->reqs[i];
		const char *name = r->kind == REQ_IPV6 ? "net.ipv6.conf.all.disable_ipv6" : r->name;
		if (r->kind == REQ_PROTOCOL && (netns_host_enter(h, err) < 0 || protocol_missing(r->proto)))
			return r;
		if (r->kind != REQ_IPV6 && r->kind != REQ_SYSCTL)
			continue;
		int rc = netns_sysctl_get(h, name, buf, sizeof buf, err);
		if (rc < 0 || (r->kind == REQ_IPV6 && !strcmp(buf, "1")))
			return r;
	}
	return NULL;
}

/* "line 3: ...", or "fixtures/x.net line 3: ..." for a line of a `use`d
 * fixture: the case's own line 3 would be another line. */
#define TRY(call, what) do { if ((call) < 0) { \
	const char *f_ = (what)->pos.file; \
	int other_ = f_ && strcmp(f_, sc->file); \
	snprintf(reason, len, "%s%sline %d: %s", other_ ? f_ : "", other_ ? " " : "", \
		 (what)->pos.line, err); \
	return -1; } } while (0)

/* Whether a veth end is up once every `set` line has been applied (a
 * link comes up; the last up/down for it wins). */
static int end_up(const struct scenario *sc, int host, const char *ifname)
{
	int up = 1;
	for (int i = 0; i < sc->topo.nsets; i++) {
		const struct topo_set *s = &sc->topo.sets[i];
		if (s->host == host && !strcmp(s->ifname, ifname) && (s->kind == SET_UP || s->kind == SET_DOWN))
			up = s->kind == SET_UP;
	}
	return up;
}

static int build(const struct scenario *sc, struct netns_host **h, char *reason, size_t len)
{
	char err[NETNS_ERRLEN];
	/* conf.default.* must be set before the links exist to reach them;
	 * conf.eth0.* can only be set after */
	for (int i = 0; i < sc->topo.nsysctls; i++) {
		const struct topo_sysctl *s = &sc->topo.sysctls[i];
		if (!s->dev[0])
			TRY(netns_sysctl_set(h[s->host], s->name, s->value, err), s);
	}
	for (int i = 0; i < sc->topo.nlinks; i++) {
		const struct topo_link *l = &sc->topo.links[i];
		/* an end the topology sets down is never up at all */
		TRY(netns_veth_add_ends(h[l->a], l->ifa, end_up(sc, l->a, l->ifa),
					h[l->b], l->ifb, end_up(sc, l->b, l->ifb), err), l);
	}
	for (int i = 0; i < sc->nbridges; i++) {
		const struct topo_bridge *b = &sc->bridges[i];
		TRY(netns_bridge_add(h[b->host], "br0", err), b);
		for (int k = 0; k < sc->topo.nlinks; k++)
			if (sc->topo.links[k].bridge == i + 1)
				TRY(netns_link_set_master(h[b->host], sc->topo.links[k].ifb, "br0", err), b);
	}
	for (int i = 0; i < sc->topo.nsysctls; i++) {
		const struct topo_sysctl *s = &sc->topo.sysctls[i];
		if (s->dev[0])
			TRY(netns_sysctl_set(h[s->host], s->name, s->value, err), s);
	}
	for (int i = 0; i < sc->topo.nsets; i++) {
		const struct topo_set *s = &sc->topo.sets[i];
		struct netns_host *x = h[s->host];
		if (s->kind == SET_UP || s->kind == SET_DOWN)
			TRY(netns_link_set_up(x, s->ifname, s->kind == SET_UP, err), s);
		else if (s->kind == SET_MTU)
			TRY(netns_link_set_mtu(x, s->ifname, s->mtu, err), s);
		else
			TRY(netns_link_set_multicast(x, s->ifname, s->kind == SET_MULTICAST_ON, err), s);
	}
	for (int i = 0; i < sc->topo.naddrs; i++) {
		const struct topo_addr *a = &sc->topo.addrs[i];
		TRY(netns_addr_add(h[a->host], a->ifname, a->cidr, a->dad, err), a);
	}
	for (int i = 0; i < sc->topo.nlinks; i++) {
		const struct topo_link *l = &sc->topo.links[i];
		if (!end_up(sc, l->a, l->ifa) || !end_up(sc, l->b, l->ifb))
			continue;   /* one end down: no carrier, nothing to wait for */
		TRY(netns_link_wait_running(h[l->a], l->ifa, 2000, err), l);
		TRY(netns_link_wait_running(h[l->b], l->ifb, 2000, err), l);
	}
	/* the addresses too: added without DAD, yet usable only once the
	 * kernel's work queue has finished them */
	for (int i = 0; i < sc->nhosts; i++)
		if (netns_addrs_settle(h[i], 2000, err) < 0) {
			snprintf(reason, len, "%s", err);
			return -1;
		}
	for (int i = 0; i < sc->topo.nroutes; i++) {
		const struct topo_route *r = &sc->topo.routes[i];
		TRY(netns_route_add(h[r->host], r->dst, r->via[0] ? r->via : NULL,
				    r->dev[0] ? r->dev : NULL, err), r);
	}
	for (int i = 0; i < sc->topo.nnetems; i++)
		TRY(topology_netem(h[sc->topo.netems[i].host], &sc->topo.netems[i], err), &sc->topo.netems[i]);
	return 0;
}

/* Packets the kernel dropped because a CPU's receive backlog was full
 * (net.core.netdev_max_backlog): the second column of softnet_stat, summed
 * over the CPUs. The backlog is shared by every namespace, so a loaded
 * machine, not the case, can drop a case's packet there. -1 if unknown. */
static long long backlog_drops(void)
{
	FILE *f = fopen("/proc/net/softnet_stat", "r");
	long long sum = 0;
	unsigned processed, dropped;
	if (!f)
		return -1;
	while (fscanf(f, "%x %x%*[^\n]", &processed, &dropped) == 2)
		sum += dropped;
	fclose(f);
	return sum;
}

/* "known kernel bug: FIX[, FIX...]": the fixes of the bugs it showed. */
static void known_bug_reason(json_t *bugs, char *buf, size_t len)
{
	const char *fix;
	json_t *state;
	size_t at = (size_t)snprintf(buf, len, "known kernel bug:");
	json_object_foreach(bugs, fix, state)
		if (!strcmp(json_string_value(state), "has") && at < len)
			at += (size_t)snprintf(buf + at, len - at, "%s %s", at > 17 ? "," : "", fix);
}

/* The steps, in hosts already built (or, in place, none), and the result
 * line; isolation says which ("netns", "netns+userns", "in-place"). */
static int run_steps(const struct scenario *sc, struct netns_host **hosts, const struct cond_ctx *ctx,
		     const struct worker_opts *o, int fd, const char *isolation)
{
	char reason[512] = "";
	json_t *extra = json_pack("{s:s}", "isolation", isolation), *caps = json_array(), *bugs = json_object();
	struct exec_env env = { .cond = *ctx, .step_timeout_ms = o->step_timeout_ms,
				.record_cap = 1000, .fail_cap = 100, .emit = emit_step, .emit_arg = &fd,
				.capture_dir = o->capture_dir, .capture_name = o->capture_name,
				.captures = caps, .bugs = bugs, .exec_in_userns = !o->in_place };
	struct exec_counts n = { 0 };
	long long drops0 = backlog_drops();
	int rc = exec_steps(sc, hosts, &env, &n, reason, sizeof reason);
	long long drops = rc > 0 && drops0 >= 0 ? backlog_drops() - drops0 : 0;
	enum status st = rc < 0 ? ST_ERROR : rc ? ST_FAIL : n.known_bugs ? ST_KNOWN_BUG : ST_PASS;
	if (st == ST_KNOWN_BUG)
		known_bug_reason(bugs, reason, sizeof reason);
	if (drops > 0) {
		/* a dropped packet, not the kernel's answer, may be the mismatch:
		 * never reported as one, never retried behind the reader's back */
		st = ST_ERROR;
		snprintf(reason, sizeof reason, "the kernel dropped %lld packet%s at a full receive backlog "
			 "(softnet_stat; net.core.netdev_max_backlog) while this case ran: the machine is "
			 "too loaded for its answers to be trusted", drops, drops == 1 ? "" : "s");
	}
	if (json_array_size(caps))
		json_object_set(extra, "captures", caps);
	if (n.failed_suppressed)
		json_object_set_new(extra, "failed_suppressed", json_integer(n.failed_suppressed));
	if (json_object_size(bugs))
		json_object_set(extra, "bugs", bugs);
	json_decref(caps);
	json_decref(bugs);
	put_line(fd, record_result_line(st, st == ST_ERROR || st == ST_KNOWN_BUG ? reason : NULL,
					n.suppressed, extra));
	return 0;
}

static int run_built(const struct scenario *sc, struct netns_host **hosts,
		     const struct cond_ctx *ctx, const struct worker_opts *o, int fd, int rootless)
{
	char reason[512] = "";
	const struct requirement *unmet = unmet_in_host(sc, hosts[0]);
	if (unmet) {
		snprintf(reason, sizeof reason, "requires %s", unmet->text);
		return finish(fd, ST_SKIP, reason, 0);
	}
	if (build(sc, hosts, reason, sizeof reason) < 0)
		return finish(fd, ST_ERROR, reason, 0);
	return run_steps(sc, hosts, ctx, o, fd, rootless ? "netns+userns" : "netns");
}

/* In place: the requirements read here, then the steps, changing nothing. */
static int run_in_place(const struct scenario *sc, const struct cond_ctx *ctx,
			const struct worker_opts *o, int fd)
{
	char reason[512], buf[256];
	if (inplace_obstacle(sc, reason, sizeof reason))
		return finish(fd, ST_SKIP, reason, 0);
	for (int i = 0; i < sc->nreqs; i++) {
		const struct requirement *r = &sc->reqs[i];
		int unmet = r->kind == REQ_PROTOCOL ? protocol_missing(r->proto)
			: r->kind == REQ_SYSCTL ? sysctl_here(r->name, buf, sizeof buf) < 0
			: r->kind == REQ_IPV6 ? sysctl_here("net.ipv6.conf.all.disable_ipv6", buf, sizeof buf) < 0 ||
						!strcmp(buf, "1")
			: 0;
		if (unmet) {
			snprintf(reason, sizeof reason, "requires %s", r->text);
			return finish(fd, ST_SKIP, reason, 0);
		}
	}
	struct netns_host *none[16] = { 0 };    /* every step runs where we are */
	return run_steps(sc, none, ctx, o, fd, "in-place");
}

void worker_raise_nofile(void)
{
	struct rlimit rl;
	unsigned long nr_open = 0;
	FILE *f = fopen("/proc/sys/fs/nr_open", "r");
	if (f && fscanf(f, "%lu", &nr_open) != 1)
		nr_open = 0;
	if (f)
		fclose(f);
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (nr_open > rl.rlim_max) {
		struct rlimit more = { nr_open, nr_open };
		if (!setrlimit(RLIMIT_NOFILE, &more))
			return;
	}
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

int worker_main(const struct scenario *sc, const struct worker_opts *o, int fd)
{
	char err[NETNS_ERRLEN];
	/* A case that runs programs is built in a user namespace whose root is
	 * nobody on the machine, even by root (netns_become_contained): its
	 * programs then configure its hosts, and nothing else. Its steps have
	 * what a rootless run has. */
	int contained = sc->uses_exec && !o->in_place, rootless = geteuid() != 0 || contained;
	struct cond_ctx ctx = { .kernel = o->kernel, .platform = o->platform,
				.privilege = rootless ? "rootless" : "root",
				.variant_values = (const char *const *)sc->variant_values,
				.in_place = o->in_place };
	if (sc->uses_exec && !o->allow_exec)    /* a ticket's case runs nothing unasked */
		return finish(fd, ST_SKIP, "runs programs (exec): needs --allow-exec", 0);
	const struct requirement *unmet = unmet_early(sc, &ctx);
	if (unmet) {
		char reason[256];
		snprintf(reason, sizeof reason, "requires %s", unmet->text);
		return finish(fd, ST_SKIP, reason, 0);
	}
	if (!sc->nhosts)
		return finish(fd, ST_ERROR, "the case declares no host", 0);
	if (o->in_place)
		return run_in_place(sc, &ctx, o, fd);
	if (o->no_netns)
		return finish(fd, ST_SKIP, o->no_netns, 0);
	if ((contained ? netns_become_contained : netns_become_root)(&rootless, err) < 0)
		return finish(fd, ST_ERROR, err, 0);
	struct netns_host *hosts[16] = { 0 };
	int made = 1;
	for (int i = 0; i < sc->nhosts && made; i++)
		made = netns_host_new(sc->hosts[i], &hosts[i], err) == 0;
	if (made)
		run_built(sc, hosts, &ctx, o, fd, rootless);
	else
		finish(fd, ST_ERROR, err, 0);
	for (int i = 0; i < sc->nhosts; i++)
		netns_host_free(hosts[i]);
	return 0;
}
