/* netns links: veth pairs and the few link attributes a case can set. */
#include <errno.h>
#include <poll.h>
#include <time.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>

#include <linux/if.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>

#include "internal.h"

/* libnl's rtnl_link_set_name cuts a name to IFNAMSIZ - 1 without a word, so
 * "averyveryverylongname" would quietly become "averyveryverylo". */
static int ifname_ok(const char *s)
{
	return s && *s && strlen(s) < IFNAMSIZ;
}

/* The kernel's copy of ifname; 0 or a negative NLE_* code. */
static int link_get(struct netns_host *h, const char *ifname, struct rtnl_link **out)
{
	*out = NULL;
	if (!ifname_ok(ifname))
		return -NLE_INVAL;
	return rtnl_link_get_kernel(h->sk, 0, ifname, out);
}

void netns_if_remember(struct netns_host *h, const char *ifname, int idx)
{
	if (h->nifs == (int)(sizeof h->ifs / sizeof *h->ifs))
		return;
	snprintf(h->ifs[h->nifs].name, sizeof h->ifs[0].name, "%s", ifname);
	h->ifs[h->nifs++].index = idx;
}

static int if_known(const struct netns_host *h, const char *ifname)
{
	for (int i = 0; i < h->nifs; i++)
		if (!strcmp(h->ifs[i].name, ifname))
			return h->ifs[i].index;
	return 0;
}

int netns_ifindex(struct netns_host *h, const char *ifname, int *idx)
{
	struct rtnl_link *link;
	int rc;

	if ((*idx = if_known(h, ifname)) > 0)
		return 0;
	rc = link_get(h, ifname, &link);

	if (rc < 0)
		return rc;
	*idx = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	return 0;
}

int netns_link_index(struct netns_host *h, const char *ifname, char *err)
{
	int idx = 0, rc = netns_ifindex(h, ifname, &idx);

	if (rc < 0)
		return netns_nl_fail(h, rc, err, "link %s:%s", h->name, ifname);
	return idx;
}

int netns_veth_add(struct netns_host *a, const char *ifa,
		   struct netns_host *b, const char *ifb, char *err)
{
	struct rtnl_link *veth, *peer;
	int rc;

	if (!ifname_ok(ifa) || !ifname_ok(ifb))
		return netns_fail(err, -EINVAL, "veth %s:%s <-> %s:%s: interface names "
				  "are 1 to %d bytes", a->name, ifa ? ifa : "(null)",
				  b->name, ifb ? ifb : "(null)", IFNAMSIZ - 1);
	veth = rtnl_link_veth_alloc();
	if (!veth)
		return netns_fail(err, -ENOMEM, "veth %s:%s <-> %s:%s",
				  a->name, ifa, b->name, ifb);
	/* With the indexes we pick, and ifa up in the same request. Not the
	 * peer: the kernel opens it before the pair is joined (veth_open
	 * answers ENOTCONN), so it comes up in a second request. */
	int ia = a->next_index++, ib = b->next_index++;
	/* Never the same index at both ends: linkwatch counts a link whose
	 * index differs from its peer's (iflink) as urgent and attaches its
	 * queue at once; with equal indexes the carrier event waits for the
	 * next linkwatch round, up to a second, and packets sent meanwhile are
	 * dropped. */
	if (ib == ia)
		ib = b->next_index++;
	rtnl_link_set_name(veth, ifa);
	rtnl_link_set_ifindex(veth, ia);
	rtnl_link_set_flags(veth, IFF_UP);
	peer = rtnl_link_veth_get_peer(veth);
	rtnl_link_set_name(peer, ifb);
	rtnl_link_set_ifindex(peer, ib);
	rtnl_link_set_ns_fd(peer, b->fd);
	rtnl_link_put(peer);
	rc = rtnl_link_add(a->sk, veth, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(veth);
	if (rc < 0)
		return netns_nl_fail(a, rc, err, "veth %s:%s <-> %s:%s",
				     a->name, ifa, b->name, ifb);
	netns_if_remember(a, ifa, ia);
	netns_if_remember(b, ifb, ib);
	return netns_link_set_up(b, ifb, 1, err);
}

/* Apply chg (consumed) to ifname; the kernel's copy supplies the index and
 * the flags chg leaves alone. */
static int link_change(struct netns_host *h, const char *ifname,
		       struct rtnl_link *chg, const char *what, char *err)
{
	struct rtnl_link *cur = NULL;
	int known = ifname_ok(ifname) ? if_known(h, ifname) : 0;
	int rc = !chg ? -NLE_NOMEM : known ? 0 : link_get(h, ifname, &cur);

	/* For a link we made, its index is all the change request needs. */
	if (rc == 0 && known && !(cur = rtnl_link_alloc()))
		rc = -NLE_NOMEM;
	else if (rc == 0 && known)
		rtnl_link_set_ifindex(cur, known);

