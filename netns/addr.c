/* netns addresses: one IPv4 or IPv6 address with its prefix on a link. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <linux/if.h>
#include <linux/if_addr.h>
#include <netlink/cache.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <linux/rtnetlink.h>

#include "internal.h"

/* nl_addr_parse reads the prefix with strtol(..., 0): "/010" is 8, "/24x"
 * is 24 and the range is unchecked. Accept 1 to 3 decimal digits only. */
static int prefix_ok(const char *p)
{
	size_t n = strspn(p, "0123456789");

	return n >= 1 && n <= 3 && p[n] == '\0';
}

int netns_addr_parse(const char *s, int with_prefix, struct nl_addr **out)
{
	const char *slash = s ? strchr(s, '/') : NULL;
	struct nl_addr *a = NULL;
	int rc, fam;

	*out = NULL;
	if (!s || !*s || (slash && (!with_prefix || !prefix_ok(slash + 1))))
		return -EINVAL;
	rc = nl_addr_parse(s, AF_UNSPEC, &a);
	if (rc < 0)
		return rc == -NLE_NOMEM ? -ENOMEM : -EINVAL;
	fam = nl_addr_get_family(a);
	/* AF_UNSPEC also parses "default", MAC and DECnet addresses. */
	if ((fam != AF_INET && fam != AF_INET6) || nl_addr_get_len(a) == 0 ||
	    nl_addr_get_prefixlen(a) > 8 * nl_addr_get_len(a)) {
		nl_addr_put(a);
		return -EINVAL;
	}
	*out = a;
	return 0;
}

/* Like `ip addr add ... brd +`: most real hosts have one, and broadcast
 * cases need it. Not for /31 and /32, which have none. */
static int set_broadcast(struct rtnl_addr *ra, struct nl_addr *local)
{
	unsigned plen = nl_addr_get_prefixlen(local);
	unsigned char *b;
	struct nl_addr *brd;
	int rc;

	if (nl_addr_get_family(local) != AF_INET || plen >= 31)
		return 0;
	brd = nl_addr_clone(local);
	if (!brd)
		return -NLE_NOMEM;
	b = nl_addr_get_binary_addr(brd);
	for (unsigned bit = plen; bit < 32; bit++)
		b[bit / 8] |= 0x80 >> (bit % 8);
	rc = rtnl_addr_set_broadcast(ra, brd);
	nl_addr_put(brd);
	return rc;
}

/* dad: 1 with DAD, 0 without (IFA_F_NODAD), -1 deleting. */
static int addr_send(struct netns_host *h, struct nl_addr *local, int idx, int dad)
{
	struct rtnl_addr *ra = rtnl_addr_alloc();
	int rc;

	if (!ra)
		return -NLE_NOMEM;
	rtnl_addr_set_ifindex(ra, idx);
	rc = rtnl_addr_set_local(ra, local);
	if (rc == 0 && dad >= 0)
		rc = set_broadcast(ra, local);
	if (rc == 0 && nl_addr_get_family(local) == AF_INET6 && dad == 0)
		rtnl_addr_set_flags(ra, IFA_F_NODAD);
	if (rc == 0 && dad >= 0)
		rc = rtnl_addr_add(h->sk, ra, NLM_F_EXCL);
	else if (rc == 0)
		rc = rtnl_addr_delete(h->sk, ra, 0);
	if (rc == 0 && dad == 0 && nl_addr_get_family(local) == AF_INET6)
		h->nodad = 1;
	rtnl_addr_put(ra);
	return rc;
}

static int addr_change(struct netns_host *h, const char *ifname, const char *cidr,
		       int dad, char *err)
{
	const char *verb = dad >= 0 ? "on" : "del from";
	struct nl_addr *local = NULL;
	int idx = 0, rc;

	rc = netns_addr_parse(cidr, 1, &local);
	if (rc < 0)
		return netns_fail(err, rc, "addr %s %s %s:%s: not an IPv4 or IPv6 prefix",
				  cidr ? cidr : "(null)", verb, h->name, ifname);
	rc = netns_ifindex(h, ifname, &idx);
	if (rc == 0)
		rc = addr_send(h, local, idx, dad);
	nl_addr_put(local);
	if (rc < 0)
		return netns_nl_fail(h, rc, err, "addr %s %s %s:%s", cidr, verb, h->name, ifname);
	return 0;
}

int netns_addr_add(struct netns_host *h, const char *ifname, const char *cidr,
		   int dad, char *err)
{
	return addr_change(h, ifname, cidr, dad != 0, err);
}

int netns_addr_del(struct netns_host *h, const char *ifname, const char *cidr, char *err)
{
	return addr_change(h, ifname, cidr, -1, err);
}

/* What DAD left on ifindex idx: IFA_F_DADFAILED seen (2), an address still
 * tentative (1), or neither (0); or a negative NLE_* code. A failed address
 * keeps IFA_F_TENTATIVE as well, for good. */
static int dad_scan(struct netns_host *h, int idx)
{
	struct nl_cache *cache;
	int rc = rtnl_addr_alloc_cache(h->sk, &cache), found = 0;

	if (rc < 0)
		return rc;
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		unsigned flags = rtnl_addr_get_flags(a);

		if (rtnl_addr_get_ifindex(a) != idx || rtnl_addr_get_family(a) != AF_INET6)
			continue;
		if (flags & IFA_F_DADFAILED)
			found = 2;
		else if ((flags & IFA_F_TENTATIVE) && found == 0)
			found = 1;
	}
	nl_cache_free(cache);
	return found;
}

