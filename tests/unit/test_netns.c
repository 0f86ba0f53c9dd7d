/* Unit tests for netns/: each test builds its topology in a forked child
 * (rootless when not run as root), so this process never changes namespace,
 * and checks the effect with real sockets rather than by reading netlink
 * back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/pkt_sched.h>
#include <netlink/msg.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/netem.h>
#include <netlink/route/tc.h>

#include "child.h"
#include "netns.h"

struct net {
	struct netns_host *a, *b;
	int rootless;
	char err[NETNS_ERRLEN];
	char why[512];
};

/* In the child, a failed check records where and why and returns. */
#define CHECK(n, cond, ...)                                                  \
	do {                                                                 \
		if (!(cond)) {                                               \
			int at_ = snprintf((n)->why, sizeof((n)->why),       \
					   "line %d: ", __LINE__);           \
			snprintf((n)->why + at_, sizeof((n)->why) - at_,     \
				 __VA_ARGS__);                               \
			return -1;                                           \
		}                                                            \
	} while (0)
#define CHECK_OK(n, call)                                                    \
	do {                                                                 \
		int rc_ = (call);                                            \
		CHECK(n, rc_ == 0, "%s = %d: %s", #call, rc_, (n)->err);     \
	} while (0)
#define CHECK_RC(n, call, want)                                              \
	do {                                                                 \
		int rc_ = (call);                                            \
		CHECK(n, rc_ == (want), "%s = %d, want %d (%s)", #call, rc_, \
		      (want), (n)->err);                                     \
	} while (0)

#define SKIPPED CHILD_SKIPPED

typedef int (*child_fn)(struct net *n);

struct child_box { child_fn fn; };

/* In the child: fn with a fresh struct net, its hosts freed after. */
static int net_body(void *arg, char *why, size_t len)
{
	struct net n = {0};
	int rc = ((const struct child_box *)arg)->fn(&n);

	netns_host_free(n.a);
	netns_host_free(n.b);
	snprintf(why, len, "%s", n.why);
	return rc;
}

static void in_child(child_fn fn)
{
	struct child_box box = { fn };
	child_run(net_body, &box, 20);
}

/* --- topology ----------------------------------------------------------- */

static const struct {
	int on_b;
	const char *cidr;
} addrs[] = {
	{0, "10.0.1.1/24"}, {0, "fd00:1::1/64"},
	{1, "10.0.1.2/24"}, {1, "fd00:1::2/64"},
};

static int hosts_veth(struct net *n)
{
	CHECK_OK(n, netns_become_root(&n->rootless, n->err));
	CHECK_OK(n, netns_host_new("a", &n->a, n->err));
	CHECK_OK(n, netns_host_new("b", &n->b, n->err));
	CHECK_OK(n, netns_veth_add(n->a, "eth0", n->b, "eth0", n->err));
	return 0;
}

/* Hosts a and b, a:eth0 <-> b:eth0 up, the addresses above, no routes. */
static int lan(struct net *n)
{
	if (hosts_veth(n) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++)
		CHECK_OK(n, netns_addr_add(addrs[i].on_b ? n->b : n->a, "eth0",
					   addrs[i].cidr, 0, n->err));
	CHECK_OK(n, netns_link_set_up(n->a, "eth0", 1, n->err));
	CHECK_OK(n, netns_link_set_up(n->b, "eth0", 1, n->err));
	CHECK_OK(n, netns_link_settle(n->a, "eth0", 2000, n->err));
	return 0;
}

/* --- socket helpers (in the current namespace) --------------------------- */

static socklen_t sockaddr_of(const char *ip, int port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		return sizeof(*s4);
	}
	if (inet_pton(AF_INET6, ip, &s6->sin6_addr) != 1)
		return 0;
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	return sizeof(*s6);
}

/* A UDP socket bound to ip:port, or -errno. */
static int udp_bound(const char *ip, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_of(ip, port, &ss);
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc;

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&ss, len) == 0)
		return fd;
	rc = -errno;
	close(fd);
	return rc;
}

/* connect() a fresh UDP socket to ip:port: 0 or -errno (route lookup). */
static int udp_connect(const char *ip, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_of(ip, port, &ss);
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&ss, len) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static int local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -errno;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* Send "ping" from host a to dst:7000 and receive it on a socket bound in
 * b; 0 or a negative errno (-ETIMEDOUT after wait_ms). */
