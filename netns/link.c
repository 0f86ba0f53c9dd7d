/* netns links: veth pairs and the few link attributes a case can set. */
#include <errno.h>
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

int netns_link_get(struct netns_host *h, const char *ifname, struct rtnl_link **out)
{
	*out = NULL;
	if (!ifname_ok(ifname))
		return -NLE_INVAL;
	return rtnl_link_get_kernel(h->sk, 0, ifname, out);
}

#define IFS_MAX ((int)(sizeof(((struct netns_host *)0)->ifs) / sizeof(struct netns_if)))

struct netns_if *netns_if_remember(struct netns_host *h, const char *ifname, int idx)
{
	struct netns_if *e;

	if (h->nifs == IFS_MAX)
		return NULL;
	e = &h->ifs[h->nifs++];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", ifname);
	e->index = idx;
	return e;
}

struct netns_if *netns_if_find(struct netns_host *h, const char *ifname)
{
	for (int i = 0; i < h->nifs; i++)
		if (!strcmp(h->ifs[i].name, ifname))
			return &h->ifs[i];
	return NULL;
}

/* Drop e from h's table; the last entry takes its slot. */
static void if_drop(struct netns_host *h, struct netns_if *e)
{
	struct netns_if *last = &h->ifs[h->nifs - 1];

	if (e != last)
		*e = *last;
	h->nifs--;
}

void netns_if_forget(struct netns_host *h, const char *ifname)
{
	struct netns_if *e = netns_if_find(h, ifname), *pe;
	struct netns_host *peer;
	char peer_name[sizeof(e->peer_name)];

	if (!e)
		return;
	peer = e->peer;
	memcpy(peer_name, e->peer_name, sizeof(peer_name));
	if_drop(h, e);
	if (peer && (pe = netns_if_find(peer, peer_name)) && pe->peer == h)
		if_drop(peer, pe);
}

void netns_if_unlink_peers(struct netns_host *h)
{
	for (int i = 0; i < h->nifs; i++) {
		struct netns_if *e = &h->ifs[i], *pe;

		if (e->peer && e->peer != h && (pe = netns_if_find(e->peer, e->peer_name)) &&
		    pe->peer == h)
			pe->peer = NULL;
	}
}

static int if_known(struct netns_host *h, const char *ifname)
{
	const struct netns_if *e = netns_if_find(h, ifname);

	return e ? e->index : 0;
}

/* Both ends of a pair, each knowing the other, or neither: a peer link
 * that went one way only could leave a stale entry behind when the other
 * end is deleted. */
static void veth_remember(struct netns_host *a, const char *ifa, int ia,
			  struct netns_host *b, const char *ifb, int ib)
{
	struct netns_if *ea, *eb;

	if (IFS_MAX - a->nifs < 1 + (a == b) || IFS_MAX - b->nifs < 1)
		return;
	ea = netns_if_remember(a, ifa, ia);
	eb = netns_if_remember(b, ifb, ib);
	ea->peer = b;
	snprintf(ea->peer_name, sizeof(ea->peer_name), "%s", ifb);
	eb->peer = a;
	snprintf(eb->peer_name, sizeof(eb->peer_name), "%s", ifa);
}

int netns_ifindex(struct netns_host *h, const char *ifname, int *idx)
{
	struct rtnl_link *link;
	int rc;

	*idx = 0;
	if (!ifname_ok(ifname))
		return -NLE_INVAL;
	if ((*idx = if_known(h, ifname)) > 0)
		return 0;
	rc = netns_link_get(h, ifname, &link);
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
	return netns_veth_add_ends(a, ifa, 1, b, ifb, 1, err);
}

int netns_veth_add_ends(struct netns_host *a, const char *ifa, int up_a,
			struct netns_host *b, const char *ifb, int up_b, char *err)
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
	if (up_a)
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
	veth_remember(a, ifa, ia, b, ifb, ib);
	return up_b ? netns_link_set_up(b, ifb, 1, err) : 0;
}

int netns_link_del(struct netns_host *h, const char *ifname, char *err)
{
	struct rtnl_link *link;
	int rc;

	if (!ifname_ok(ifname))
		return netns_fail(err, -EINVAL, "link %s:%s del: a name of 1 to %d bytes",
				  h->name, ifname ? ifname : "(null)", IFNAMSIZ - 1);
	link = rtnl_link_alloc();
	if (!link)
		return netns_fail(err, -ENOMEM, "link %s:%s del", h->name, ifname);
	/* By name: the kernel's, whatever we remember. */
	rtnl_link_set_name(link, ifname);
	rc = rtnl_link_delete(h->sk, link);
	rtnl_link_put(link);
	if (rc < 0)
		return netns_nl_fail(h, rc, err, "link %s:%s del", h->name, ifname);
	netns_if_forget(h, ifname);
	return 0;
}

/* Apply chg (consumed) to ifname; the kernel's copy supplies the index and
 * the flags chg leaves alone. */
static int link_change(struct netns_host *h, const char *ifname,
		       struct rtnl_link *chg, const char *what, char *err)
{
	struct rtnl_link *cur = NULL;
	int known = ifname_ok(ifname) ? if_known(h, ifname) : 0;
	int rc = !chg ? -NLE_NOMEM : known ? 0 : netns_link_get(h, ifname, &cur);

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

int netns_link_stats(struct netns_host *h, const char *ifname, struct netns_link_stats *st, char *err)
{
	struct rtnl_link *l;
	int rc = netns_link_get(h, ifname, &l);
	if (rc < 0)
		return netns_nl_fail(h, rc, err, "link %s:%s", h->name, ifname);
	memset(st, 0, sizeof *st);
	st->tx_dropped = rtnl_link_get_stat(l, RTNL_LINK_TX_DROPPED);
	st->rx_dropped = rtnl_link_get_stat(l, RTNL_LINK_RX_DROPPED);
	st->tx_packets = rtnl_link_get_stat(l, RTNL_LINK_TX_PACKETS);
	st->rx_packets = rtnl_link_get_stat(l, RTNL_LINK_RX_PACKETS);
	st->flags = rtnl_link_get_flags(l);
	st->operstate = rtnl_link_get_operstate(l);
	snprintf(st->qdisc, sizeof st->qdisc, "%s", rtnl_link_get_qdisc(l) ? rtnl_link_get_qdisc(l) : "");
	rtnl_link_put(l);
	return 0;
}
