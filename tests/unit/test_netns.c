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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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

typedef int (*child_fn)(struct net *n);

/* Run fn in a child; fail the test with its message when it fails. The
 * child ends with exit(), not _exit(), so ASan/valgrind check its leaks. */
static void in_child(child_fn fn)
{
	char why[512] = "";
	int p[2], status = 0;
	ssize_t got;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct net n = {0};
		int rc;

		close(p[0]);
		alarm(20);
		rc = fn(&n);
		netns_host_free(n.a);
		netns_host_free(n.b);
		if (rc != 0 && write(p[1], n.why, strlen(n.why)) < 0)
			rc = 2;
		close(p[1]);
		exit(rc == 0 ? 0 : 1);
	}
	close(p[1]);
	got = read(p[0], why, sizeof(why) - 1);
	why[got > 0 ? got : 0] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("child failed (status 0x%x): %s", status, why);
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
 * b; 0 or a negative errno (-ETIMEDOUT after 3 s). */
static int a_to_b(struct net *n, const char *dst)
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
	else if (poll(&pfd, 1, 3000) != 1)
		rc = -ETIMEDOUT;
	else if (recv(pfd.fd, buf, sizeof(buf) - 1, 0) != 4 || strcmp(buf, "ping"))
		rc = -EPROTO;
	close(tx);
	close(pfd.fd);
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
		cmocka_unit_test(test_veth_ends_start_up),
		cmocka_unit_test(test_udp4_a_to_b),
		cmocka_unit_test(test_ipv6_nodad_bind),
		cmocka_unit_test(test_routes_take_effect),
		cmocka_unit_test(test_link_mtu_multicast_updown),
		cmocka_unit_test(test_sysctl_per_host),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_host_namespace_unchanged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