static int a_to_b_within(struct net *n, const char *dst, int wait_ms)
{
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_of(dst, 7000, &ss);
	struct pollfd pfd = {.events = POLLIN};
	char buf[16] = "";
	int tx, rc = 0;

	if (netns_host_enter(n->b, n->err) < 0 || (pfd.fd = udp_bound(dst, 7000)) < 0)
		return -EIO;
	if (netns_host_enter(n->a, n->err) < 0 ||
	    (tx = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		close(pfd.fd);
		return -EIO;
	}
	if (sendto(tx, "ping", 4, 0, (struct sockaddr *)&ss, len) != 4)
		rc = -errno;
	else if (poll(&pfd, 1, wait_ms) != 1)
		rc = -ETIMEDOUT;
	else if (recv(pfd.fd, buf, sizeof(buf) - 1, 0) != 4 || strcmp(buf, "ping"))
		rc = -EPROTO;
	close(tx);
	close(pfd.fd);
	return rc;
}

static int a_to_b(struct net *n, const char *dst)
{
	return a_to_b_within(n, dst, 3000);
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Receive one datagram on fd within wait_ms; its length or -errno. */
static ssize_t recv_within(int fd, char *buf, size_t len, struct sockaddr_storage *from,
			   socklen_t *flen, int wait_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t got;

	if (poll(&p, 1, wait_ms) != 1)
		return -ETIMEDOUT;
	got = recvfrom(fd, buf, len, 0, (struct sockaddr *)from, flen);
	return got < 0 ? -errno : got;
}

/* a sends "ping" to 10.0.1.2:7000, b echoes it back: the round trip in
 * ms, or -errno. */
static long long udp_rtt_ms(struct net *n)
{
	struct sockaddr_storage to, from;
	socklen_t len = sockaddr_of("10.0.1.2", 7000, &to), flen = sizeof(from);
	char buf[16];
	int rx, tx;
	long long t0, rc;

	if (netns_host_enter(n->b, n->err) < 0 || (rx = udp_bound("10.0.1.2", 7000)) < 0)
		return -EIO;
	if (netns_host_enter(n->a, n->err) < 0 || (tx = udp_bound("10.0.1.1", 0)) < 0) {
		close(rx);
		return -EIO;
	}
	t0 = now_ms();
	if (sendto(tx, "ping", 4, 0, (struct sockaddr *)&to, len) != 4)
		rc = -errno;
	else if ((rc = recv_within(rx, buf, sizeof(buf), &from, &flen, 3000)) == 4 &&
		 sendto(rx, buf, 4, 0, (struct sockaddr *)&from, flen) != 4)
		rc = -errno;
	else if (rc == 4 && (rc = recv_within(tx, buf, sizeof(buf), &from, &flen, 3000)) == 4)
		rc = now_ms() - t0;
	else if (rc >= 0)
		rc = -EPROTO;
	close(tx);
	close(rx);
	return rc;
}

static int if_flags(const char *ifname, struct ifreq *ifr, unsigned long req)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", ifname);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, req, ifr) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* --- tests --------------------------------------------------------------- */

static void read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	assert_true(fd >= 0);
	got = read(fd, buf, len - 1);
	assert_true(got > 0);
	buf[got] = '\0';
	close(fd);
}

static int child_become_root(struct net *n)
{
	int was_root = geteuid() == 0;

	CHECK_OK(n, netns_become_root(&n->rootless, n->err));
	CHECK(n, n->rootless == !was_root, "rootless=%d as euid %d", n->rootless, !was_root);
	CHECK(n, geteuid() == 0, "euid %u after become_root", (unsigned)geteuid());
	return 0;
}

static void test_become_root(void **state)
{
	(void)state;
	in_child(child_become_root);
}

/* A case that runs programs is built in a user namespace whose root is
 * nobody outside: it configures its own hosts, and cannot enter the
 * namespace it came from (setns needs CAP_SYS_ADMIN in the user namespace
 * that owns the target, here the initial one). */
/* 0, or the errno with which this machine refuses a user namespace (a
 * container's seccomp profile, user.max_user_namespaces = 0), asked in a
 * process of its own so that the caller stays as it is. */
static int userns_refused(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(unshare(CLONE_NEWUSER) == 0 ? 0 : errno & 0xff);
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return EAGAIN;
	return WEXITSTATUS(status);
}

static int child_become_contained(struct net *n)
{
	char map[64] = "";
	int refused = userns_refused();
	if (refused) {
		snprintf(n->why, sizeof(n->why), "this machine refuses user namespaces: %s", strerror(refused));
		return SKIPPED;
	}
	unsigned inside, outside, count;
	unsigned want = geteuid() == 0 ? NETNS_NOBODY : geteuid();
	int machine = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	CHECK(n, machine >= 0, "open ns/net: %s", strerror(errno));

	CHECK_OK(n, netns_become_contained(&n->rootless, n->err));
	CHECK(n, n->rootless == 1, "rootless=%d", n->rootless);
	read_text("/proc/self/uid_map", map, sizeof(map));
	CHECK(n, sscanf(map, "%u %u %u", &inside, &outside, &count) == 3 && inside == 0 &&
	      outside == want && count == 1, "uid_map \"%s\", want 0 %u 1", map, want);
	CHECK_OK(n, netns_host_new("a", &n->a, n->err));
	CHECK_OK(n, netns_host_new("b", &n->b, n->err));
	CHECK_OK(n, netns_veth_add(n->a, "eth0", n->b, "eth0", n->err));
	CHECK_OK(n, netns_addr_add(n->a, "eth0", "10.0.1.1/24", 0, n->err));
	CHECK_OK(n, netns_sysctl_set(n->a, "net.ipv4.ip_forward", "1", n->err));
	CHECK(n, setns(machine, CLONE_NEWNET) < 0 && errno == EPERM,
	      "setns into the namespace we came from: %s", strerror(errno));
	close(machine);
	return 0;
}

static void test_become_contained(void **state)
{
	(void)state;
	in_child(child_become_contained);
}

static int child_veth_up(struct net *n)
{
	struct ifreq ifr;

	if (hosts_veth(n) < 0)
		return -1;
	CHECK(n, netns_link_index(n->a, "eth0", n->err) > 0, "%s", n->err);
	CHECK(n, netns_link_index(n->b, "eth0", n->err) > 0, "%s", n->err);
	for (int i = 0; i < 2; i++) {
		CHECK_OK(n, netns_host_enter(i ? n->b : n->a, n->err));
		CHECK(n, if_flags("eth0", &ifr, SIOCGIFFLAGS) == 0, "SIOCGIFFLAGS");
		CHECK(n, ifr.ifr_flags & IFF_UP, "eth0 down in %s", i ? "b" : "a");
		/* the index the library gave it is the kernel's */
		CHECK(n, if_nametoindex("eth0") == (unsigned)netns_link_index(i ? n->b : n->a, "eth0", n->err),
		      "eth0 index in %s", i ? "b" : "a");
		CHECK(n, if_flags("lo", &ifr, SIOCGIFFLAGS) == 0, "SIOCGIFFLAGS lo");
		CHECK(n, ifr.ifr_flags & IFF_UP, "lo down in %s", i ? "b" : "a");
	}
	return 0;
}

static void test_veth_ends_start_up(void **state)
{
	(void)state;
	in_child(child_veth_up);
}

static int child_udp4(struct net *n)
{
	if (lan(n) < 0)
		return -1;
	CHECK_RC(n, a_to_b(n, "10.0.1.2"), 0);
	return 0;
}

static void test_udp4_a_to_b(void **state)
{
	(void)state;
	in_child(child_udp4);
}

static int child_ipv6_nodad(struct net *n)
{
	int fd;

	if (lan(n) < 0)
		return -1;
	CHECK_OK(n, netns_host_enter(n->a, n->err));
	fd = udp_bound("fd00:1::1", 0);
	CHECK(n, fd >= 0, "bind fd00:1::1 right after setup: %s", strerror(-fd));
	close(fd);
	/* With DAD the new address stays tentative for about a second. */
	CHECK_OK(n, netns_addr_add(n->a, "eth0", "fd00:1::10/64", 1, n->err));
	CHECK_RC(n, udp_bound("fd00:1::10", 0), -EADDRNOTAVAIL);
	CHECK_RC(n, a_to_b(n, "fd00:1::2"), 0);
	return 0;
}

static void test_ipv6_nodad_bind(void **state)
{
	(void)state;
	in_child(child_ipv6_nodad);
}

static int join_any(const char *group)
{
	struct ip_mreq m = {.imr_interface.s_addr = htonl(INADDR_ANY)};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (fd < 0)
		return -errno;
	inet_pton(AF_INET, group, &m.imr_multiaddr);
	if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof(m)) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static int child_routes(struct net *n)
{
	if (lan(n) < 0)
		return -1;
	CHECK_OK(n, netns_host_enter(n->a, n->err));
	CHECK_RC(n, udp_connect("192.0.2.1", 9), -ENETUNREACH);
	CHECK_RC(n, udp_connect("2001:db8::1", 9), -ENETUNREACH);
	CHECK_OK(n, netns_route_add(n->a, "default", "10.0.1.2", NULL, n->err));
	CHECK_OK(n, netns_route_add(n->a, "default6", "fd00:1::2", "eth0", n->err));
	CHECK_RC(n, udp_connect("192.0.2.1", 9), 0);
	CHECK_RC(n, udp_connect("2001:db8::1", 9), 0);
	/* dora#889: joining with INADDR_ANY needs a route to the group. */
	CHECK_OK(n, netns_host_enter(n->b, n->err));
	CHECK_RC(n, join_any("224.0.0.224"), -ENODEV);
	CHECK_OK(n, netns_route_add(n->b, "224.0.0.0/4", NULL, "eth0", n->err));
	CHECK_RC(n, join_any("224.0.0.224"), 0);
	return 0;
}

static void test_routes_take_effect(void **state)
{
	(void)state;
	in_child(child_routes);
}

static int child_link_attrs(struct net *n)
{
	struct ifreq ifr;

	if (lan(n) < 0)
		return -1;
	CHECK_OK(n, netns_link_set_mtu(n->a, "eth0", 1400, n->err));
	CHECK_OK(n, netns_link_set_multicast(n->a, "eth0", 0, n->err));
	CHECK_OK(n, netns_host_enter(n->a, n->err));
	CHECK(n, if_flags("eth0", &ifr, SIOCGIFMTU) == 0, "SIOCGIFMTU");
	CHECK(n, ifr.ifr_mtu == 1400, "mtu %d", ifr.ifr_mtu);
	CHECK(n, if_flags("eth0", &ifr, SIOCGIFFLAGS) == 0, "SIOCGIFFLAGS");
	CHECK(n, !(ifr.ifr_flags & IFF_MULTICAST), "multicast still on");
	CHECK(n, ifr.ifr_flags & IFF_UP, "multicast off took the link down");
	CHECK_OK(n, netns_link_set_multicast(n->a, "eth0", 1, n->err));
	CHECK_OK(n, netns_link_set_up(n->a, "eth0", 0, n->err));
	CHECK(n, if_flags("eth0", &ifr, SIOCGIFFLAGS) == 0, "SIOCGIFFLAGS");
	CHECK(n, ifr.ifr_flags & IFF_MULTICAST, "multicast not back on");
	CHECK(n, !(ifr.ifr_flags & IFF_UP), "eth0 still up");
	CHECK_RC(n, netns_link_set_mtu(n->a, "eth0", 70000, n->err), -EINVAL);
	return 0;
}

static void test_link_mtu_multicast_updown(void **state)
{
	(void)state;
	in_child(child_link_attrs);
}

static int child_sysctl(struct net *n)
{
	const char *range = "net.ipv4.ip_local_port_range";
	char val[64];
	int fd, port;

	if (lan(n) < 0)
		return -1;
	CHECK_OK(n, netns_sysctl_set(n->a, range, "40000 40007", n->err));
	CHECK_OK(n, netns_sysctl_get(n->a, range, val, sizeof(val), n->err));
	CHECK(n, !strcmp(val, "40000 40007"), "read back \"%s\"", val);
	fd = udp_bound("10.0.1.1", 0); /* we are in a since the get */
	port = local_port(fd);
	close(fd);
	CHECK(n, port >= 40000 && port <= 40007, "autobound port %d", port);
	CHECK_OK(n, netns_sysctl_get(n->b, range, val, sizeof(val), n->err));
	CHECK(n, strcmp(val, "40000 40007") != 0, "b changed too: \"%s\"", val);
	CHECK_OK(n, netns_sysctl_get(n->b, "net.ipv6.conf.eth0.disable_ipv6", val,
				     sizeof(val), n->err));
	CHECK(n, !strcmp(val, "0"), "disable_ipv6 \"%s\"", val);
	CHECK_RC(n, netns_sysctl_get(n->a, range, val, 5, n->err), -ERANGE);
	return 0;
}

static void test_sysctl_per_host(void **state)
{
	(void)state;
	in_child(child_sysctl);
}

/* The message must start with the expected text; the kernel's extended
 * ack, when it gives one, may follow in parentheses. */
#define CHECK_MSG(n, want)                                                   \
	CHECK(n, !strncmp((n)->err, (want), strlen(want)), "message \"%s\", "  \
	      "want \"%s\"", (n)->err, (want))

static const char *const bad_cidrs[] = {
	"10.0.1.300/24", "10.0.1.1/33", "10.0.1.1/24x", "10.0.1.1/010x",
	"fd00::1/129", "default", "00:11:22:33:44:55", "", "10.0.1.1/",
};

static int child_errors(struct net *n)
{
	char val[32];

	if (lan(n) < 0)
		return -1;
	CHECK_RC(n, netns_link_index(n->a, "eth9", n->err), -ENODEV);
	CHECK_MSG(n, "link a:eth9: No such device");
	CHECK_RC(n, netns_veth_add(n->a, "eth0", n->b, "eth0", n->err), -EEXIST);
	CHECK_MSG(n, "veth a:eth0 <-> b:eth0: File exists");
	/* libnl would truncate the name to 15 bytes and succeed. */
	CHECK_RC(n, netns_veth_add(n->a, "averyveryverylongname", n->b, "x", n->err),
		 -EINVAL);
	CHECK_RC(n, netns_link_index(n->a, "averyveryverylongname", n->err), -EINVAL);
	CHECK_RC(n, netns_addr_add(n->a, "eth9", "10.0.1.1/24", 0, n->err), -ENODEV);
	CHECK_MSG(n, "addr 10.0.1.1/24 on a:eth9: No such device");
	CHECK_RC(n, netns_addr_add(n->a, "eth0", "10.0.1.1/24", 0, n->err), -EEXIST);
	for (size_t i = 0; i < sizeof(bad_cidrs) / sizeof(bad_cidrs[0]); i++)
		CHECK_RC(n, netns_addr_add(n->a, "eth0", bad_cidrs[i], 0, n->err), -EINVAL);
	CHECK_RC(n, netns_route_add(n->a, "default6", "10.0.1.2", NULL, n->err), -EINVAL);
	CHECK_RC(n, netns_route_add(n->a, "10.9.0.0/16", NULL, NULL, n->err), -EINVAL);
	/* libnl alone would say NLE_FAILURE here; the kernel said ENETUNREACH. */
	CHECK_RC(n, netns_route_add(n->a, "10.9.0.0/16", "10.5.5.5", NULL, n->err),
		 -ENETUNREACH);
	CHECK_RC(n, netns_link_set_up(n->a, "eth9", 1, n->err), -ENODEV);
	CHECK_RC(n, netns_sysctl_set(n->a, "kernel.hostname", "x", n->err), -EPERM);
	CHECK_MSG(n, "sysctl a kernel.hostname: only net.* is per-namespace");
	CHECK_RC(n, netns_sysctl_get(n->a, "net.ipv4.no_such", val, sizeof(val), n->err),
		 -ENOENT);
	CHECK_RC(n, netns_sysctl_set(n->a, "net.ipv4.ip_local_port_range", "x", n->err),
		 -EINVAL);
	CHECK_RC(n, netns_sysctl_get(n->a, "net.ipv4/../../kernel", val, sizeof(val),
				     n->err), -EINVAL);
	return 0;
}

static void test_errors(void **state)
{
	(void)state;
	in_child(child_errors);
}

/* --- link, address and route removal ------------------------------------ */

static int child_link_del(struct net *n)
{
	int ia, ib, ia2, ib2;

	if (lan(n) < 0)
		return -1;
	ia = netns_link_index(n->a, "eth0", n->err);
	ib = netns_link_index(n->b, "eth0", n->err);
	CHECK_OK(n, netns_link_del(n->a, "eth0", n->err));
	/* Both ends are gone, and neither host remembers its end. */
	for (int i = 0; i < 2; i++) {
		struct netns_host *h = i ? n->b : n->a;

		CHECK_OK(n, netns_host_enter(h, n->err));
		CHECK(n, if_nametoindex("eth0") == 0, "eth0 still in %s", i ? "b" : "a");
		CHECK_RC(n, netns_link_index(h, "eth0", n->err), -ENODEV);
	}
	CHECK_RC(n, netns_link_del(n->b, "eth0", n->err), -ENODEV);
	CHECK_MSG(n, "link b:eth0 del: No such device");
	/* Made again under the same names: new indexes, and it works. */
	CHECK_OK(n, netns_veth_add(n->a, "eth0", n->b, "eth0", n->err));
	ia2 = netns_link_index(n->a, "eth0", n->err);
	ib2 = netns_link_index(n->b, "eth0", n->err);
	CHECK(n, ia2 > 0 && ib2 > 0 && ia2 != ia && ib2 != ib, "indexes %d %d, were %d %d",
	      ia2, ib2, ia, ib);
	CHECK_OK(n, netns_host_enter(n->b, n->err));
	CHECK(n, if_nametoindex("eth0") == (unsigned)ib2, "b:eth0 index %u, remembered %d",
	      if_nametoindex("eth0"), ib2);
	CHECK_OK(n, netns_addr_add(n->a, "eth0", "10.0.1.1/24", 0, n->err));
	CHECK_OK(n, netns_addr_add(n->b, "eth0", "10.0.1.2/24", 0, n->err));
	CHECK_OK(n, netns_link_settle(n->b, "eth0", 2000, n->err));
	CHECK_RC(n, a_to_b(n, "10.0.1.2"), 0);
	/* From the other side this time. */
	CHECK_OK(n, netns_link_del(n->b, "eth0", n->err));
	CHECK_RC(n, netns_link_index(n->a, "eth0", n->err), -ENODEV);
	return 0;
}

static void test_link_del(void **state)
{
	(void)state;
	in_child(child_link_del);
}

static int child_addr_del(struct net *n)
{
	if (lan(n) < 0)
		return -1;
	CHECK_OK(n, netns_addr_del(n->a, "eth0", "10.0.1.1/24", n->err));
	CHECK_OK(n, netns_addr_del(n->a, "eth0", "fd00:1::1/64", n->err));
	CHECK_OK(n, netns_host_enter(n->a, n->err));
	CHECK_RC(n, udp_bound("10.0.1.1", 0), -EADDRNOTAVAIL);
	CHECK_RC(n, udp_bound("fd00:1::1", 0), -EADDRNOTAVAIL);
	CHECK_RC(n, netns_addr_del(n->a, "eth0", "10.0.1.1/24", n->err), -EADDRNOTAVAIL);
	CHECK_MSG(n, "addr 10.0.1.1/24 del from a:eth0: Cannot assign requested address");
	/* The prefix is part of what is deleted, as for `ip addr del`. */
	CHECK_RC(n, netns_addr_del(n->b, "eth0", "fd00:1::2/48", n->err), -EADDRNOTAVAIL);
	CHECK_RC(n, netns_addr_del(n->b, "eth9", "10.0.1.2/24", n->err), -ENODEV);
	CHECK_RC(n, netns_addr_del(n->b, "eth0", "10.0.1.300/24", n->err), -EINVAL);
	/* b kept its own. */
	CHECK_OK(n, netns_host_enter(n->b, n->err));
	int fd = udp_bound("fd00:1::2", 0);
	CHECK(n, fd >= 0, "bind fd00:1::2: %s", strerror(-fd));
	close(fd);
	return 0;
}

static void test_addr_del(void **state)
{
	(void)state;
	in_child(child_addr_del);
}

static int child_route_del(struct net *n)
{
	if (lan(n) < 0)
		return -1;
	CHECK_OK(n, netns_route_add(n->a, "default", "10.0.1.2", NULL, n->err));
	CHECK_OK(n, netns_route_add(n->a, "default6", "fd00:1::2", "eth0", n->err));
	CHECK_OK(n, netns_host_enter(n->a, n->err));
	CHECK_RC(n, udp_connect("192.0.2.1", 9), 0);
	CHECK_RC(n, udp_connect("2001:db8::1", 9), 0);
	CHECK_OK(n, netns_route_del(n->a, "default", "10.0.1.2", NULL, n->err));
	CHECK_OK(n, netns_route_del(n->a, "default6", "fd00:1::2", "eth0", n->err));
	CHECK_RC(n, udp_connect("192.0.2.1", 9), -ENETUNREACH);
	CHECK_RC(n, udp_connect("2001:db8::1", 9), -ENETUNREACH);
	CHECK_RC(n, netns_route_del(n->a, "default", "10.0.1.2", NULL, n->err), -ESRCH);
	CHECK_MSG(n, "route del default via 10.0.1.2 on a: No such process");
	/* The kernel's own prefix route (proto kernel) goes too. */
	CHECK_RC(n, udp_connect("10.0.1.2", 9), 0);
	CHECK_OK(n, netns_route_del(n->a, "10.0.1.0/24", NULL, "eth0", n->err));
	CHECK_RC(n, udp_connect("10.0.1.2", 9), -ENETUNREACH);
	CHECK_RC(n, netns_route_del(n->a, "10.0.1.0/24", NULL, NULL, n->err), -EINVAL);
	return 0;
}

static void test_route_del(void **state)
{
	(void)state;
	in_child(child_route_del);
}

/* --- netem --------------------------------------------------------------- */

/* The root qdisc of ifname in the current namespace, as the kernel dumps
 * it: through libnl's qdisc cache, and the rate (which libnl does not
 * parse) from TCA_OPTIONS by hand. */
struct root_qdisc {
	int ifindex;
	char kind[16];
	int delay_us, limit;
	uint32_t loss, reorder;
	int has_rate;
	unsigned long long rate; /* bytes/s */
};

static int netem_rate_cb(struct nl_msg *msg, void *arg)
{
	const int off = NLA_ALIGN(sizeof(struct tc_netem_qopt));
	struct root_qdisc *r = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct tcmsg *tcm = nlmsg_data(nlh);
	struct nlattr *kind = nlmsg_find_attr(nlh, sizeof(*tcm), TCA_KIND);
	struct nlattr *opts = nlmsg_find_attr(nlh, sizeof(*tcm), TCA_OPTIONS), *a, *attrs;

	if (tcm->tcm_ifindex != r->ifindex || tcm->tcm_parent != TC_H_ROOT || !kind ||
	    nla_strcmp(kind, "netem") != 0 || !opts || nla_len(opts) < off)
		return NL_OK;
	attrs = (struct nlattr *)((char *)nla_data(opts) + off);
	if ((a = nla_find(attrs, nla_len(opts) - off, TCA_NETEM_RATE)) &&
	    nla_len(a) >= (int)sizeof(struct tc_netem_rate)) {
		r->has_rate = 1;
		r->rate = ((struct tc_netem_rate *)nla_data(a))->rate;
	}
	if ((a = nla_find(attrs, nla_len(opts) - off, TCA_NETEM_RATE64)))
		r->rate = nla_get_u64(a);
	return NL_OK;
}

static int root_qdisc(const char *ifname, struct root_qdisc *r)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_cache *cache = NULL;
	struct tcmsg tcm = {.tcm_family = AF_UNSPEC};
	struct rtnl_qdisc *q = NULL;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	r->ifindex = (int)if_nametoindex(ifname);
	if (!sk || !r->ifindex || nl_connect(sk, NETLINK_ROUTE) < 0 ||
	    rtnl_qdisc_alloc_cache(sk, &cache) < 0)
		goto out;
	q = rtnl_qdisc_get_by_parent(cache, r->ifindex, TC_H_ROOT);
	if (q) {
		snprintf(r->kind, sizeof(r->kind), "%s", rtnl_tc_get_kind(TC_CAST(q)));
		if (!strcmp(r->kind, "netem")) {
			r->delay_us = rtnl_netem_get_delay(q);
			r->limit = rtnl_netem_get_limit(q);
			r->loss = (uint32_t)rtnl_netem_get_loss(q);
			r->reorder = (uint32_t)rtnl_netem_get_reorder_probability(q);
		}
		rtnl_qdisc_put(q);
	}
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, netem_rate_cb, r);
	if (nl_send_simple(sk, RTM_GETQDISC, NLM_F_DUMP, &tcm, sizeof(tcm)) >= 0 &&
	    nl_recvmsgs_default(sk) >= 0)
		rc = 0;
