/* netns routes: one unicast route in the main table, as `ip route add`
 * would make it (protocol static), and `ip route del`. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/rtnetlink.h>
#include <netlink/route/route.h>

#include "internal.h"

static void route_what(char *buf, size_t len, const struct netns_host *h, int del,
		       const char *dst, const char *via, const char *dev)
{
	snprintf(buf, len, "route %s%s%s%s%s%s on %s", del ? "del " : "",
		 dst ? dst : "(null)", via ? " via " : "", via ? via : "",
		 dev ? " dev " : "", dev ? dev : "", h->name);
}

static int route_dst(const char *dst, const char *via, struct nl_addr **out)
{
	static const unsigned char any[16];
	int fam;

	if (!strcmp(dst, "default"))
		fam = via && strchr(via, ':') ? AF_INET6 : AF_INET;
	else if (!strcmp(dst, "default6"))
		fam = AF_INET6;
	else
		return netns_addr_parse(dst, 1, out);
	*out = nl_addr_build(fam, any, fam == AF_INET ? 4 : 16);
	if (!*out)
		return -ENOMEM;
	nl_addr_set_prefixlen(*out, 0);
	return 0;
}

/* dst and via into addresses of one family; 0 or -errno with err written. */
static int route_addrs(const char *dst, const char *via, struct nl_addr **d,
		       struct nl_addr **g, const char *what, char *err)
{
	int rc = route_dst(dst, via, d);

	if (rc < 0)
		return netns_fail(err, rc, "%s: bad destination \"%s\"", what, dst);
	if (!via)
		return 0;
	rc = netns_addr_parse(via, 0, g);
	if (rc < 0)
		return netns_fail(err, rc, "%s: bad gateway \"%s\"", what, via);
	if (nl_addr_get_family(*d) != nl_addr_get_family(*g))
		return netns_fail(err, -EINVAL, "%s: gateway and destination "
				  "are of different families", what);
	return 0;
}

/* The route `ip route add` would make of d, g and idx (g NULL, idx 0: not
 * given): main table, unicast, scope link without a gateway. */
static int route_build(struct nl_addr *d, struct nl_addr *g, int idx,
		       struct rtnl_route **out)
{
	struct rtnl_route *r = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	int rc = -NLE_NOMEM;

	if (r && nh) {
		rtnl_route_set_table(r, RT_TABLE_MAIN);
		rtnl_route_set_protocol(r, RTPROT_STATIC);
		rtnl_route_set_scope(r, g ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
		rc = rtnl_route_set_type(r, RTN_UNICAST);
	}
	if (rc == 0)
		rc = rtnl_route_set_dst(r, d);
	if (rc == 0) {
		if (g)
			rtnl_route_nh_set_gateway(nh, g);
		if (idx)
			rtnl_route_nh_set_ifindex(nh, idx);
		rtnl_route_add_nexthop(r, nh);
		nh = NULL;
	}
	if (nh)
		rtnl_route_nh_free(nh);
	if (rc < 0 && r)
		rtnl_route_put(r);
	*out = rc < 0 ? NULL : r;
	return rc;
}

static int route_send(struct netns_host *h, struct nl_addr *d, struct nl_addr *g,
		      int idx, int del)
{
	struct rtnl_route *r;
	int rc = route_build(d, g, idx, &r);

	if (rc < 0)
		return rc;
	/* Any protocol, as `ip route del` does: the kernel's own prefix
	 * routes (proto kernel) go too. */
	if (del)
		rtnl_route_set_protocol(r, RTPROT_UNSPEC);
	rc = del ? rtnl_route_delete(h->sk, r, 0) : rtnl_route_add(h->sk, r, NLM_F_EXCL);
	rtnl_route_put(r);
	return rc;
}

static int route_change(struct netns_host *h, const char *dst, const char *via,
			const char *dev, int del, char *err)
{
	struct nl_addr *d = NULL, *g = NULL;
	char what[192];
	int idx = 0, rc;

	route_what(what, sizeof(what), h, del, dst, via, dev);
	if (!dst || (!via && !dev))
		return netns_fail(err, -EINVAL, "%s: needs a destination and a via or dev", what);
	rc = route_addrs(dst, via, &d, &g, what, err);
	if (rc == 0 && dev && (rc = netns_ifindex(h, dev, &idx)) < 0)
		rc = netns_nl_fail(h, rc, err, "%s", what);
	if (rc == 0 && (rc = route_send(h, d, g, idx, del)) < 0)
		rc = netns_nl_fail(h, rc, err, "%s", what);
	nl_addr_put(d);
	nl_addr_put(g);
	return rc;
}

int netns_route_add(struct netns_host *h, const char *dst, const char *via,
		    const char *dev, char *err)
{
	return route_change(h, dst, via, dev, 0, err);
}

int netns_route_del(struct netns_host *h, const char *dst, const char *via,
		    const char *dev, char *err)
{
	return route_change(h, dst, via, dev, 1, err);
}
