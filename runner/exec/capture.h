/* capture: the packets a case puts on the wire, through libpcap.
 *
 * A capture is opened by a process that has already setns()'d into a host:
 * an AF_PACKET socket belongs to the namespace it was made in, so opening
 * there is all it takes (root in a user namespace will do). Frames are kept
 * in memory, so that a filter can be applied later to everything captured so
 * far, and optionally written to a pcap file as they are read.
 *
 * Frames are read only when the caller asks (drain, count, stats, close).
 * Until then the kernel queues them in a 4 MiB ring, and in immediate mode
 * libpcap cuts that ring into fixed slots sized for the largest frame (about
 * 64 KiB on lo, on a veth, and on "any"): it holds 64 frames. What overflows
 * it is dropped by the kernel and counted in kernel_dropped, never lost
 * silently; a caller that wants every frame drains after each step and polls
 * capture_fd while it waits. One process, one thread.
 *
 * Functions that can fail return -1 (or NULL) and write a one-line message
 * naming the interface, file or filter into err (errlen bytes;
 * CAPTURE_ERRLEN holds any of them). Filters are pcap filter expressions
 * ("igmp", "tcp[tcpflags] & tcp-rst != 0", "src port 33434"); the message
 * for one that does not compile is pcap's own.
 */
#ifndef NETREPRO_CAPTURE_H
#define NETREPRO_CAPTURE_H

#include <stddef.h>

#define CAPTURE_ERRLEN 512

struct capture;

struct capture_stats {
	unsigned long frames;           /* read from the kernel */
	unsigned long kept_bytes;       /* frame bytes kept in memory */
	unsigned long not_kept;         /* frames beyond the memory bound */
	/* pcap_stats' ps_drop: the ring was full. On "lo" the kernel also
	 * queues (and so may drop) each frame's outgoing copy, which libpcap
	 * discards unread: a drop there can count a frame twice. */
	unsigned long kernel_dropped;
	/* pcap_stats' ps_ifdrop, which libpcap on Linux counts only in
	 * promiscuous mode: always 0 here, kept for the record's shape. */
	unsigned long if_dropped;
};

/* Opens a capture in the current network namespace: on ifname, which must
 * be up (libpcap refuses a down one; a link that goes down later is no
 * error, it just shows nothing until it is up again), or on every interface
 * of the namespace when ifname is NULL ("any": lo included, and interfaces
 * made later), with pcap's Linux cooked header v2 (DLT_LINUX_SLL2), which
 * names the interface of each frame; if libpcap refuses that, whatever
 * "any" gives. Immediate mode (a frame is readable as soon as the kernel has
 * it), promiscuous off, non-blocking; snaplen 262144, but 65600 on "any",
 * where it sizes the ring's slots (see capture.c). Frames on lo are seen
 * once, as they come in, on "lo" and on "any" alike.
 * path: a pcap file to write every frame to, or NULL. */
struct capture *capture_open(const char *ifname, const char *path, char *err, size_t errlen);

/* Reads every frame the kernel has queued for the capture into memory and
 * the file, and flushes the file, so that a reader sees it complete up to
 * here. 0, or -1 (a read or write error). */
int capture_drain(struct capture *c, char *err, size_t errlen);

/* The fd to poll for more frames (pcap_get_selectable_fd). */
int capture_fd(const struct capture *c);

/* The number of frames kept so far that match filter; drains first. -1 for
 * a filter pcap cannot compile for this capture's link type (Ethernet on a
 * veth or lo, DLT_LINUX_SLL2 on "any", where e.g. "vlan" does not compile).
 *
 * Memory kept is bounded (64 MiB, per-frame headers included); once a frame
 * does not fit, it and every later one go only to the file, and not_kept
 * counts them. The kept frames are then the first ones read, and the count
 * a lower bound. */
long capture_count(struct capture *c, const char *filter, char *err, size_t errlen);

/* 0 when filter compiles for Ethernet frames (what a veth carries), so that
 * a case can be checked when it is parsed, before anything runs; else -1. */
int capture_filter_check(const char *filter, char *err, size_t errlen);

/* Stats so far; drains first (a drain error shows only in capture_drain). */
void capture_stats(struct capture *c, struct capture_stats *st);

/* Drains, fills st (may be NULL), closes the file and frees c (NULL is a
 * no-op). A write error at this point cannot be reported: call
 * capture_drain first to learn of one. */
void capture_close(struct capture *c, struct capture_stats *st);

#endif