out:
	nl_cache_free(cache);
	nl_socket_free(sk);
	return rc;
}

/* The first netem of a test: a kernel without sch_netem answers ENOENT
 * ("Specified qdisc kind is unknown"), and the test is skipped. */
#define NETEM_FIRST(n, h, ifname, nm)                                        \
	do {                                                                 \
		int rc_ = netns_netem_set((h), (ifname), (nm), (n)->err);    \
		if (rc_ == -ENOENT) {                                        \
			snprintf((n)->why, sizeof((n)->why),                 \
				 "the kernel has no netem: %s", (n)->err);   \
			return SKIPPED;                                      \
		}                                                            \
		CHECK(n, rc_ == 0, "first netem = %d: %s", rc_, (n)->err);   \
	} while (0)

static int child_netem_delay(struct net *n)
{
	const struct netns_netem delay = {.delay_us = 50000};
	struct root_qdisc r;
	long long rtt;

	if (lan(n) < 0)
		return -1;
	NETEM_FIRST(n, n->a, "eth0", &delay);
	CHECK_OK(n, netns_host_enter(n->a, n->err));
	CHECK(n, root_qdisc("eth0", &r) == 0, "reading a:eth0's qdisc back");
	CHECK(n, !strcmp(r.kind, "netem"), "root qdisc \"%s\"", r.kind);
	CHECK(n, r.delay_us >= 49990 && r.delay_us <= 50010, "delay %d us", r.delay_us);
	CHECK(n, r.limit == 1000, "limit %d", r.limit);
	CHECK(n, r.loss == 0 && r.rate == 0, "loss %u rate %llu", r.loss, r.rate);
	rtt = udp_rtt_ms(n);
	CHECK(n, rtt >= 50, "round trip %lld ms (or -errno)", rtt);
	/* netem replaced by netem: set again in place, nothing kept. */
	const struct netns_netem reorder = {.delay_us = 10000, .reorder = 25, .limit = 50};
	CHECK_OK(n, netns_netem_set(n->a, "eth0", &reorder, n->err));
	CHECK(n, root_qdisc("eth0", &r) == 0, "reading a:eth0's qdisc back");
	CHECK(n, r.delay_us >= 9990 && r.delay_us <= 10010 && r.limit == 50, "delay %d limit %d",
	      r.delay_us, r.limit);
	CHECK(n, r.reorder >= 1073741823u && r.reorder <= 1073741824u, "reorder %u", r.reorder);
	CHECK_OK(n, netns_netem_set(n->a, "eth0", &delay, n->err));
	CHECK(n, root_qdisc("eth0", &r) == 0, "reading a:eth0's qdisc back");
	CHECK(n, r.reorder == 0 && r.limit == 1000, "reorder %u limit %d kept", r.reorder, r.limit);
	return 0;
}

