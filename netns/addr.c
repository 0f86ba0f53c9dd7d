/* netns addresses: one IPv4 or IPv6 address with its prefix on a link. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/if_addr.h>
#include <netlink/route/addr.h>

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

static int addr_send(struct netns_host *h, struct nl_addr *local, int idx, int dad)
{
	struct rtnl_addr *ra = rtnl_addr_alloc();
	int rc;

	if (!ra)
		return -NLE_NOMEM;
	rtnl_addr_set_ifindex(ra, idx);
	rc = rtnl_addr_set_local(ra, local);
	if (rc == 0)
		rc = set_broadcast(ra, local);
	if (rc == 0 && nl_addr_get_family(local) == AF_INET6 && !dad)
		rtnl_addr_set_flags(ra, IFA_F_NODAD);
	if (rc == 0)
		rc = rtnl_addr_add(h->sk, ra, NLM_F_EXCL);
	rtnl_addr_put(ra);
	return rc;
}

int netns_addr_add(struct netns_host *h, const char *ifname, const char *cidr,
		   int dad, char *err)
{
	struct nl_addr *local = NULL;
	int idx = 0, rc;

	rc = netns_addr_parse(cidr, 1, &local);
	if (rc < 0)
		return netns_fail(err, rc, "addr %s on %s:%s: not an IPv4 or IPv6 prefix",
				  cidr ? cidr : "(null)", h->name, ifname);
	rc = netns_ifindex(h, ifname, &idx);
	if (rc == 0)
		rc = addr_send(h, local, idx, dad);
	nl_addr_put(local);
	if (rc < 0)
		return netns_nl_fail(h, rc, err, "addr %s on %s:%s", cidr, h->name, ifname);
	return 0;
}
