/* The network changing while the steps run: topology lines as steps,
 * `wait HOST:IF dad`, and the packet captures `packets()` counts. */
#include "capture.h"
#include "exec_int.h"
#include "netns.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* How long a link that came up may take to have its queue attached. */
#define SETTLE_MS 2000

static void netem_of(const struct topo_netem *t, struct netns_netem *n)
{
	*n = (struct netns_netem){
		.delay_us = t->delay_us, .jitter_us = t->jitter_us, .loss = t->loss,
		.duplicate = t->duplicate, .corrupt = t->corrupt, .reorder = t->reorder,
		.rate_bps = t->rate_bps, .limit = t->limit, .gap = t->gap,
	};
}

int topology_netem(struct netns_host *h, const struct topo_netem *t, char *err)
{
	struct netns_netem n;
	if (t->off)
		return netns_netem_clear(h, t->ifname, err);
	netem_of(t, &n);
	return netns_netem_set(h, t->ifname, &n, err);
}

/* "cases/x[v=1]" → "cases_x_v_1_": a file name that stays in its folder. */
static void file_safe(const char *s, char *out, size_t len)
{
	size_t i = 0;
	for (; s[i] && i + 1 < len; i++)
		out[i] = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
			 (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '.' ? s[i] : '_';
	out[i] = '\0';
	if (out[0] == '.')
		out[0] = '_';
}

static struct run_capture *capture_find(struct run *r, int host, const char *ifname)
{
	for (int i = 0; i < r->ncaps; i++)
		if (r->caps[i].host == host && !strcmp(r->caps[i].ifname, ifname))
			return &r->caps[i];
	return NULL;
}

/* Starts capturing on host:ifname ("" for all its interfaces) into memory
 * and, with a capture folder, into DIR/CASE/HOST-IF.pcap. */
int capture_start(struct run *r, int host, const char *ifname, char *err, size_t len)
{
	if (capture_find(r, host, ifname))
		return snprintf(err, len, "%s%s%s is captured already", r->sc->hosts[host],
				ifname[0] ? ":" : "", ifname), -EEXIST;
	if (run_enter(r, host) < 0)
		return snprintf(err, len, "%s", r->reason), -EIO;
	char *path = NULL, *name = NULL, dir[4096], id[256];
	if (r->env->capture_dir) {
		file_safe(r->sc->id, id, sizeof id);
		snprintf(dir, sizeof dir, "%s/%s", r->env->capture_dir, id);
		if (mkdir(r->env->capture_dir, 0755) < 0 && errno != EEXIST)
			return snprintf(err, len, "%s: %s", r->env->capture_dir, strerror(errno)), -errno;
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return snprintf(err, len, "%s: %s", dir, strerror(errno)), -errno;
		const char *base = r->env->capture_name ? r->env->capture_name : r->env->capture_dir;
		const char *h = r->sc->hosts[host], *i = ifname[0] ? ifname : "all";
		if (asprintf(&path, "%s/%s-%s.pcap", dir, h, i) < 0 ||
		    asprintf(&name, "%s/%s/%s-%s.pcap", base, id, h, i) < 0) {
			free(path);
			return snprintf(err, len, "out of memory"), -ENOMEM;
		}
	}
	struct capture *c = capture_open(ifname[0] ? ifname : NULL, path, err, len);
	struct run_capture *grown = c ? realloc(r->caps, (size_t)(r->ncaps + 1) * sizeof *r->caps) : NULL;
	free(path);
	if (!grown) {
		if (c)
			capture_close(c, NULL);
		free(name);
		return c ? (snprintf(err, len, "out of memory"), -ENOMEM) : -EIO;
	}
	r->caps = grown;
	struct run_capture *rc = &r->caps[r->ncaps++];
	*rc = (struct run_capture){ .host = host, .c = c, .path = name };
	snprintf(rc->ifname, sizeof rc->ifname, "%s", ifname);
	return 0;
}

/* Reads what each capture's ring holds into memory and its file: after
 * every step, so that a burst between two packets() steps does not
 * overflow the ring (its drops would be counted, but the frames lost). */
void captures_drain(struct run *r)
{
	char err[CAPTURE_ERRLEN];
	for (int i = 0; i < r->ncaps; i++)
		capture_drain(r->caps[i].c, err, sizeof err);
}

/* Closes every capture, and says in the record what each one saw. */
void captures_finish(struct run *r)
{
	for (int i = 0; i < r->ncaps; i++) {
		struct run_capture *c = &r->caps[i];
		struct capture_stats st = { 0 };
		capture_close(c->c, &st);
		if (r->env->captures)
			json_array_append_new(r->env->captures, json_pack(
				"{s:s, s:s?, s:s?, s:I, s:I, s:I, s:I}", "host", r->sc->hosts[c->host],
				"interface", c->ifname[0] ? c->ifname : NULL, "file", c->path,
				"frames", (json_int_t)st.frames, "not_kept", (json_int_t)st.not_kept,
				"dropped", (json_int_t)st.kernel_dropped, "if_dropped", (json_int_t)st.if_dropped));
		free(c->path);
	}
	free(r->caps);
	r->caps = NULL;
	r->ncaps = 0;
}

/* One topology line, in the order the worker builds one too. */
static int apply(struct run *r, const struct topology *t, char *err)
{
	struct netns_host **h = r->hosts;
	int rc = 0;
	for (int i = 0; rc == 0 && i < t->nsysctls; i++)
		rc = netns_sysctl_set(h[t->sysctls[i].host], t->sysctls[i].name, t->sysctls[i].value, err);
	for (int i = 0; rc == 0 && i < t->nlinks; i++) {
		const struct topo_link *l = &t->links[i];
		if (l->del) {
			rc = netns_link_del(h[l->a], l->ifa, err);
			continue;
		}
		rc = netns_veth_add(h[l->a], l->ifa, h[l->b], l->ifb, err);
		if (rc == 0)
			rc = netns_link_settle(h[l->a], l->ifa, SETTLE_MS, err);
		if (rc == 0)    /* its peer too, when the host's table could not say */
			rc = netns_link_settle(h[l->b], l->ifb, SETTLE_MS, err);
	}
	for (int i = 0; rc == 0 && i < t->nsets; i++) {
		const struct topo_set *s = &t->sets[i];
		if (s->kind == SET_UP || s->kind == SET_DOWN)
			rc = netns_link_set_up(h[s->host], s->ifname, s->kind == SET_UP, err);
		else if (s->kind == SET_MTU)
			rc = netns_link_set_mtu(h[s->host], s->ifname, s->mtu, err);
		else
			rc = netns_link_set_multicast(h[s->host], s->ifname, s->kind == SET_MULTICAST_ON, err);
		if (rc == 0 && s->kind == SET_UP)   /* no packet of the next step lost */
			rc = netns_link_settle(h[s->host], s->ifname, SETTLE_MS, err);
		for (int k = 0; rc == 0 && s->kind == SET_UP && k < r->sc->nhosts; k++)
			rc = netns_addrs_settle(h[k], SETTLE_MS, err);  /* the peer's host gets carrier too */
	}
	for (int i = 0; rc == 0 && i < t->naddrs; i++) {
		const struct topo_addr *a = &t->addrs[i];
		rc = a->del ? netns_addr_del(h[a->host], a->ifname, a->cidr, err)
			: netns_addr_add(h[a->host], a->ifname, a->cidr, a->dad, err);
		if (rc == 0 && !a->del && !a->dad)  /* usable by the next step */
			rc = netns_addrs_settle(h[a->host], SETTLE_MS, err);
	}
	for (int i = 0; rc == 0 && i < t->nroutes; i++) {
		const struct topo_route *ro = &t->routes[i];
		const char *via = ro->via[0] ? ro->via : NULL, *dev = ro->dev[0] ? ro->dev : NULL;
		rc = ro->del ? netns_route_del(h[ro->host], ro->dst, via, dev, err)
			: netns_route_add(h[ro->host], ro->dst, via, dev, err);
	}
	for (int i = 0; rc == 0 && i < t->nnetems; i++)
		rc = topology_netem(h[t->netems[i].host], &t->netems[i], err);
	for (int i = 0; rc == 0 && i < t->ncaptures; i++)
		rc = capture_start(r, t->captures[i].host, t->captures[i].ifname, err, NETNS_ERRLEN);
	return rc;
}

void call_topology(struct run *r, const struct step *st, struct outcome *o)
{
	char err[NETNS_ERRLEN] = "";
	int rc = apply(r, st->topo, err);
	r->cur_host = -1;       /* a sysctl or a capture enters its host */
	if (rc < 0) {
		o->ret = -1;
		o->failed = 1;
		o->err = -rc;
		snprintf(o->detail, sizeof o->detail, "%s", err);
	}
}

void call_wait(struct run *r, const struct step *st, struct outcome *o)
{
	char err[NETNS_ERRLEN], state[64] = "";
	const struct arg *a = &st->args[0];
	int rc = netns_addr_dad(r->hosts[a->i], a->str, r->env->step_timeout_ms, state, sizeof state, err);
	if (rc < 0) {
		o->ret = -1;
		o->failed = 1;
		o->err = -rc;
		snprintf(o->detail, sizeof o->detail, "%s", err);
		return;
	}
	int found = 0;
	char word[32];
	snprintf(word, sizeof word, "%.*s", (int)strcspn(state, ":"), state);
	o->ret = table_find(tbl_dad, word, &found);
	if (!found)
		o->ret = -1;
	snprintf(o->detail, sizeof o->detail, "%s", state);
}

static long ms_left(const struct timespec *deadline)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

/* packets(HOST:IF, "FILTER"): the count of matching frames so far. A frame
 * from the other end of a link may still be on its way, so when the count
 * is not what the step expects it waits for more frames, bounded by the
 * step timeout; a count that is already right is answered at once. */
void call_packets(struct run *r, const struct step *st, struct outcome *o)
{
	const struct arg *where = &st->args[0], *filter = &st->args[1];
	struct run_capture *c = capture_find(r, (int)where->i, where->str);
	if (!c) {
		o->ret = -1;
		o->failed = 1;
		o->err = ENOENT;
		snprintf(o->detail, sizeof o->detail, "no capture of %s%s%s has started", r->sc->hosts[where->i],
			 where->str[0] ? ":" : "", where->str);
		return;
	}
	const struct expect *e = expect_pick(st, &r->env->cond);
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += r->env->step_timeout_ms / 1000;
	deadline.tv_nsec += (long)(r->env->step_timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	for (;;) {
		char err[CAPTURE_ERRLEN];
		long n = capture_count(c->c, filter->str, err, sizeof err);
		if (n < 0) {
			o->ret = -1;
			o->failed = 1;
			o->err = EINVAL;
			snprintf(o->detail, sizeof o->detail, "%.*s", (int)sizeof o->detail - 1, err);
			return;
		}
		o->ret = n;
		long left = ms_left(&deadline);
		if (!e || e->kind == EXP_NONE || expect_match(e, o, r->vals) || left <= 0)
			break;
		struct pollfd p = { .fd = capture_fd(c->c), .events = POLLIN };
		poll(&p, 1, (int)left);
	}
	struct capture_stats cs;
	capture_stats(c->c, &cs);
	snprintf(o->detail, sizeof o->detail, "of %lu frames%s", cs.frames,
		 cs.not_kept ? " (some not kept in memory: a lower bound)" : "");
}

/* sysctl(net.NAME): the value's text; its first two numbers as a pair and
 * the first alone as the value, for `= LO HI` and predicates. */
void call_sysctl(struct run *r, const struct step *st, struct outcome *o)
{
	char err[NETNS_ERRLEN], *buf = run_buf(r, 4096);
	struct netns_host *h = r->hosts[st->host];     /* NULL in place: here */
	int rc = buf ? netns_sysctl_get(h, st->args[0].str, buf, 4096, err) : -ENOMEM;
	if (rc < 0) {
		o->ret = -1;
		o->failed = 1;
		o->err = -rc;
		snprintf(o->detail, sizeof o->detail, "%.*s", (int)sizeof o->detail - 1, buf ? err : "out of memory");
		return;
	}
	o->data = buf;
	o->len = o->truelen = strlen(buf);
	long field = st->nargs > 1 ? int_arg(r, &st->args[1]) : 1, nums[16];
	int n = 0;
	for (char *p = buf, *end; n < 16; p = end) {
		nums[n] = strtol(p, &end, 10);
		if (end == p)
			break;
		n++;
	}
	o->pair[0] = n > 0 ? nums[0] : 0;
	o->pair[1] = n > 1 ? nums[1] : 0;
	if (field < 1 || field > n) {   /* no such number in the value */
		o->ret = -1;
		o->failed = 1;
		o->err = ERANGE;
		snprintf(o->detail, sizeof o->detail, "the value \"%.64s\" has %d number%s", buf, n, n == 1 ? "" : "s");
		return;
	}
	o->ret = nums[field - 1];
}