static void test_netem_delay(void **state)
{
	(void)state;
	in_child(child_netem_delay);
}

static int child_netem_loss_clear(struct net *n)
{
	const struct netns_netem half = {.loss = 50}, all = {.loss = 100};
	struct root_qdisc r;

	if (lan(n) < 0)
		return -1;
	NETEM_FIRST(n, n->a, "eth0", &half);
	CHECK_OK(n, netns_host_enter(n->a, n->err));
	CHECK(n, root_qdisc("eth0", &r) == 0, "reading a:eth0's qdisc back");
	CHECK(n, r.loss >= 2147483647u && r.loss <= 2147483648u, "50%% is %u", r.loss);
	CHECK_OK(n, netns_netem_set(n->a, "eth0", &all, n->err));
	CHECK(n, root_qdisc("eth0", &r) == 0, "reading a:eth0's qdisc back");
	CHECK(n, r.loss == UINT32_MAX, "100%% is %u", r.loss);
	CHECK_RC(n, a_to_b_within(n, "10.0.1.2", 300), -ETIMEDOUT);
	CHECK_OK(n, netns_netem_clear(n->a, "eth0", n->err));
	CHECK(n, root_qdisc("eth0", &r) == 0, "reading a:eth0's qdisc back");
	CHECK(n, strcmp(r.kind, "netem") != 0, "root qdisc still netem");
	CHECK_RC(n, a_to_b_within(n, "10.0.1.2", 1000), 0);
	/* Nothing left to clear: the kernel's answer, not a crash. */
	CHECK_RC(n, netns_netem_clear(n->a, "eth0", n->err), -EINVAL);
	CHECK_MSG(n, "netem off a:eth0: Invalid argument");
	CHECK_RC(n, netns_netem_clear(n->a, "eth9", n->err), -ENODEV);
	return 0;
}