	if (rc == 0)
		rc = rtnl_link_change(h->sk, cur, chg, 0);
	if (cur)
		rtnl_link_put(cur);
	if (chg)
		rtnl_link_put(chg);
	if (rc < 0)
		return netns_nl_fail(h, rc, err, "%s", what);
	return 0;
}

static int link_flag(struct netns_host *h, const char *ifname, unsigned flag,
		     int on, const char *what, char *err)
{
	struct rtnl_link *chg = rtnl_link_alloc();

	if (chg && on)
		rtnl_link_set_flags(chg, flag);
	else if (chg)
		rtnl_link_unset_flags(chg, flag);
	return link_change(h, ifname, chg, what, err);
}

int netns_link_set_up(struct netns_host *h, const char *ifname, int up, char *err)
{
	char what[96];

	snprintf(what, sizeof(what), "link %s:%s %s", h->name, ifname,
		 up ? "up" : "down");
	return link_flag(h, ifname, IFF_UP, up, what, err);
}

int netns_link_set_multicast(struct netns_host *h, const char *ifname, int on, char *err)
{
	char what[96];

	snprintf(what, sizeof(what), "link %s:%s multicast %s", h->name, ifname,
		 on ? "on" : "off");
	return link_flag(h, ifname, IFF_MULTICAST, on, what, err);
}

int netns_link_set_mtu(struct netns_host *h, const char *ifname, unsigned mtu, char *err)
{
	struct rtnl_link *chg = rtnl_link_alloc();
	char what[96];

	snprintf(what, sizeof(what), "link %s:%s mtu %u", h->name, ifname, mtu);
	if (chg)
		rtnl_link_set_mtu(chg, mtu);
	return link_change(h, ifname, chg, what, err);
}

/* 1 when buf holds an RTM_NEWLINK for idx with IFF_RUNNING. */
static int running_event(const char *buf, ssize_t n, int idx)
{
	for (const struct nlmsghdr *m = (const void *)buf; NLMSG_OK(m, (size_t)n); m = NLMSG_NEXT(m, n)) {
		const struct ifinfomsg *ifi = NLMSG_DATA(m);
		if (m->nlmsg_type == RTM_NEWLINK && ifi->ifi_index == idx && (ifi->ifi_flags & IFF_RUNNING))
			return 1;
	}
	return 0;
}

int netns_link_wait_running(struct netns_host *h, const char *ifname, int timeout_ms, char *err)
{
	int idx = netns_link_index(h, ifname, err);
	if (idx < 0)
		return idx;
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		char buf[8192] __attribute__((aligned(4)));
		ssize_t n = recv(h->events, buf, sizeof buf, 0);
		if (n > 0 && running_event(buf, n, idx))
			return 0;
		if (n > 0 || (n < 0 && errno == EINTR))
			continue;
		if (n < 0 && errno != EAGAIN)
			return netns_fail(err, -errno, "link %s:%s: reading link events", h->name, ifname);
		clock_gettime(CLOCK_MONOTONIC, &t);
		long left = timeout_ms - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			return netns_fail(err, -ETIMEDOUT, "link %s:%s: not running after %d ms (no carrier?)",
					  h->name, ifname, timeout_ms);
		struct pollfd p = { .fd = h->events, .events = POLLIN };
		poll(&p, 1, (int)left);
	}
}

int netns_bridge_add(struct netns_host *h, const char *name, char *err)
{
	if (!ifname_ok(name))
		return netns_fail(err, -EINVAL, "bridge %s:%s: a name of 1 to %d bytes", h->name,
				  name ? name : "(null)", IFNAMSIZ - 1);
	struct rtnl_link *br = rtnl_link_bridge_alloc();
	if (!br)
		return netns_fail(err, -ENOMEM, "bridge %s:%s", h->name, name);
	int idx = h->next_index++;
	rtnl_link_set_name(br, name);
	rtnl_link_set_ifindex(br, idx);
	rtnl_link_set_flags(br, IFF_UP);
	int rc = rtnl_link_add(h->sk, br, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(br);
	if (rc < 0)
		return netns_nl_fail(h, rc, err, "bridge %s:%s", h->name, name);
	netns_if_remember(h, name, idx);
	return 0;
}

int netns_link_set_master(struct netns_host *h, const char *ifname, const char *master, char *err)
{
	char what[96];
	int idx = netns_link_index(h, master, err);
	if (idx < 0)
		return idx;
	snprintf(what, sizeof(what), "link %s:%s master %s", h->name, ifname, master);
	struct rtnl_link *chg = rtnl_link_alloc();
	if (chg)
		rtnl_link_set_master(chg, idx);
	return link_change(h, ifname, chg, what, err);
}
