/* netns: build a throw-away network topology in anonymous network namespaces.
 *
 * Each host is one network namespace made with unshare(CLONE_NEWNET) by the
 * calling process, kept alive by an fd of /proc/self/ns/net and configured
 * through a libnl route socket opened inside it. Nothing is named in
 * /run/netns and the caller's original namespace is never configured: when
 * the process exits (or is SIGKILLed) the kernel frees everything.
 *
 * Every function returns 0 or a negative errno and, on failure, writes a
 * one-line message naming the object into err (NETNS_ERRLEN bytes). This
 * library knows nothing of cases or reports.
 */
#ifndef NETREPRO_NETNS_H
#define NETREPRO_NETNS_H

#include <stddef.h>

#define NETNS_ERRLEN 256

struct netns_host;

/* When not root, unshare(CLONE_NEWUSER) and map the caller's uid and gid to
 * 0, so the namespaces made afterwards are owned by a user namespace where we
 * hold every capability. *rootless is set to 1 when that was done, else 0. */
int netns_become_root(int *rootless, char *err);

/* A new host: unshare(CLONE_NEWNET) (the caller is left inside it), an fd of
 * its namespace, a netlink socket bound there, and lo brought up. */
int netns_host_new(const char *name, struct netns_host **out, char *err);
void netns_host_free(struct netns_host *h);

/* setns() into the host, so that sockets and /proc/sys/net opened next belong
 * to it. */
int netns_host_enter(const struct netns_host *h, char *err);

/* A veth pair: ifa in a, its peer ifb created straight in b's namespace,
 * both ends up (one request; netns_link_set_up takes one down). */
int netns_veth_add(struct netns_host *a, const char *ifa,
		   struct netns_host *b, const char *ifb, char *err);

int netns_link_set_up(struct netns_host *h, const char *ifname, int up, char *err);
/* A bridge device in h, up (STP off: its ports forward at once). */
int netns_bridge_add(struct netns_host *h, const char *name, char *err);
/* Enslave ifname to master (a bridge) in the same host. */
int netns_link_set_master(struct netns_host *h, const char *ifname, const char *master, char *err);
int netns_link_set_multicast(struct netns_host *h, const char *ifname, int on, char *err);
int netns_link_set_mtu(struct netns_host *h, const char *ifname, unsigned mtu, char *err);
/* Waits until ifname is running: the kernel has seen its carrier and
 * attached its queue (linkwatch, after a link comes up). A packet sent
 * before that is dropped, so steps wait for it. -ETIMEDOUT after timeout_ms.
 * Reads the link events the host has received since it was made, so it does
 * not miss one that came before the call. */
int netns_link_wait_running(struct netns_host *h, const char *ifname, int timeout_ms, char *err);

/* ifindex of ifname in h, or a negative errno. */
int netns_link_index(struct netns_host *h, const char *ifname, char *err);

/* cidr is "10.0.1.1/24" or "fd00:1::1/64". IPv6 addresses get IFA_F_NODAD
 * unless dad is nonzero. */
int netns_addr_add(struct netns_host *h, const char *ifname, const char *cidr,
		   int dad, char *err);

/* dst is "default" (IPv4, or the family of via), "default6", or a prefix
 * ("224.0.0.0/4", "fd00:2::/64"); via (gateway) and dev may each be NULL but
 * not both. */
int netns_route_add(struct netns_host *h, const char *dst, const char *via,
		    const char *dev, char *err);

/* name is dotted ("net.ipv4.ip_local_port_range"); only net.* is accepted.
 * Written and read inside the host's namespace. get strips the trailing
 * newline and turns tabs into single spaces. */
int netns_sysctl_set(struct netns_host *h, const char *name, const char *value, char *err);
int netns_sysctl_get(struct netns_host *h, const char *name, char *buf, size_t len, char *err);

#endif