static void test_netem_loss_clear(void **state)
{
	(void)state;
	in_child(child_netem_loss_clear);
}

/* netem at 80 kbit/s: five 1000-byte IPv4 datagrams (1014 bytes with the
 * Ethernet header) take half a second; the last arrives after >= 400 ms. */
static int child_netem_rate(struct net *n)
{
	const struct netns_netem slow = {.rate_bps = 80000}, fast = {.rate_bps = 1ULL << 40};
	const struct netns_netem none = {.delay_us = 1000};
	struct sockaddr_storage to, from;
	socklen_t len = sockaddr_of("10.0.1.2", 7000, &to), flen;
	struct root_qdisc r;
	char buf[972] = "";
	long long t0, took;
	int rx, tx, got = 0;

	if (lan(n) < 0)
		return -1;
	NETEM_FIRST(n, n->a, "eth0", &slow);
	CHECK_OK(n, netns_host_enter(n->a, n->err));
	CHECK(n, root_qdisc("eth0", &r) == 0, "reading a:eth0's qdisc back");
	CHECK(n, !strcmp(r.kind, "netem") && r.has_rate && r.rate == 10000,
	      "kind %s rate %llu bytes/s", r.kind, r.rate);
	CHECK_OK(n, netns_host_enter(n->b, n->err));
	rx = udp_bound("10.0.1.2", 7000);
	CHECK_OK(n, netns_host_enter(n->a, n->err));
	tx = udp_bound("10.0.1.1", 0);
	CHECK(n, rx >= 0 && tx >= 0, "sockets %d %d", rx, tx);
	t0 = now_ms();
	for (int i = 0; i < 5; i++)
		if (sendto(tx, buf, sizeof(buf), 0, (struct sockaddr *)&to, len) == sizeof(buf))
			got++;
	for (int i = 0; i < 5 && got == 5; i++) {
		flen = sizeof(from);
		if (recv_within(rx, buf, sizeof(buf), &from, &flen, 2000) != sizeof(buf))
			got = -i;
	}
	took = now_ms() - t0;
	close(rx);
	close(tx);
	CHECK(n, got == 5, "sent or received only %d", got);
	CHECK(n, took >= 400, "5 x 1014 bytes at 10000 bytes/s took %lld ms", took);
	/* Above 2^32-1 bytes/s: TCA_NETEM_RATE64. */
	CHECK_OK(n, netns_netem_set(n->a, "eth0", &fast, n->err));
	CHECK(n, root_qdisc("eth0", &r) == 0 && r.rate == (1ULL << 37), "rate %llu bytes/s", r.rate);
	/* And gone when not asked for again. */
	CHECK_OK(n, netns_netem_set(n->a, "eth0", &none, n->err));
	CHECK(n, root_qdisc("eth0", &r) == 0 && r.rate == 0, "rate %llu kept", r.rate);
	return 0;
}

