/* netns links: veth pairs and the few link attributes a case can set. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/if.h>
#include <netlink/route/link.h>
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

int netns_ifindex(struct netns_host *h, const char *ifname, int *idx)
{
	struct rtnl_link *link;
	int rc = link_get(h, ifname, &link);

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
	rtnl_link_set_name(veth, ifa);
	peer = rtnl_link_veth_get_peer(veth);
	rtnl_link_set_name(peer, ifb);
	rtnl_link_set_ns_fd(peer, b->fd);
	rtnl_link_put(peer);
	rc = rtnl_link_add(a->sk, veth, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(veth);
	if (rc < 0)
		return netns_nl_fail(a, rc, err, "veth %s:%s <-> %s:%s",
				     a->name, ifa, b->name, ifb);
	return 0;
}

/* Apply chg (consumed) to ifname; the kernel's copy supplies the index and
 * the flags chg leaves alone. */
static int link_change(struct netns_host *h, const char *ifname,
		       struct rtnl_link *chg, const char *what, char *err)
{
	struct rtnl_link *cur = NULL;
	int rc = chg ? link_get(h, ifname, &cur) : -NLE_NOMEM;

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
