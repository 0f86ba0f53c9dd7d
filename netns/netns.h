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

/* What root's contained user namespaces map their uid 0 and gid 0 to
 * outside: nobody and nogroup. */
#define NETNS_NOBODY 65534u

/* Writes the uid_map and gid_map of pid's user namespace (a new one, not
 * mapped yet), one id each: its uid 0 and gid 0 are NETNS_NOBODY outside
 * when the caller is root, else the caller's own ids. */
int netns_userns_map(int pid, char *err);

/* netns_become_root for a case that runs programs: a caller that is root
 * enters a new user namespace too, mapped by netns_userns_map, so that the
 * namespaces made afterwards are owned by one whose root is nobody on the
 * machine. The caller keeps its own uid and gid (unmapped there: its
 * files stay its own) and holds every capability, in that namespace only;
 * a process it starts that takes uid 0 there (setresuid) is nobody
 * outside. It must be single-threaded. *rootless is 1 when it is in a
 * user namespace of its own. */
int netns_become_contained(int *rootless, char *err);

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
/* The same, with each end up or left down from its creation: an end that
 * is never up gives its peer no carrier at any moment, so nothing (IPv6
 * DAD, a queued packet) can slip through a window between up and down. */
int netns_veth_add_ends(struct netns_host *a, const char *ifa, int up_a,
			struct netns_host *b, const char *ifb, int up_b, char *err);

int netns_link_set_up(struct netns_host *h, const char *ifname, int up, char *err);
/* A bridge device in h, up (STP off: its ports forward at once). */
int netns_bridge_add(struct netns_host *h, const char *name, char *err);
/* Enslave ifname to master (a bridge) in the same host. */
int netns_link_set_master(struct netns_host *h, const char *ifname, const char *master, char *err);
int netns_link_set_multicast(struct netns_host *h, const char *ifname, int on, char *err);
int netns_link_set_mtu(struct netns_host *h, const char *ifname, unsigned mtu, char *err);
/* Deletes ifname (RTM_DELLINK). Deleting a veth end deletes its peer too,
 * and both are forgotten; a link made again under the same name gets a new
 * index. */
int netns_link_del(struct netns_host *h, const char *ifname, char *err);

/* Waits until ifname is settled, and then, for a veth end made by
 * netns_veth_add, its peer (in the peer's host): down, or up without
 * carrier (nothing will attach its queue until carrier comes), or with its
 * queue attached. When carrier comes on, the root qdisc stays "noop" until
 * linkwatch replaces it (at once, or up to a second later), and a packet
 * sent meanwhile is dropped (the sender's tx_dropped), so steps wait for
 * this. Reads the current state (RTM_GETLINK), then the host's link events;
 * an overflow of those (ENOBUFS, with many links) is not an error. One
 * deadline for both ends: -ETIMEDOUT after timeout_ms. The peer is known
 * for the pairs remembered in both hosts (the first 31 or so of each). */
int netns_link_settle(struct netns_host *h, const char *ifname, int timeout_ms, char *err);
/* netns_link_settle for ifname alone, never its peer; the name is older. */
int netns_link_wait_running(struct netns_host *h, const char *ifname, int timeout_ms, char *err);

/* A link's counters and state, as RTM_GETLINK reports them. */
struct netns_link_stats {
	unsigned long long tx_dropped, rx_dropped, tx_packets, rx_packets;
	unsigned flags;             /* IFF_* */
	int operstate;              /* IF_OPER_* */
	char qdisc[16];             /* the root qdisc's kind: "noop" until the queue is attached */
};
int netns_link_stats(struct netns_host *h, const char *ifname, struct netns_link_stats *st, char *err);

/* ifindex of ifname in h, or a negative errno. */
int netns_link_index(struct netns_host *h, const char *ifname, char *err);

/* cidr is "10.0.1.1/24" or "fd00:1::1/64". IPv6 addresses get IFA_F_NODAD
 * unless dad is nonzero. */