static void test_netem_rate(void **state)
{
	(void)state;
	in_child(child_netem_rate);
}

static int child_netem_invalid(struct net *n)
{
	const struct netns_netem over = {.loss = 100.5}, reorder = {.reorder = 10};
	const struct netns_netem gap = {.delay_us = 1000, .gap = 5}, rate = {.rate_bps = 7};

	if (hosts_veth(n) < 0)
		return -1;
	CHECK_RC(n, netns_netem_set(n->a, "eth0", &over, n->err), -EINVAL);
	CHECK_MSG(n, "netem on a:eth0: loss, duplicate, corrupt and reorder are 0 to 100");
	CHECK_RC(n, netns_netem_set(n->a, "eth0", &reorder, n->err), -EINVAL);
	CHECK_MSG(n, "netem on a:eth0: reorder needs a delay");
	CHECK_RC(n, netns_netem_set(n->a, "eth0", &gap, n->err), -EINVAL);
	CHECK_RC(n, netns_netem_set(n->a, "eth0", &rate, n->err), -EINVAL);
	CHECK_RC(n, netns_netem_set(n->a, "eth0", NULL, n->err), -EINVAL);
	const struct netns_netem ok = {.delay_us = 1000, .jitter_us = 500, .duplicate = 1,
				       .corrupt = 1, .reorder = 5, .gap = 3, .limit = 10};
	CHECK_RC(n, netns_netem_set(n->a, "eth9", &ok, n->err), -ENODEV);
	CHECK_MSG(n, "netem on a:eth9: No such device");
	/* Every libnl setter at once (libnl's own attributes and ours). */
	NETEM_FIRST(n, n->a, "eth0", &ok);
	return 0;
}

