/* netns queueing: netem as a link's root qdisc, as `tc qdisc replace dev
 * IF root handle 1: netem ...` would make it, and its removal. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include <linux/pkt_sched.h>
#include <netlink/msg.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/netem.h>
#include <netlink/route/tc.h>

#include "internal.h"

#define NETEM_HANDLE TC_HANDLE(1, 0)
/* netem's qopt carries delay and jitter in 32-bit psched ticks of 64 ns
 * (/proc/net/psched), and libnl 3.7 sets no TCA_NETEM_LATENCY64. */
#define NETEM_MAX_US 274000000u

/* A percentage as netem's u32 probability: UINT32_MAX is 100%. libnl's
 * setters store what they are given as is; they take an int, and gcc
 * converts a u32 above INT_MAX to int and back unchanged. */
static int netem_prob(double pct)
{
	return (int)(uint32_t)(pct / 100.0 * UINT32_MAX + 0.5);
}

/* NULL, or why n is not a netem tc would make. */
static const char *netem_invalid(const struct netns_netem *n)
{
	const double pct[] = {n->loss, n->duplicate, n->corrupt, n->reorder};

	for (size_t i = 0; i < sizeof(pct) / sizeof(pct[0]); i++)
		if (!(pct[i] >= 0 && pct[i] <= 100))
			return "loss, duplicate, corrupt and reorder are 0 to 100 (percent)";
	if (n->delay_us > NETEM_MAX_US || n->jitter_us > NETEM_MAX_US)
		return "delay and jitter are at most 274 s";
	if (n->reorder > 0 && n->delay_us == 0)
		return "reorder needs a delay (netem reorders by sending some packets at once)";
	if (n->gap && n->reorder == 0)
		return "gap needs reorder";
	if (n->limit > INT_MAX || n->gap > INT_MAX)
		return "limit and gap are at most INT_MAX";
	if (n->rate_bps && n->rate_bps < 8)
		return "rate is at least 8 bit/s (netem counts bytes)";
	return NULL;
}

static int netem_qdisc(int idx, const struct netns_netem *n, struct rtnl_qdisc **out)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	int rc;

	*out = NULL;
	if (!q)
		return -NLE_NOMEM;
	rtnl_tc_set_ifindex(TC_CAST(q), idx);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	rtnl_tc_set_handle(TC_CAST(q), NETEM_HANDLE);
	rc = rtnl_tc_set_kind(TC_CAST(q), "netem");
	if (rc < 0) {
		rtnl_qdisc_put(q);
		return rc;
	}
	/* libnl turns microseconds into ticks, and makes gap 1 when reorder
	 * comes without one (as tc does: with gap 0 netem never reorders). */
	if (n->delay_us)
		rtnl_netem_set_delay(q, (int)n->delay_us);
	if (n->jitter_us)
		rtnl_netem_set_jitter(q, (int)n->jitter_us);
	if (n->loss > 0)
		rtnl_netem_set_loss(q, netem_prob(n->loss));
	if (n->duplicate > 0)
		rtnl_netem_set_duplicate(q, netem_prob(n->duplicate));
	if (n->corrupt > 0)
		rtnl_netem_set_corruption_probability(q, netem_prob(n->corrupt));
	if (n->reorder > 0)
		rtnl_netem_set_reorder_probability(q, netem_prob(n->reorder));
	if (n->gap)
		rtnl_netem_set_gap(q, (int)n->gap);
	if (n->limit)
		rtnl_netem_set_limit(q, (int)n->limit);
	*out = q;
	return 0;
}

/* libnl 3.7's netem fill, stretching TCA_OPTIONS over the attributes it
 * appends (TCA_NETEM_REORDER, ...), adds their size to nlmsg_len a second
 * time: that many zero bytes follow TCA_OPTIONS. Cut them (0), or -EPROTO
 * when TCA_OPTIONS is not last, or something else follows it. */
static int netem_trim(struct nlmsghdr *nlh, const struct nlattr *opts)
{
	const char *end = (const char *)opts + NLA_ALIGN(opts->nla_len);
	const char *tail = nlmsg_tail(nlh);

	if (end > tail)
		return -EPROTO;
	for (const char *p = end; p < tail; p++)
		if (*p)
			return -EPROTO;
	nlh->nlmsg_len = (uint32_t)(end - (const char *)nlh);
	return 0;
}