int netns_addr_add(struct netns_host *h, const char *ifname, const char *cidr,
		   int dad, char *err);

/* Deletes the address cidr (with the prefix it was added with) from
 * ifname, like `ip addr del`. -EADDRNOTAVAIL when it is not there. */
int netns_addr_del(struct netns_host *h, const char *ifname, const char *cidr, char *err);

/* Waits until every IPv6 address added without DAD on a link that is up
 * with carrier is usable: not tentative, and with its local route.
 * IFA_F_NODAD does not make an address usable at once: the kernel clears
 * its tentative flag, and then adds its local route, from a work queue,
 * after carrier, and on a loaded machine that can come after the next
 * packet to it, which is then dropped. Returns at once,
 * with no netlink round trip, on a host that never had one. */
int netns_addrs_settle(struct netns_host *h, int timeout_ms, char *err);

/* Waits, up to timeout_ms (polling every 10 ms), until no IPv6 address on
 * ifname is tentative, and writes the answer into state (len bytes):
 * "done" (none tentative, none failed), "dadfailed" (some address has
 * IFA_F_DADFAILED: a duplicate is on the link; said as soon as seen),
 * "tentative" (time ran out), or "tentative: no carrier" (at once: DAD
 * does not start without carrier). Link-local addresses count. Each answer
 * returns 0; -ENODEV and the like only for real errors. With the kernel's
 * defaults DAD takes up to router_solicitation_delay (1 s, a random part of
 * it) plus dad_transmits * retrans_time_ms (1 s). */
int netns_addr_dad(struct netns_host *h, const char *ifname, int timeout_ms,
		   char *state, size_t len, char *err);

/* dst is "default" (IPv4, or the family of via), "default6", or a prefix
 * ("224.0.0.0/4", "fd00:2::/64"); via (gateway) and dev may each be NULL but
 * not both. */
int netns_route_add(struct netns_host *h, const char *dst, const char *via,
		    const char *dev, char *err);

/* Deletes the route netns_route_add would make with the same arguments,
 * whatever its protocol (the kernel's prefix routes included), like
 * `ip route del`. -ESRCH when there is none. */
int netns_route_del(struct netns_host *h, const char *dst, const char *via,
		    const char *dev, char *err);

/* netem on a link's egress. Zero (or 0.0) leaves a parameter out. */
struct netns_netem {
	unsigned delay_us, jitter_us;	/* at most 274 s each */
	double loss, duplicate, corrupt, reorder; /* percent, 0..100 */
	unsigned long long rate_bps;	/* bits per second (sent as bytes/s) */
	unsigned limit;			/* queue length in packets; 0: 1000 */
	unsigned gap;			/* reorder gap; 0: 1 when reorder is set */
};
/* Replaces ifname's root qdisc with netem (handle 1:, NLM_F_CREATE |
 * NLM_F_REPLACE): every parameter is n's, none kept from an earlier netem.
 * reorder needs delay_us. Works on veth, whose default is noqueue; the
 * queue is live when it returns. netem delays and drops ARP and neighbour
 * discovery too: a first packet to an unresolved neighbour waits about
 * twice the delay more. A kernel without sch_netem answers -ENOENT
 * ("Specified qdisc kind is unknown"). */
int netns_netem_set(struct netns_host *h, const char *ifname, const struct netns_netem *n,
		    char *err);
/* Deletes ifname's root netem: the device's default qdisc comes back. When
 * the root is not a netem, the kernel's -EINVAL ("Invalid qdisc name"). */
int netns_netem_clear(struct netns_host *h, const char *ifname, char *err);

/* name is dotted ("net.ipv4.ip_local_port_range"); only net.* is accepted.
 * Written and read inside the host's namespace (h NULL: the caller's). get strips the trailing
 * newline and turns tabs into single spaces. */
int netns_sysctl_set(struct netns_host *h, const char *name, const char *value, char *err);
int netns_sysctl_get(struct netns_host *h, const char *name, char *buf, size_t len, char *err);

#endif