static void test_netem_invalid(void **state)
{
	(void)state;
	in_child(child_netem_invalid);
}

/* --- settling ------------------------------------------------------------ */

static int child_settle_one_down(struct net *n)
{
	long long t0;

	if (hosts_veth(n) < 0)
		return -1;
	CHECK_OK(n, netns_link_set_up(n->b, "eth0", 0, n->err));
	/* At once, not after the timeout (the bound is loose for valgrind). */
	t0 = now_ms();
	CHECK_OK(n, netns_link_settle(n->a, "eth0", 5000, n->err));
	CHECK_OK(n, netns_link_settle(n->b, "eth0", 5000, n->err));
	CHECK_OK(n, netns_link_wait_running(n->a, "eth0", 5000, n->err));
	CHECK(n, now_ms() - t0 < 2500, "settling a link without carrier took %lld ms",
	      now_ms() - t0);
	CHECK_RC(n, netns_link_settle(n->a, "eth9", 100, n->err), -ENODEV);
	/* Up again: settled means the queue is attached. */
	CHECK_OK(n, netns_link_set_up(n->b, "eth0", 1, n->err));
	CHECK_OK(n, netns_link_settle(n->b, "eth0", 2000, n->err));
	for (int i = 0; i < 2; i++) {
		struct netns_link_stats st;

		CHECK_OK(n, netns_link_stats(i ? n->b : n->a, "eth0", &st, n->err));
		CHECK(n, strcmp(st.qdisc, "noop") != 0, "qdisc still noop after settle");
	}
	return 0;
}

static void test_settle_one_end_down(void **state)
{
	(void)state;
	in_child(child_settle_one_down);
}

#define MANY_LINKS 200

/* With 31 links or more the host's link events overflowed (ENOBUFS) and
 * the wait failed with "reading link events: No buffer space available";
 * settling reads the state instead. Also: the table
 * of remembered interfaces is full after 31 pairs; deleting and making
 * links past it must leave no stale index behind. */
static int child_many_links(struct net *n)
{
	char ifa[16], ifb[16];

	CHECK_OK(n, netns_become_root(&n->rootless, n->err));
	CHECK_OK(n, netns_host_new("a", &n->a, n->err));
	CHECK_OK(n, netns_host_new("b", &n->b, n->err));
	for (int i = 0; i < MANY_LINKS; i++) {
		snprintf(ifa, sizeof(ifa), "a%d", i);
		snprintf(ifb, sizeof(ifb), "b%d", i);
		CHECK_OK(n, netns_veth_add(n->a, ifa, n->b, ifb, n->err));
	}
	for (int i = 0; i < MANY_LINKS; i++) {
		snprintf(ifa, sizeof(ifa), "a%d", i);
		snprintf(ifb, sizeof(ifb), "b%d", i);
		CHECK_OK(n, netns_link_settle(n->a, ifa, 2000, n->err));
		CHECK_OK(n, netns_link_settle(n->b, ifb, 2000, n->err));
		CHECK_OK(n, netns_link_wait_running(n->a, ifa, 2000, n->err));
		CHECK_OK(n, netns_link_wait_running(n->b, ifb, 2000, n->err));
	}
	/* a5 is remembered, b150 is not; each delete takes its peer. */
	CHECK_OK(n, netns_link_del(n->a, "a5", n->err));
	CHECK_OK(n, netns_link_del(n->b, "b150", n->err));
	CHECK_RC(n, netns_link_index(n->b, "b5", n->err), -ENODEV);
	CHECK_RC(n, netns_link_index(n->a, "a150", n->err), -ENODEV);
	CHECK_OK(n, netns_veth_add(n->a, "a150", n->b, "b150", n->err));
	CHECK_OK(n, netns_veth_add(n->a, "a5", n->b, "b5", n->err));
	CHECK_OK(n, netns_link_del(n->b, "b150", n->err));
	CHECK_OK(n, netns_veth_add(n->a, "a150", n->b, "b150", n->err));
	const char *check[][2] = {{"a5", "b5"}, {"a150", "b150"}, {"a199", "b199"}};
	for (size_t i = 0; i < sizeof(check) / sizeof(check[0]); i++) {
		for (int k = 0; k < 2; k++) {
			struct netns_host *h = k ? n->b : n->a;
			int idx = netns_link_index(h, check[i][k], n->err);

			CHECK_OK(n, netns_host_enter(h, n->err));
			CHECK(n, idx > 0 && (unsigned)idx == if_nametoindex(check[i][k]),
			      "%s: index %d, kernel's %u", check[i][k], idx,
			      if_nametoindex(check[i][k]));
		}
		CHECK_OK(n, netns_addr_add(n->a, check[i][0], "fd00:9::1/64", 0, n->err));
		CHECK_OK(n, netns_link_settle(n->a, check[i][0], 2000, n->err));
		CHECK_OK(n, netns_addr_del(n->a, check[i][0], "fd00:9::1/64", n->err));
	}
	return 0;
}

static void test_settle_many_links(void **state)
{
	(void)state;
	in_child(child_many_links);
}

/* --- DAD ----------------------------------------------------------------- */

