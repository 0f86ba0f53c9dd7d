/* TCP state by 4-tuple through NETLINK_SOCK_DIAG: a dump of the family's TCP
 * sockets (TIME_WAIT ones included), matched in user space. A dump rather than
 * an exact lookup because the exact form needs the socket's cookie. */
#include "exec.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void tuple_of(const struct sockaddr_storage *ss, __be32 addr[4], __be16 *port)
{
	memset(addr, 0, 16);
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		memcpy(addr, &in->sin_addr, 4);
		*port = in->sin_port;
	} else {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		memcpy(addr, &in6->sin6_addr, 16);
		*port = in6->sin6_port;
	}
}

static int request(int fd, int family)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg = {
		.nlh = { .nlmsg_len = sizeof msg, .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.req = { .sdiag_family = (__u8)family, .sdiag_protocol = IPPROTO_TCP,
			 .idiag_states = ~0u },
	};
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	return sendto(fd, &msg, sizeof msg, 0, (struct sockaddr *)&nl, sizeof nl) < 0 ? -errno : 0;
}

static int matches(const struct inet_diag_msg *m, const __be32 la[4], __be16 lp,
		   const __be32 ra[4], __be16 rp)
{
	return m->id.idiag_sport == lp && m->id.idiag_dport == rp &&
	       !memcmp(m->id.idiag_src, la, 16) && !memcmp(m->id.idiag_dst, ra, 16);
}

int diag_tcp_state(const struct sockaddr_storage *local, const struct sockaddr_storage *peer)
{
	__be32 la[4], ra[4];
	__be16 lp, rp;
	tuple_of(local, la, &lp);
	tuple_of(peer, ra, &rp);
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	int rc = request(fd, local->ss_family), state = 0;
	static const size_t bufsize = 32768;
	char buf[bufsize] __attribute__((aligned(4)));
	while (rc == 0) {
		ssize_t n = recv(fd, buf, bufsize, 0);
		if (n < 0) {
			rc = -errno;
			break;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE)
				goto done;
			if (h->nlmsg_type == NLMSG_ERROR) {
				rc = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
				goto done;
			}
			const struct inet_diag_msg *m = NLMSG_DATA(h);
			if (!state && matches(m, la, lp, ra, rp))
				state = m->idiag_state;
		}
	}
done:
	close(fd);
	return rc < 0 ? rc : state;
}
