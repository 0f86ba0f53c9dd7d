/* netns private: the host object and the helpers its files share.
 * Not installed, not included outside netns/. */
#ifndef NETREPRO_NETNS_INTERNAL_H
#define NETREPRO_NETNS_INTERNAL_H

#include <netlink/addr.h>
#include <netlink/netlink.h>

#include "netns.h"

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
	 * devices (sit0, ip6tnl0) at the low ones. */
	struct { char name[16]; int index; } ifs[32];
	int nifs;
	int next_index;
	/* RTNLGRP_LINK events since the host was made: how we learn that a
	 * link's queue is live (see netns_link_wait_running). */
	int events;
};

/* link.c: remember that ifname has index idx in h. */
void netns_if_remember(struct netns_host *h, const char *ifname, int idx);

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