static int child_dad_no_carrier(struct net *n)
{
	char st[32];
	long long t0;

	if (hosts_veth(n) < 0)
		return -1;
	CHECK_OK(n, netns_link_set_up(n->b, "eth0", 0, n->err));
	CHECK_OK(n, netns_addr_add(n->a, "eth0", "fd00:1::1/64", 1, n->err));
	t0 = now_ms();
	CHECK_OK(n, netns_addr_dad(n->a, "eth0", 5000, st, sizeof(st), n->err));
	CHECK(n, !strcmp(st, "tentative: no carrier"), "state \"%s\"", st);
	CHECK(n, now_ms() - t0 < 2500, "no carrier answered after %lld ms", now_ms() - t0);
	CHECK_RC(n, netns_addr_dad(n->a, "eth9", 100, st, sizeof(st), n->err), -ENODEV);
	CHECK_MSG(n, "addr dad on a:eth9: No such device");
	return 0;
}

static void test_dad_no_carrier(void **state)
{
	(void)state;
	in_child(child_dad_no_carrier);
}

/* DAD in about 100 ms: one probe, 100 ms apart, no random start delay
 * (router_solicitation_delay, up to 1 s by default). The link goes down
 * and up around the change so that its link-local address, made when it
 * comes up, runs DAD with them too. */
static int fast_dad(struct net *n, struct netns_host *h)
{
	static const char *const set[][2] = {
		{"net.ipv6.neigh.eth0.retrans_time_ms", "100"},
		{"net.ipv6.conf.eth0.dad_transmits", "1"},
		{"net.ipv6.conf.eth0.router_solicitation_delay", "0"},
	};

	CHECK_OK(n, netns_link_set_up(h, "eth0", 0, n->err));
	for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++)
		CHECK_OK(n, netns_sysctl_set(h, set[i][0], set[i][1], n->err));
	CHECK_OK(n, netns_link_set_up(h, "eth0", 1, n->err));
	CHECK_OK(n, netns_link_settle(h, "eth0", 2000, n->err));
	return 0;
}

static int child_dad_done(struct net *n)
{
	char st[32];
	long long t0;

	if (hosts_veth(n) < 0 || fast_dad(n, n->a) < 0)
		return -1;
	CHECK_OK(n, netns_addr_add(n->a, "eth0", "fd00:1::1/64", 1, n->err));
	t0 = now_ms();
	CHECK_OK(n, netns_addr_dad(n->a, "eth0", 5000, st, sizeof(st), n->err));
	CHECK(n, !strcmp(st, "done"), "state \"%s\" after %lld ms", st, now_ms() - t0);
	CHECK_OK(n, netns_host_enter(n->a, n->err));
	int fd = udp_bound("fd00:1::1", 0);
	CHECK(n, fd >= 0, "bind fd00:1::1 after DAD: %s", strerror(-fd));
	close(fd);
	/* Too short a wait says so. */
	CHECK_OK(n, netns_sysctl_set(n->a, "net.ipv6.neigh.eth0.retrans_time_ms", "1000", n->err));
	CHECK_OK(n, netns_addr_add(n->a, "eth0", "fd00:1::3/64", 1, n->err));
	CHECK_OK(n, netns_addr_dad(n->a, "eth0", 50, st, sizeof(st), n->err));
	CHECK(n, !strcmp(st, "tentative"), "state \"%s\" after 50 ms", st);
	return 0;
}

static void test_dad_done(void **state)
{
	(void)state;
	in_child(child_dad_done);
}

static int child_dad_failed(struct net *n)
{
	char st[32];

	if (hosts_veth(n) < 0 || fast_dad(n, n->a) < 0 || fast_dad(n, n->b) < 0)
		return -1;
	CHECK_OK(n, netns_addr_add(n->a, "eth0", "fd00:1::7/64", 1, n->err));
	CHECK_OK(n, netns_addr_dad(n->a, "eth0", 5000, st, sizeof(st), n->err));
	CHECK(n, !strcmp(st, "done"), "a: state \"%s\"", st);
	CHECK_OK(n, netns_addr_add(n->b, "eth0", "fd00:1::7/64", 1, n->err));
	CHECK_OK(n, netns_addr_dad(n->b, "eth0", 5000, st, sizeof(st), n->err));
	CHECK(n, !strcmp(st, "dadfailed"), "b: state \"%s\"", st);
	return 0;
}

static void test_dad_failed(void **state)
{
	(void)state;
	in_child(child_dad_failed);
}

static int child_full(struct net *n)
{
	if (lan(n) < 0)
		return -1;
	CHECK_OK(n, netns_route_add(n->a, "default", "10.0.1.2", NULL, n->err));
	CHECK_OK(n, netns_route_add(n->a, "224.0.0.0/4", NULL, "eth0", n->err));
	CHECK_OK(n, netns_link_set_mtu(n->a, "eth0", 1400, n->err));
	CHECK_OK(n, netns_link_set_multicast(n->a, "eth0", 0, n->err));
	CHECK_OK(n, netns_sysctl_set(n->a, "net.ipv4.ip_local_port_range",
				     "40000 40007", n->err));
	return 0;
}

static void test_host_namespace_unchanged(void **state)
{
	const char *range = "/proc/sys/net/ipv4/ip_local_port_range";
	char before[64], after[64];
	struct stat s0, s1;

	(void)state;
	assert_int_equal(stat("/proc/self/ns/net", &s0), 0);
	read_text(range, before, sizeof(before));
	in_child(child_full);
	assert_int_equal(stat("/proc/self/ns/net", &s1), 0);
	read_text(range, after, sizeof(after));
	assert_true(s0.st_ino == s1.st_ino && s0.st_dev == s1.st_dev);
	assert_string_equal(before, after);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_become_root),
		cmocka_unit_test(test_become_contained),
		cmocka_unit_test(test_veth_ends_start_up),
		cmocka_unit_test(test_udp4_a_to_b),
		cmocka_unit_test(test_ipv6_nodad_bind),
		cmocka_unit_test(test_routes_take_effect),
		cmocka_unit_test(test_link_mtu_multicast_updown),
		cmocka_unit_test(test_sysctl_per_host),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_host_namespace_unchanged),
		cmocka_unit_test(test_link_del),
		cmocka_unit_test(test_addr_del),
		cmocka_unit_test(test_route_del),
		cmocka_unit_test(test_netem_delay),
		cmocka_unit_test(test_netem_loss_clear),
		cmocka_unit_test(test_netem_rate),
		cmocka_unit_test(test_netem_invalid),
		cmocka_unit_test(test_settle_one_end_down),
		cmocka_unit_test(test_settle_many_links),
		cmocka_unit_test(test_dad_no_carrier),
		cmocka_unit_test(test_dad_done),
		cmocka_unit_test(test_dad_failed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
