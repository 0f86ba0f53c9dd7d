/* netns link settling: waiting until linkwatch has attached a link's queue.
 *
 * When carrier comes on, the kernel leaves the root qdisc "noop" until
 * linkwatch runs (at once for an urgent event, else up to a second later)
 * and replaces it with the device's default; a packet sent meanwhile is
 * dropped and counted in the sender's tx_dropped. So a link is settled when
 * it is down, or up without carrier (nothing will attach until carrier
 * comes), or its qdisc is no longer noop. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <linux/if.h>
#include <linux/rtnetlink.h>

#include "internal.h"

/* One link event batch: link messages are under 2 KiB, a batch may hold
 * several. A bigger one would be cut, and the wait fall back to time out. */
#define EVENTS_BUF 32768

/* 1 when buf holds the kernel's own (AF_UNSPEC) RTM_NEWLINK for idx saying
 * it is running with carrier and its queue attached. IFF_RUNNING alone is
 * not enough: a link whose operstate linkwatch has not set yet is UNKNOWN,
 * which counts as running, and IPv6 sends its own RTM_NEWLINK (AF_INET6)
 * with those flags before linkwatch has replaced the noop qdisc, which
 * drops every packet sent meanwhile (the sender's tx_dropped). */
static int running_event(const char *buf, ssize_t n, int idx)
{
	for (const struct nlmsghdr *m = (const void *)buf; NLMSG_OK(m, (size_t)n); m = NLMSG_NEXT(m, n)) {
		const struct ifinfomsg *ifi = NLMSG_DATA(m);
		unsigned want = IFF_UP | IFF_RUNNING | IFF_LOWER_UP;
		if (m->nlmsg_type != RTM_NEWLINK || ifi->ifi_family != AF_UNSPEC || ifi->ifi_index != idx ||
		    (ifi->ifi_flags & want) != want)
			continue;
		int attached = 0, left = (int)IFLA_PAYLOAD(m);
		for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, left); a = RTA_NEXT(a, left))
			if (a->rta_type == IFLA_QDISC)
				attached = strncmp(RTA_DATA(a), "noop", RTA_PAYLOAD(a)) != 0;
		if (attached)
			return 1;
	}
	return 0;
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Discard the queued link events. ENOBUFS says some were lost to an
 * overflow: nothing to do but go on reading. */
static void events_drain(struct netns_host *h)
{
	char buf[EVENTS_BUF] __attribute__((aligned(4)));

	for (;;) {
		ssize_t n = recv(h->events, buf, sizeof(buf), 0);

		if (n < 0 && errno != EINTR && errno != ENOBUFS)
			return;
	}
}

/* Wait for running_event(idx) until deadline: 1 seen, 0 timed out,
 * -ENOBUFS events were lost (the caller reads the state again), or another
 * negative errno. */
static int events_wait(struct netns_host *h, int idx, long long deadline)
{
	char buf[EVENTS_BUF] __attribute__((aligned(4)));

	for (;;) {
		ssize_t n = recv(h->events, buf, sizeof(buf), 0);

		if (n > 0 && running_event(buf, n, idx))
			return 1;
		if (n >= 0 || errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		long long left = deadline - now_ms();
		if (left <= 0)
			return 0;
		struct pollfd p = {.fd = h->events, .events = POLLIN};
		poll(&p, 1, (int)left);
	}
}

struct link_now {
	int index;
	unsigned flags;
	char qdisc[16];
};

static int link_now(struct netns_host *h, const char *ifname, struct link_now *s)
{
	struct rtnl_link *l;
	int rc = netns_link_get(h, ifname, &l);

	if (rc < 0)
		return rc;
	s->index = rtnl_link_get_ifindex(l);
	s->flags = rtnl_link_get_flags(l);
	snprintf(s->qdisc, sizeof(s->qdisc), "%s", rtnl_link_get_qdisc(l) ? rtnl_link_get_qdisc(l) : "");
	rtnl_link_put(l);
	return 0;
}

/* One end: drain the old events (the state read next supersedes them),
 * read the state, and wait for the event that attaches the queue if it is
 * still to come. */
static int settle_end(struct netns_host *h, const char *ifname, long long deadline,
		      int timeout_ms, char *err)
{
	const unsigned carrier = IFF_UP | IFF_LOWER_UP;
	struct link_now s;
	int rc;

	events_drain(h);
	for (;;) {
		rc = link_now(h, ifname, &s);
		if (rc < 0)
			return netns_nl_fail(h, rc, err, "link %s:%s", h->name, ifname);
		if ((s.flags & carrier) != carrier || strcmp(s.qdisc, "noop") != 0)
			return 0;
		rc = events_wait(h, s.index, deadline);
		if (rc == 1)
			return 0;
		if (rc == 0)
			return netns_fail(err, -ETIMEDOUT, "link %s:%s: carrier on but queue not "
					  "attached (qdisc noop) after %d ms", h->name, ifname,
					  timeout_ms);
		if (rc != -ENOBUFS)
			return netns_fail(err, rc, "link %s:%s: reading link events", h->name, ifname);
	}
}

int netns_link_settle(struct netns_host *h, const char *ifname, int timeout_ms, char *err)
{
	long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	const struct netns_if *e;
	int rc = settle_end(h, ifname, deadline, timeout_ms, err);

	if (rc < 0 || !(e = netns_if_find(h, ifname)) || !e->peer)
		return rc;
	return settle_end(e->peer, e->peer_name, deadline, timeout_ms, err);
}

int netns_link_wait_running(struct netns_host *h, const char *ifname, int timeout_ms, char *err)
{
	long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);

	return settle_end(h, ifname, deadline, timeout_ms, err);
}