/* libnl 3.7 never sends TCA_NETEM_RATE, and sends TCA_NETEM_REORDER and
 * TCA_NETEM_CORRUPT only when nonzero; but netem_change keeps the old
 * value of each attribute left out, so replacing netem by netem would keep
 * a previous rate, reorder or corruption. So they all go in here, zero
 * meaning none, at the end of TCA_OPTIONS: netem reads its options as a
 * struct tc_netem_qopt followed by attributes, and libnl leaves
 * TCA_OPTIONS last. 0 or -errno. */
static int netem_extend(struct nl_msg *msg, const struct netns_netem *n)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *opts = nlmsg_find_attr(nlh, sizeof(struct tcmsg), TCA_OPTIONS);
	unsigned long long bytes = n->rate_bps / 8;	/* netem's rate is bytes/s */
	struct tc_netem_rate rate = {.rate = bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)bytes};
	struct tc_netem_reorder no_reorder = {0};
	struct tc_netem_corrupt no_corrupt = {0};
	size_t off;

	if (!opts || netem_trim(nlh, opts) < 0)
		return -EPROTO;
	off = (size_t)((char *)opts - (char *)nlh);
	/* Above 2^32-1 bytes/s, tc's way: u32 saturated, the rate in RATE64. */
	if (nla_put(msg, TCA_NETEM_RATE, sizeof(rate), &rate) < 0 ||
	    (bytes > UINT32_MAX && nla_put_u64(msg, TCA_NETEM_RATE64, bytes) < 0) ||
	    (n->reorder <= 0 && nla_put(msg, TCA_NETEM_REORDER, sizeof(no_reorder), &no_reorder) < 0) ||
	    (n->corrupt <= 0 && nla_put(msg, TCA_NETEM_CORRUPT, sizeof(no_corrupt), &no_corrupt) < 0))
		return -EMSGSIZE;
	nlh = nlmsg_hdr(msg);
	opts = (struct nlattr *)((char *)nlh + off);
	opts->nla_len = (uint16_t)((char *)nlmsg_tail(nlh) - (char *)opts);
	return 0;
}

/* 0, a negative NLE_* code from libnl or the kernel, or (with *sys set)
 * a negative errno of our own. */
static int netem_send(struct netns_host *h, int idx, const struct netns_netem *n, int *sys)
{
	struct rtnl_qdisc *q;
	struct nl_msg *msg = NULL;
	int rc = netem_qdisc(idx, n, &q);

	*sys = 0;
	if (rc < 0)
		return rc;
	rc = rtnl_qdisc_build_add_request(q, NLM_F_CREATE | NLM_F_REPLACE, &msg);
	rtnl_qdisc_put(q);
	if (rc < 0)
		return rc;
	rc = netem_extend(msg, n);
	if (rc < 0)
		*sys = 1;
	else if ((rc = nl_send_auto(h->sk, msg)) >= 0)
		rc = nl_wait_for_ack(h->sk);
	nlmsg_free(msg);
	return rc < 0 ? rc : 0;
}

int netns_netem_set(struct netns_host *h, const char *ifname, const struct netns_netem *n,
		    char *err)
{
	const char *why = n ? netem_invalid(n) : "no parameters";
	int idx = 0, sys = 0, rc;

	if (why)
		return netns_fail(err, -EINVAL, "netem on %s:%s: %s", h->name,
				  ifname ? ifname : "(null)", why);
	rc = netns_ifindex(h, ifname, &idx);
	if (rc == 0)
		rc = netem_send(h, idx, n, &sys);
	if (rc < 0 && sys)
		return netns_fail(err, rc, "netem on %s:%s: building the request", h->name, ifname);
	if (rc < 0)
		return netns_nl_fail(h, rc, err, "netem on %s:%s", h->name, ifname);
	return 0;
}

int netns_netem_clear(struct netns_host *h, const char *ifname, char *err)
{
	struct rtnl_qdisc *q = NULL;
	int idx = 0, rc = netns_ifindex(h, ifname, &idx);

	if (rc == 0 && !(q = rtnl_qdisc_alloc()))
		rc = -NLE_NOMEM;
	/* Only a netem: with TCA_KIND the kernel refuses (EINVAL) to delete
	 * a root qdisc of another kind, or the device's default. */
	if (rc == 0) {
		rtnl_tc_set_ifindex(TC_CAST(q), idx);
		rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
		rc = rtnl_tc_set_kind(TC_CAST(q), "netem");
	}
	if (rc == 0)
		rc = rtnl_qdisc_delete(h->sk, q);
	if (q)
		rtnl_qdisc_put(q);
	if (rc < 0)
		return netns_nl_fail(h, rc, err, "netem off %s:%s", h->name, ifname ? ifname : "(null)");
	return 0;
}