static int dad_answer(char *state, size_t len, const char *s)
{
	snprintf(state, len, "%s", s);
	return 0;
}

int netns_addr_dad(struct netns_host *h, const char *ifname, int timeout_ms,
		   char *state, size_t len, char *err)
{
	const unsigned carrier = IFF_UP | IFF_LOWER_UP;
	const struct timespec tick = {.tv_nsec = 10 * 1000 * 1000};
	struct timespec t0, t;

	if (!state || len == 0)
		return netns_fail(err, -EINVAL, "addr dad on %s:%s: no state buffer", h->name,
				  ifname ? ifname : "(null)");
	state[0] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct rtnl_link *l;
		int rc = netns_link_get(h, ifname, &l), found;
		unsigned flags;

		if (rc < 0)
			return netns_nl_fail(h, rc, err, "addr dad on %s:%s", h->name,
					     ifname ? ifname : "(null)");
		flags = rtnl_link_get_flags(l);
		found = dad_scan(h, rtnl_link_get_ifindex(l));
		rtnl_link_put(l);
		if (found < 0)
			return netns_nl_fail(h, found, err, "addr dad on %s:%s: addresses",
					     h->name, ifname);
		if (found == 2)
			return dad_answer(state, len, "dadfailed");
		if (found == 0)
			return dad_answer(state, len, "done");
		/* DAD has not started and will not until carrier comes. */
		if ((flags & carrier) != carrier)
			return dad_answer(state, len, "tentative: no carrier");
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 >= timeout_ms)
			return dad_answer(state, len, "tentative");
		nanosleep(&tick, NULL);
	}
}

/* 1 when the table of IPv6 routes holds the local route to the address
 * of a (type local, /128), 0 when not. */
static int local_route(struct nl_cache *routes, struct rtnl_addr *a)
{
	struct nl_addr *want = rtnl_addr_get_local(a);

	for (struct nl_object *o = nl_cache_get_first(routes); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;
		struct nl_addr *dst = rtnl_route_get_dst(r);

		if (rtnl_route_get_type(r) == RTN_LOCAL && dst && nl_addr_get_prefixlen(dst) == 128 &&
		    nl_addr_get_len(dst) == nl_addr_get_len(want) &&
		    !memcmp(nl_addr_get_binary_addr(dst), nl_addr_get_binary_addr(want), nl_addr_get_len(dst)))
			return 1;
	}
	return 0;
}

/* 1 when some IPv6 address that was added without DAD, on a link that is
 * up with carrier, is not usable yet, 0 when all are, or a negative NLE_*.
 * Usable means not tentative and with its local route: the kernel clears
 * the tentative flag first and adds the route after, so between the two a
 * packet to the address is dropped. The routes are read only when some
 * address is past the first half. */
static int nodad_pending(struct netns_host *h)
{
	struct nl_cache *addrs, *links, *routes = NULL;
	int rc = rtnl_addr_alloc_cache(h->sk, &addrs), pending = 0;

	if (rc < 0)
		return rc;
	rc = rtnl_link_alloc_cache(h->sk, AF_UNSPEC, &links);
	if (rc < 0) {
		nl_cache_free(addrs);
		return rc;
	}
	for (struct nl_object *o = nl_cache_get_first(addrs); o && !pending; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		unsigned flags = rtnl_addr_get_flags(a);
		struct rtnl_link *l;
		int carrier;

		if (rtnl_addr_get_family(a) != AF_INET6 || !(flags & IFA_F_NODAD))
			continue;
		l = rtnl_link_get(links, rtnl_addr_get_ifindex(a));
		carrier = l && (rtnl_link_get_flags(l) & (IFF_UP | IFF_LOWER_UP)) == (IFF_UP | IFF_LOWER_UP);
		if (l)
			rtnl_link_put(l);
		if (!carrier)
			continue;
		if (flags & IFA_F_TENTATIVE) {
			pending = 1;
			continue;
		}
		if (!routes && (rc = rtnl_route_alloc_cache(h->sk, AF_INET6, 0, &routes)) < 0)
			break;
		pending = !local_route(routes, a);
	}
	if (routes)
		nl_cache_free(routes);
	nl_cache_free(links);
	nl_cache_free(addrs);
	return rc < 0 ? rc : pending;
}

int netns_addrs_settle(struct netns_host *h, int timeout_ms, char *err)
{
	const struct timespec tick = {.tv_nsec = 2 * 1000 * 1000};
	struct timespec t0, t;

	if (!h->nodad)
		return 0;   /* nothing added without DAD: two dumps saved */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int rc = nodad_pending(h);

		if (rc < 0)
			return netns_nl_fail(h, rc, err, "addresses of %s", h->name);
		if (rc == 0)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 >= timeout_ms)
			return netns_fail(err, -ETIMEDOUT, "addresses of %s: an address added without DAD "
					  "is still tentative after %d ms", h->name, timeout_ms);
		nanosleep(&tick, NULL);
	}
}
