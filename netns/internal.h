/* netns private: the host object and the helpers its files share.
 * Not installed, not included outside netns/. */
#ifndef NETREPRO_NETNS_INTERNAL_H
#define NETREPRO_NETNS_INTERNAL_H

#include <netlink/addr.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include "netns.h"

/* One remembered interface. A veth end knows its peer (host and name), so
 * that deleting one end forgets both and settling one settles both. Peer
 * links are always mutual: a pair is remembered in both hosts or in
 * neither, and netns_host_free clears the entries that point at it. */
struct netns_if {
	char name[16];
	int index;
	struct netns_host *peer;	/* NULL: not a veth end (or not ours) */
	char peer_name[16];
};

struct netns_host {
	char *name;
	int fd;			/* ns/net of the host: keeps the namespace alive */
	struct nl_sock *sk;	/* NETLINK_ROUTE, bound inside the namespace */
	/* libnl folds the kernel's errno into a few NLE_* codes (ENETUNREACH
	 * becomes "Unspecific failure"), so the socket's error callback keeps
	 * the real one, and the extended-ack text, until a failure reads it. */
	int kerr;
	char kmsg[128];
	/* Interfaces we made, with the index we gave them, so that changing a
	 * link or adding an address needs no RTM_GETLINK round trip first.
	 * Indexes start high: a new namespace may already hold fallback tunnel
	 * devices (sit0, ip6tnl0) at the low ones, and never go back: a link
	 * deleted and made again gets a new one. When the table is full the
	 * rest are looked up in the kernel. */
	struct netns_if ifs[32];
	int nifs;
	int next_index;
	/* RTNLGRP_LINK events, non-blocking: how we learn that a link's queue
	 * is live (see settle.c). May overflow (ENOBUFS) with many links. */
	int events;
	/* Some IPv6 address was added here without DAD: only then has
	 * netns_addrs_settle anything to wait for (see addr.c). */
	int nodad;
};

/* link.c: remember that ifname has index idx in h; the entry, or NULL when
 * the table is full (then nothing is remembered). */
struct netns_if *netns_if_remember(struct netns_host *h, const char *ifname, int idx);
/* link.c: h's entry for ifname, or NULL. */
struct netns_if *netns_if_find(struct netns_host *h, const char *ifname);
/* link.c: forget ifname in h, and its veth peer in the peer's host. */
void netns_if_forget(struct netns_host *h, const char *ifname);
/* link.c: clear the peer entries pointing at h in other hosts (h is going). */
void netns_if_unlink_peers(struct netns_host *h);
/* link.c: the kernel's copy of ifname; 0 or a negative NLE_* code. */
int netns_link_get(struct netns_host *h, const char *ifname, struct rtnl_link **out);

/* error.c */
#define NETNS_PRINTF(f, a) __attribute__((format(printf, f, a)))
int netns_fail(char *err, int rc, const char *fmt, ...) NETNS_PRINTF(3, 4);
int netns_nl_fail(struct netns_host *h, int nlerr, char *err,
		  const char *fmt, ...) NETNS_PRINTF(4, 5);
int netns_nl_errno(int nlerr);
void netns_nl_watch(struct netns_host *h);

/* link.c: ifindex of ifname, 0 or a negative NLE_* code. */
int netns_ifindex(struct netns_host *h, const char *ifname, int *idx);

/* addr.c: "10.0.1.1/24", "fd00::1" (prefix only when prefix_ok) into an
 * AF_INET or AF_INET6 nl_addr; 0, -EINVAL or -ENOMEM. */
int netns_addr_parse(const char *s, int prefix_ok, struct nl_addr **out);

/* sysctl.c: write s to path; 0 or a negative errno. */
int netns_file_write(const char *path, const char *s);

#endif
