/* netns hosts: one anonymous network namespace each. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <netlink/socket.h>

#include "internal.h"

static int host_connect(struct netns_host *h, char *err)
{
	int rc;

	h->sk = nl_socket_alloc();
	if (!h->sk)
		return netns_fail(err, -ENOMEM, "host %s: netlink socket", h->name);
	rc = nl_connect(h->sk, NETLINK_ROUTE);
	if (rc < 0)
		return netns_fail(err, -netns_nl_errno(rc), "host %s: netlink connect", h->name);
	netns_nl_watch(h);
	return 0;
}

static int host_init(struct netns_host *h, char *err)
{
	if (unshare(CLONE_NEWNET) < 0)
		return netns_fail(err, -errno, "host %s: unshare(CLONE_NEWNET)", h->name);
	/* thread-self, not self: a namespace belongs to the calling thread, and
	 * /proc/self would name the main thread's. */
	h->fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (h->fd < 0)
		return netns_fail(err, -errno, "host %s: open ns/net", h->name);
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	h->events = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (h->events < 0 || bind(h->events, (struct sockaddr *)&sa, sizeof sa) < 0)
		return netns_fail(err, -errno, "host %s: netlink link events", h->name);
	return host_connect(h, err);
}

int netns_host_new(const char *name, struct netns_host **out, char *err)
{
	struct netns_host *h = calloc(1, sizeof(*h));
	int rc;

	*out = NULL;
	if (!h || !(h->name = strdup(name))) {
		free(h);
		return netns_fail(err, -ENOMEM, "host %s", name);
	}
	h->fd = -1;
	h->events = -1;
	h->next_index = 100;
	netns_if_remember(h, "lo", 1);  /* LOOPBACK_IFINDEX in every namespace */
	rc = host_init(h, err);
	if (rc == 0)
		rc = netns_link_set_up(h, "lo", 1, err);
	if (rc < 0) {
		netns_host_free(h);
		return rc;
	}
	*out = h;
	return 0;
}

void netns_host_free(struct netns_host *h)
{
	if (!h)
		return;
	netns_if_unlink_peers(h);
	nl_socket_free(h->sk);
	if (h->fd >= 0)
		close(h->fd);
	if (h->events >= 0)
		close(h->events);
	free(h->name);
	free(h);
}

int netns_host_enter(const struct netns_host *h, char *err)
{
	if (setns(h->fd, CLONE_NEWNET) < 0)
		return netns_fail(err, -errno, "enter host %s: setns", h->name);
	return 0;
}
