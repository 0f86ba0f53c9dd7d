/* Unit tests for runner/exec/capture: each test runs in a forked child that
 * moves into a new network namespace with only lo, up, so the frames it
 * captures are the ones it sent and this process never changes namespace. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"
#include "child.h"
#include "netns.h"

#define DST_PORT 33434
#define SRC_PORT 40000
#define CLOSED_PORT 33435
#define SENT 5

#define TO_DST "udp and dst port 33434"

struct t {
	struct capture *lo, *any;
	char dir[32];
	char lo_path[64], any_path[64];
	char err[CAPTURE_ERRLEN];
	char why[1024];
	unsigned sent;          /* datagrams so far, for drain_lo */
	struct netns_host *a, *b;
};

/* In the child, a failed check records where and why and returns. */
#define CHECK(t, cond, ...)                                                  \
	do {                                                                 \
		if (!(cond)) {                                               \
			int at_ = snprintf((t)->why, sizeof((t)->why),       \
					   "line %d: ", __LINE__);           \
			snprintf((t)->why + at_, sizeof((t)->why) - at_,     \
				 __VA_ARGS__);                               \
			return -1;                                           \
		}                                                            \
	} while (0)
#define CHECK_OK(t, call)                                                    \
	do {                                                                 \
		int rc_ = (call);                                            \
		CHECK(t, rc_ == 0, "%s = %d: %s", #call, rc_, (t)->err);     \
	} while (0)
#define CHECK_COUNT(t, c, filter, want)                                      \
	do {                                                                 \
		long got_ = capture_count((c), (filter), (t)->err,           \
					  sizeof((t)->err));                 \
		CHECK(t, got_ == (long)(want), "count(%s, \"%s\") = %ld, want %ld (%s)", \
		      #c, (filter), got_, (long)(want), got_ < 0 ? (t)->err : ""); \
	} while (0)

typedef int (*child_fn)(struct t *t);

static void cleanup(struct t *t)
{
	capture_close(t->lo, NULL);
	capture_close(t->any, NULL);
	netns_host_free(t->a);
	netns_host_free(t->b);
	if (!t->dir[0])
		return;
	unlink(t->lo_path);
	unlink(t->any_path);
	rmdir(t->dir);
}

struct child_box { child_fn fn; };

/* In the child: fn with a fresh struct t, cleaned up after. */
static int t_body(void *arg, char *why, size_t len)
{
	struct t t = {0};
	int rc = ((const struct child_box *)arg)->fn(&t);

	cleanup(&t);
	snprintf(why, len, "%s", t.why);
	return rc;
}

static void in_child(child_fn fn)
{
	struct child_box box = { fn };
	child_run(t_body, &box, 60);
}

/* --- setting up ---------------------------------------------------------- */

static int lo_set_up(int up)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		rc = -errno;
	ifr.ifr_flags = up ? ifr.ifr_flags | IFF_UP : ifr.ifr_flags & ~IFF_UP;
	if (rc == 0 && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* A new network namespace (in a user namespace when not root) with lo up. */
static int new_net(struct t *t)
{
	int rootless;

	CHECK_OK(t, netns_become_root(&rootless, t->err));
	CHECK(t, unshare(CLONE_NEWNET) == 0, "unshare(CLONE_NEWNET): %s", strerror(errno));
	CHECK(t, lo_set_up(1) == 0, "lo up failed");
	return 0;
}

/* A new namespace and two captures in it, on lo and on "any", each written
 * to a file in a fresh directory. */
static int two_captures(struct t *t)
{
	if (new_net(t) < 0)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "/tmp/test_capture.XXXXXX");
	CHECK(t, mkdtemp(t->dir), "mkdtemp: %s", strerror(errno));
	snprintf(t->lo_path, sizeof(t->lo_path), "%s/lo.pcap", t->dir);
	snprintf(t->any_path, sizeof(t->any_path), "%s/any.pcap", t->dir);
	t->lo = capture_open("lo", t->lo_path, t->err, sizeof(t->err));
	CHECK(t, t->lo, "open lo: %s", t->err);
	t->any = capture_open(NULL, t->any_path, t->err, sizeof(t->err));
	CHECK(t, t->any, "open any: %s", t->err);
	return 0;
}

/* --- traffic ------------------------------------------------------------- */

static void sin_loopback(struct sockaddr_in *sin, int port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin->sin_port = htons(port);
}

static int udp_bound(int port)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	sin_loopback(&sin, port);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* n datagrams of len bytes from 127.0.0.1:SRC_PORT to 127.0.0.1:DST_PORT,
 * each received before the next is sent (a bound socket: no ICMP port
 * unreachable in the capture). each(arg) runs after every datagram. */
static int send_udp(struct t *t, int n, size_t len, int (*each)(struct t *))
{
	struct sockaddr_in dst;
	int tx = udp_bound(SRC_PORT), rx = udp_bound(DST_PORT), rc = 0;
	char *buf = calloc(1, len + 1);

	sin_loopback(&dst, DST_PORT);
	for (int i = 0; i < n && rc == 0 && tx >= 0 && rx >= 0 && buf; i++) {
		struct pollfd pfd = {.fd = rx, .events = POLLIN};

		if (sendto(tx, buf, len, 0, (struct sockaddr *)&dst, sizeof(dst)) != (ssize_t)len ||
		    poll(&pfd, 1, 3000) != 1 || recv(rx, buf, len + 1, 0) != (ssize_t)len)
			rc = -1;
		else if (each && each(t) < 0)
			rc = -2;        /* each said why */
	}
	if (tx < 0 || rx < 0 || !buf)
		rc = -1;
	free(buf);
	if (tx >= 0)
		close(tx);
	if (rx >= 0)
		close(rx);
	if (rc == -2)
		return -1;
	CHECK(t, rc == 0, "sending %d datagrams of %zu bytes failed: %s", n, len, strerror(errno));
	return 0;
}

/* --- tests --------------------------------------------------------------- */

/* On lo the kernel hands the capture every datagram twice, going out
 * (PACKET_OUTGOING) and coming back in (PACKET_HOST): ps_recv says 2 per
 * datagram on "lo". libpcap discards the outgoing copy on the loopback
 * device, so "lo" gives one frame per datagram; on "any" capture.c's kernel
 * filter discards it before it is queued, and "any" gives one too. */
#define LO_PER_DATAGRAM 1
#define ANY_PER_DATAGRAM 1

static int child_udp(struct t *t)
{
	struct pollfd pfd = {.events = POLLIN};

	if (two_captures(t) < 0)
		return -1;
	pfd.fd = capture_fd(t->lo);
	CHECK(t, poll(&pfd, 1, 0) == 0, "lo readable before anything was sent");
	if (send_udp(t, SENT, 32, NULL) < 0)
		return -1;
	/* Immediate mode: readable at once, no buffer timeout to wait out. */
	CHECK(t, poll(&pfd, 1, 0) == 1, "lo not readable after sending");
	CHECK_COUNT(t, t->lo, TO_DST, SENT * LO_PER_DATAGRAM);
	CHECK_COUNT(t, t->any, TO_DST, SENT * ANY_PER_DATAGRAM);
	CHECK_COUNT(t, t->lo, "udp and src port 40000", SENT * LO_PER_DATAGRAM);
	CHECK_COUNT(t, t->lo, "src port 33434", 0);
	CHECK_COUNT(t, t->any, "src port 33434", 0);
	/* Counting again sees the same kept frames. */
	CHECK_COUNT(t, t->lo, TO_DST, SENT * LO_PER_DATAGRAM);
	return 0;
}

static void test_udp_counts(void **state)
{
	(void)state;
	in_child(child_udp);
}

static const char *const bad_filters[] = {"tcp[", "nonsense here", "port 99999"};
static const char *const good_filters[] = {
	"igmp", "tcp[tcpflags] & tcp-rst != 0", "src port 33434", "vlan and udp",
	"icmp6 and ip6[40] == 135",
};

static int child_bad_filters(struct t *t)
{
	if (two_captures(t) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(bad_filters) / sizeof(bad_filters[0]); i++) {
		struct capture *cs[] = {t->lo, t->any};

		for (size_t j = 0; j < 2; j++) {
			t->err[0] = '\0';
			CHECK(t, capture_count(cs[j], bad_filters[i], t->err, sizeof(t->err)) == -1,
			      "count \"%s\" did not fail", bad_filters[i]);
			CHECK(t, strstr(t->err, bad_filters[i]) && strlen(t->err) > strlen(bad_filters[i]) + 12,
			      "message for \"%s\": \"%s\"", bad_filters[i], t->err);
		}
		t->err[0] = '\0';
		CHECK(t, capture_filter_check(bad_filters[i], t->err, sizeof(t->err)) == -1,
		      "check \"%s\" passed", bad_filters[i]);
		CHECK(t, t->err[0], "no message for \"%s\"", bad_filters[i]);
	}
	for (size_t i = 0; i < sizeof(good_filters) / sizeof(good_filters[0]); i++)
		CHECK_OK(t, capture_filter_check(good_filters[i], t->err, sizeof(t->err)));
	/* The capture is still usable after a failed count. */
	if (send_udp(t, 1, 8, NULL) < 0)
		return -1;
	CHECK_COUNT(t, t->lo, TO_DST, LO_PER_DATAGRAM);
	return 0;
}

static void test_bad_filters(void **state)
{
	(void)state;
	in_child(child_bad_filters);
}

static int child_tcp_rst(struct t *t)
{
	struct sockaddr_in sin;
	int fd, rc;

	if (two_captures(t) < 0)
		return -1;
	sin_loopback(&sin, CLOSED_PORT);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(t, fd >= 0, "socket: %s", strerror(errno));
	rc = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	CHECK(t, rc < 0 && errno == ECONNREFUSED, "connect to a closed port: %d (%s)", rc,
	      strerror(errno));
	close(fd);
	CHECK_COUNT(t, t->lo, "tcp[tcpflags] & tcp-rst != 0", 1);
	CHECK_COUNT(t, t->any, "tcp[tcpflags] & tcp-rst != 0", 1);
	CHECK_COUNT(t, t->lo, "tcp[tcpflags] == tcp-syn and dst port 33435", 1);
	return 0;
}

static void test_tcp_rst(void **state)
{
	(void)state;
	in_child(child_tcp_rst);
}

/* libpcap's immediate-mode ring has fixed slots of about 64 KiB here, 64 of
 * them in 4 MiB. On "lo" the outgoing copy takes a slot too, so 32
 * datagrams fill it; on "any" it is filtered out in the kernel, so 64 do. */
#define LO_RING_DATAGRAMS 32
#define OVERFLOW 100

static int child_ring(struct t *t)
{
	struct capture_stats lo, any;
	const unsigned long fill = 2 * LO_RING_DATAGRAMS, all = fill + OVERFLOW;

	if (two_captures(t) < 0)
		return -1;
	/* "lo" drained halfway, "any" not at all. */
	for (unsigned long i = 1; i <= 2; i++) {
		if (send_udp(t, LO_RING_DATAGRAMS, 8, NULL) < 0)
			return -1;
		capture_stats(t->lo, &lo);
		CHECK(t, lo.frames == i * LO_RING_DATAGRAMS && lo.kernel_dropped == 0,
		      "lo: %lu frames, %lu dropped", lo.frames, lo.kernel_dropped);
	}
	capture_stats(t->any, &any);
	CHECK(t, any.frames == fill && any.kernel_dropped == 0,
	      "any: %lu frames, %lu dropped", any.frames, any.kernel_dropped);
	/* Past the ring nothing is lost silently. */
	if (send_udp(t, OVERFLOW, 8, NULL) < 0)
		return -1;
	capture_stats(t->lo, &lo);
	capture_stats(t->any, &any);
	CHECK(t, any.kernel_dropped > 0 && any.frames + any.kernel_dropped == all,
	      "any: %lu frames, %lu dropped", any.frames, any.kernel_dropped);
	/* On "lo" the outgoing copies count in the drops too. */
	CHECK(t, lo.frames < all && lo.kernel_dropped >= all - lo.frames,
	      "lo: %lu frames, %lu dropped", lo.frames, lo.kernel_dropped);
	CHECK_COUNT(t, t->any, TO_DST, any.frames);
	return 0;
}

static void test_ring_overflow_is_counted(void **state)
{
	(void)state;
	in_child(child_ring);
}

/* Frames in a pcap file, its link type in *linktype; -1 when unreadable. */
static long file_frames(const char *path, int *linktype, char *err)
{
	struct pcap_pkthdr *h;
	const u_char *bytes;
	pcap_t *p = pcap_open_offline(path, err);
	long n = 0;
	int rc;

	if (!p)
		return -1;
	*linktype = pcap_datalink(p);
	while ((rc = pcap_next_ex(p, &h, &bytes)) == 1)
		n++;
	if (rc != PCAP_ERROR_BREAK) {
		snprintf(err, PCAP_ERRBUF_SIZE, "%s", pcap_geterr(p));
		n = -1;
	}
	pcap_close(p);
	return n;
}

#define CHECK_FILE(t, path, want_frames, want_linktype)                      \
	do {                                                                 \
		int lt_ = -1;                                                \
		long n_ = file_frames((path), &lt_, (t)->err);               \
		CHECK(t, n_ == (long)(want_frames), "%s: %ld frames, want %lu (%s)", \
		      (path), n_, (unsigned long)(want_frames), (t)->err);   \
		CHECK(t, lt_ == (want_linktype), "%s: link type %d, want %d", \
		      (path), lt_, (want_linktype));                         \
	} while (0)

static int child_files(struct t *t)
{
	struct capture_stats lo, any;

	if (two_captures(t) < 0 || send_udp(t, SENT, 100, NULL) < 0)
		return -1;
	/* After a drain the file is complete up to there, while still open. */
	CHECK_OK(t, capture_drain(t->lo, t->err, sizeof(t->err)));
	CHECK_FILE(t, t->lo_path, SENT * LO_PER_DATAGRAM, DLT_EN10MB);
	if (send_udp(t, SENT, 100, NULL) < 0)
		return -1;
	capture_stats(t->lo, &lo);
	CHECK(t, lo.frames == 2 * SENT * LO_PER_DATAGRAM, "lo: %lu frames", lo.frames);
	CHECK(t, lo.kept_bytes == lo.frames * (14 + 20 + 8 + 100), "lo: %lu bytes kept", lo.kept_bytes);
	capture_close(t->lo, &lo);
	capture_close(t->any, &any);
	t->lo = t->any = NULL;
	CHECK(t, lo.frames == 2 * SENT * LO_PER_DATAGRAM, "lo: %lu frames", lo.frames);
	CHECK(t, any.frames >= 2 * SENT * ANY_PER_DATAGRAM, "any: %lu frames", any.frames);
	CHECK(t, lo.not_kept == 0 && any.not_kept == 0, "not kept: %lu, %lu", lo.not_kept, any.not_kept);
	CHECK(t, lo.kernel_dropped == 0 && any.kernel_dropped == 0, "kernel dropped: %lu, %lu",
	      lo.kernel_dropped, any.kernel_dropped);
	CHECK_FILE(t, t->lo_path, lo.frames, DLT_EN10MB);
	CHECK_FILE(t, t->any_path, any.frames, DLT_LINUX_SLL2);
	return 0;
}

static void test_files_read_back(void **state)
{
	(void)state;
	in_child(child_files);
}

/* Big datagrams, more than the 64 MiB bound of frame data in all; drained
 * every few so the 4 MiB ring never overflows. */
#define BIG 65000
#define BIG_SENT 1100

static int drain_lo(struct t *t)
{
	if (++t->sent % 16 == 0)
		CHECK_OK(t, capture_drain(t->lo, t->err, sizeof(t->err)));
	return 0;
}

static int child_bound(struct t *t)
{
	struct capture_stats st;
	long kept;

	if (new_net(t) < 0)
		return -1;
	t->lo = capture_open("lo", NULL, t->err, sizeof(t->err));
	CHECK(t, t->lo, "open lo: %s", t->err);
	if (send_udp(t, BIG_SENT, BIG, drain_lo) < 0)
		return -1;
	kept = capture_count(t->lo, TO_DST, t->err, sizeof(t->err));
	capture_stats(t->lo, &st);
	CHECK(t, st.kernel_dropped == 0, "kernel dropped %lu", st.kernel_dropped);
	CHECK(t, st.frames == BIG_SENT, "%lu frames", st.frames);
	CHECK(t, st.not_kept > 0 && kept > 0 && kept + (long)st.not_kept == BIG_SENT,
	      "kept %ld, not kept %lu", kept, st.not_kept);
	CHECK(t, st.kept_bytes <= (64ul << 20) && st.kept_bytes > (60ul << 20),
	      "%lu bytes kept", st.kept_bytes);
	/* Once full, nothing more is kept, however small. */
	if (send_udp(t, 1, 8, NULL) < 0)
		return -1;
	CHECK_COUNT(t, t->lo, "udp and len < 100", 0);
	return 0;
}

static void test_memory_bound(void **state)
{
	(void)state;
	in_child(child_bound);
}

static int child_link_down_later(struct t *t)
{
	if (two_captures(t) < 0 || send_udp(t, 1, 8, NULL) < 0)
		return -1;
	CHECK(t, lo_set_up(0) == 0, "lo down failed");
	CHECK_OK(t, capture_drain(t->lo, t->err, sizeof(t->err)));
	CHECK_OK(t, capture_drain(t->any, t->err, sizeof(t->err)));
	CHECK(t, lo_set_up(1) == 0, "lo up failed");
	if (send_udp(t, 1, 8, NULL) < 0)
		return -1;
	CHECK_COUNT(t, t->lo, TO_DST, 2 * LO_PER_DATAGRAM);
	CHECK_COUNT(t, t->any, TO_DST, 2 * ANY_PER_DATAGRAM);
	return 0;
}

static void test_link_down_later(void **state)
{
	(void)state;
	in_child(child_link_down_later);
}

/* The count of filter on c once it is at least want, polling capture_fd
 * for up to 3 s (a frame waiting for ARP leaves after sendto returns). */
static long count_within(struct t *t, struct capture *c, const char *filter, long want)
{
	struct pollfd pfd = {.fd = capture_fd(c), .events = POLLIN};
	long n = 0;

	for (int i = 0; i < 30; i++) {
		n = capture_count(c, filter, t->err, sizeof(t->err));
		if (n < 0 || n >= want)
			break;
		poll(&pfd, 1, 100);
	}
	return n;
}

/* "any" sees a veth made after it was opened, and names it in each frame. */
static int child_any_new_link(struct t *t)
{
	struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(DST_PORT)};
	char filter[64];
	int rootless, fd, idx;

	CHECK_OK(t, netns_become_root(&rootless, t->err));
	CHECK_OK(t, netns_host_new("a", &t->a, t->err));
	CHECK_OK(t, netns_host_new("b", &t->b, t->err));
	CHECK_OK(t, netns_host_enter(t->a, t->err));
	t->any = capture_open(NULL, NULL, t->err, sizeof(t->err));
	CHECK(t, t->any, "open any: %s", t->err);
	CHECK_OK(t, netns_veth_add(t->a, "eth0", t->b, "eth0", t->err));
	CHECK_OK(t, netns_addr_add(t->a, "eth0", "10.0.1.1/24", 0, t->err));
	CHECK_OK(t, netns_addr_add(t->b, "eth0", "10.0.1.2/24", 0, t->err));
	CHECK_OK(t, netns_link_wait_running(t->a, "eth0", 3000, t->err));
	idx = netns_link_index(t->a, "eth0", t->err);
	CHECK(t, idx > 0, "eth0 index: %s", t->err);
	CHECK_OK(t, netns_host_enter(t->a, t->err));
	inet_pton(AF_INET, "10.0.1.2", &dst.sin_addr);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK(t, fd >= 0, "socket: %s", strerror(errno));
	CHECK(t, sendto(fd, "x", 1, 0, (struct sockaddr *)&dst, sizeof(dst)) == 1,
	      "sendto: %s", strerror(errno));
	close(fd);
	snprintf(filter, sizeof(filter), "ifindex %d and outbound and " TO_DST, idx);
	CHECK(t, count_within(t, t->any, filter, 1) == 1, "count \"%s\" (%s)", filter, t->err);
	CHECK_COUNT(t, t->any, TO_DST, 1);
	return 0;
}

static void test_any_sees_new_link(void **state)
{
	(void)state;
	in_child(child_any_new_link);
}

static int child_open_errors(struct t *t)
{
	struct capture *c;

	if (new_net(t) < 0)
		return -1;
	c = capture_open("eth9", NULL, t->err, sizeof(t->err));
	CHECK(t, !c, "eth9 opened");
	CHECK(t, !strncmp(t->err, "capture on eth9: ", 17), "message \"%s\"", t->err);
	c = capture_open("averyveryverylongname", NULL, t->err, sizeof(t->err));
	CHECK(t, !c, "long name opened");
	c = capture_open("lo", "/nonexistent/dir/x.pcap", t->err, sizeof(t->err));
	CHECK(t, !c, "capture with an unwritable file opened");
	CHECK(t, !strncmp(t->err, "capture file /nonexistent/dir/x.pcap: ", 38), "message \"%s\"",
	      t->err);
	/* libpcap refuses a link that is down; "any" does not mind. */
	CHECK(t, lo_set_up(0) == 0, "lo down failed");
	c = capture_open("lo", NULL, t->err, sizeof(t->err));
	CHECK(t, !c, "lo opened while down");
	CHECK(t, !strcmp(t->err, "capture on lo: That device is not up"), "message \"%s\"", t->err);
	t->any = capture_open(NULL, NULL, t->err, sizeof(t->err));
	CHECK(t, t->any, "open any with lo down: %s", t->err);
	return 0;
}

static void test_open_errors(void **state)
{
	(void)state;
	in_child(child_open_errors);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp_counts),
		cmocka_unit_test(test_bad_filters),
		cmocka_unit_test(test_tcp_rst),
		cmocka_unit_test(test_ring_overflow_is_counted),
		cmocka_unit_test(test_files_read_back),
		cmocka_unit_test(test_memory_bound),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_link_down_later),
		cmocka_unit_test(test_any_sees_new_link),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
