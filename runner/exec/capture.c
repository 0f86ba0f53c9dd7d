/* capture: libpcap handles opened inside a host, their frames kept in a
 * chain of fixed-size blocks (no realloc of tens of MiB while a case runs)
 * and filtered afterwards with pcap_offline_filter. */
#include "capture.h"

#include <errno.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SNAPLEN      262144
/* On "any": the largest IP packet without BIG TCP (IPv6: 40 + 65535 bytes)
 * and the 20-byte cooked header, with room to spare. Not SNAPLEN: libpcap's
 * immediate-mode ring (TPACKET_V2) has fixed slots of snaplen bytes. On
 * Ethernet (veth, lo) libpcap itself cuts a slot to the MTU, or to 65535
 * when offloads are on, + 18; on "any" it does not, and with 262144 the
 * 4 MiB ring would hold 16 frames instead of 64. */
#define ANY_SNAPLEN  65600
#define RING_BYTES   (4 << 20)
#define KEEP_MAX     ((size_t)64 << 20)
/* A block is malloc'ed whole: KEEP_MAX / BLOCK_BYTES of them at most. Its
 * room (BLOCK_ROOM) is larger than any frame (SNAPLEN) with its header, so
 * a record always fits in an empty block. */
#define BLOCK_BYTES  ((size_t)1 << 20)
#define BLOCK_ROOM   (BLOCK_BYTES - sizeof(struct block))

/* A kept frame is a struct pcap_pkthdr and caplen bytes, padded to REC_ALIGN;
 * the header is copied in and out with memcpy. */
#define REC_ALIGN    8
#define REC_BYTES(caplen) \
	((sizeof(struct pcap_pkthdr) + (caplen) + REC_ALIGN - 1) & ~(size_t)(REC_ALIGN - 1))

struct block {
	struct block *next;
	size_t used;
	unsigned char data[];
};

struct capture {
	pcap_t *p;
	pcap_dumper_t *dump;
	char dev[IF_NAMESIZE];
	char *path;
	struct block *head, *tail;
	size_t nblocks;
	int full;               /* a frame was not kept: keep none after it */
	unsigned long frames, kept_bytes, not_kept;
};

/* --- keeping frames ------------------------------------------------------ */

/* Room for n more bytes at the tail, or NULL: the bound is reached or
 * malloc failed, which the caller treats alike. */
static unsigned char *room(struct capture *c, size_t n)
{
	struct block *b;

	if (c->tail && BLOCK_ROOM - c->tail->used >= n)
		return c->tail->data + c->tail->used;
	if (n > BLOCK_ROOM || (c->nblocks + 1) * BLOCK_BYTES > KEEP_MAX)
		return NULL;
	b = malloc(BLOCK_BYTES);
	if (!b)
		return NULL;
	b->next = NULL;
	b->used = 0;
	if (c->tail)
		c->tail->next = b;
	else
		c->head = b;
	c->tail = b;
	c->nblocks++;
	return b->data;
}

static void keep(struct capture *c, const struct pcap_pkthdr *h, const u_char *bytes)
{
	size_t n = REC_BYTES(h->caplen);
	unsigned char *at = c->full ? NULL : room(c, n);

	if (!at) {
		c->full = 1;
		c->not_kept++;
		return;
	}
	memcpy(at, h, sizeof(*h));
	memcpy(at + sizeof(*h), bytes, h->caplen);
	c->tail->used += n;
	c->kept_bytes += h->caplen;
}

static void on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct capture *c = (struct capture *)user;

	c->frames++;
	if (c->dump)
		pcap_dump((u_char *)c->dump, h, bytes);
	keep(c, h, bytes);
}

/* --- opening ------------------------------------------------------------- */

/* pcap_geterr says more than pcap_statustostr when it says anything
 * (PCAP_ERROR alone is "Generic error"); for some statuses libpcap 1.10
 * sets both to the same text ("No such device exists"). */
static void activate_error(const struct capture *c, int rc, char *err, size_t errlen)
{
	const char *why = pcap_geterr(c->p), *status = pcap_statustostr(rc);

	if (!why || !*why || !strcmp(why, status))
		snprintf(err, errlen, "capture on %s: %s", c->dev, status);
	else if (rc == PCAP_ERROR)
		snprintf(err, errlen, "capture on %s: %s", c->dev, why);
	else
		snprintf(err, errlen, "capture on %s: %s (%s)", c->dev, status, why);
}

/* On lo every frame passes twice, going out and coming back in. libpcap
 * drops the outgoing copy, but only once the kernel has queued it in the
 * ring, where it takes a slot and, when the ring is full, counts in ps_drop.
 * On "any" a kernel filter tells the two apart by the cooked header's
 * ifindex and packet type (SKF_AD_IFINDEX, SKF_AD_PKTTYPE). Not on "lo":
 * there "inbound" needs SKF_AD_PKTTYPE, which libpcap cannot evaluate in
 * userland, and it filters the first frame after pcap_setfilter in userland
 * (its allowance for a race with frames already queued): that frame would be
 * lost. Best effort: without the filter, everything is still right. */
static void skip_lo_outgoing(pcap_t *p)
{
	unsigned lo = if_nametoindex("lo");
	struct bpf_program prog;
	char expr[64];

	if (!lo || pcap_datalink(p) != DLT_LINUX_SLL2)
		return;
	snprintf(expr, sizeof(expr), "not (outbound and ifindex %u)", lo);
	if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0)
		return;
	(void)pcap_setfilter(p, &prog);
	pcap_freecode(&prog);
}

/* Everything capture_open sets before pcap_activate; these fail only on an
 * activated handle. */
static int configure(pcap_t *p, int any)
{
	return pcap_set_snaplen(p, any ? ANY_SNAPLEN : SNAPLEN) | pcap_set_promisc(p, 0) |
	       pcap_set_immediate_mode(p, 1) | pcap_set_buffer_size(p, RING_BYTES);
}

static int activate(struct capture *c, int any, const char *path, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	int rc;

	if (configure(c->p, any) != 0) {
		snprintf(err, errlen, "capture on %s: cannot configure the handle", c->dev);
		return -1;
	}
	rc = pcap_activate(c->p);
	if (rc < 0) {
		activate_error(c, rc, err, errlen);
		return -1;
	}
	/* Cooked v1 only says "sent by us" or not; v2 names the interface.
	 * Older libpcap lacks it: keep what activate chose. */
	if (any) {
		(void)pcap_set_datalink(c->p, DLT_LINUX_SLL2);
		skip_lo_outgoing(c->p);
	}
	if (pcap_setnonblock(c->p, 1, ebuf) < 0) {
		snprintf(err, errlen, "capture on %s: %s", c->dev, ebuf);
		return -1;
	}
	if (!path)
		return 0;
	/* After pcap_set_datalink: the file's header takes the link type. */
	c->dump = pcap_dump_open(c->p, path);
	c->path = strdup(path);
	if (!c->dump || !c->path) {
		snprintf(err, errlen, "capture file %s: %s", path,
			 c->dump ? strerror(ENOMEM) : pcap_geterr(c->p));
		return -1;
	}
	return 0;
}

struct capture *capture_open(const char *ifname, const char *path, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	const char *dev = ifname ? ifname : "any";
	struct capture *c;

	if (strlen(dev) >= IF_NAMESIZE) {
		snprintf(err, errlen, "capture on %s: name too long", dev);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "capture on %s: %s", dev, strerror(ENOMEM));
		return NULL;
	}
	snprintf(c->dev, sizeof(c->dev), "%s", dev);
	c->p = pcap_create(dev, ebuf);
	if (!c->p) {
		snprintf(err, errlen, "capture on %s: %s", dev, ebuf);
		free(c);
		return NULL;
	}
	if (activate(c, !ifname, path, err, errlen) < 0) {
		if (c->dump)
			pcap_dump_close(c->dump);
		free(c->path);
		pcap_close(c->p);
		free(c);
		return NULL;
	}
	return c;
}

/* --- reading ------------------------------------------------------------- */

int capture_drain(struct capture *c, char *err, size_t errlen)
{
	int n;

	/* Non-blocking: 0 once the ring is empty, which comes as soon as this
	 * loop outruns the senders (this process's steps, the programs they
	 * start). */
	do
		n = pcap_dispatch(c->p, -1, on_frame, (u_char *)c);
	while (n > 0);
	if (n < 0) {
		snprintf(err, errlen, "capture on %s: %s", c->dev, pcap_geterr(c->p));
		return -1;
	}
	if (c->dump && pcap_dump_flush(c->dump) < 0) {
		snprintf(err, errlen, "capture file %s: %s", c->path, strerror(errno));
		return -1;
	}
	return 0;
}

int capture_fd(const struct capture *c)
{
	return pcap_get_selectable_fd(c->p);
}

/* Compiled on a dead handle, not the live one: on a live Linux handle
 * libpcap compiles "vlan" into a load of the kernel's ancillary data
 * ("ldb [vlanp]", SKF_AD_VLAN_TAG_PRESENT), which pcap_offline_filter cannot
 * answer for frames held in memory. */
static int compile(int linktype, int snaplen, const char *filter,
		   struct bpf_program *prog, char *err, size_t errlen)
{
	pcap_t *dead = pcap_open_dead(linktype, snaplen);
	int rc;

	if (!dead) {
		snprintf(err, errlen, "filter \"%s\": %s", filter, strerror(ENOMEM));
		return -1;
	}
	rc = pcap_compile(dead, prog, filter, 1, PCAP_NETMASK_UNKNOWN);
	if (rc < 0)
		snprintf(err, errlen, "filter \"%s\": %s", filter, pcap_geterr(dead));
	pcap_close(dead);
	return rc < 0 ? -1 : 0;
}

long capture_count(struct capture *c, const char *filter, char *err, size_t errlen)
{
	struct bpf_program prog;
	struct pcap_pkthdr h;
	long n = 0;

	if (capture_drain(c, err, errlen) < 0 ||
	    compile(pcap_datalink(c->p), pcap_snapshot(c->p), filter, &prog, err, errlen) < 0)
		return -1;
	for (const struct block *b = c->head; b; b = b->next)
		for (size_t at = 0; at < b->used; at += REC_BYTES(h.caplen)) {
			memcpy(&h, b->data + at, sizeof(h));
			if (pcap_offline_filter(&prog, &h, b->data + at + sizeof(h)))
				n++;
		}
	pcap_freecode(&prog);
	return n;
}

int capture_filter_check(const char *filter, char *err, size_t errlen)
{
	struct bpf_program prog;

	if (compile(DLT_EN10MB, SNAPLEN, filter, &prog, err, errlen) < 0)
		return -1;
	pcap_freecode(&prog);
	return 0;
}

/* --- stats and close ----------------------------------------------------- */

static void stats_fill(struct capture *c, struct capture_stats *st)
{
	struct pcap_stat ps = {0};

	st->frames = c->frames;
	st->kept_bytes = c->kept_bytes;
	st->not_kept = c->not_kept;
	st->kernel_dropped = st->if_dropped = 0;
	if (pcap_stats(c->p, &ps) == 0) {
		st->kernel_dropped = ps.ps_drop;
		st->if_dropped = ps.ps_ifdrop;
	}
}

void capture_stats(struct capture *c, struct capture_stats *st)
{
	char err[CAPTURE_ERRLEN];

	(void)capture_drain(c, err, sizeof(err));
	stats_fill(c, st);
}

void capture_close(struct capture *c, struct capture_stats *st)
{
	char err[CAPTURE_ERRLEN];
	struct block *b, *next;

	if (!c)
		return;
	(void)capture_drain(c, err, sizeof(err));
	if (st)
		stats_fill(c, st);
	if (c->dump)
		pcap_dump_close(c->dump);
	pcap_close(c->p);
	for (b = c->head; b; b = next) {
		next = b->next;
		free(b);
	}
	free(c->path);
	free(c);
}
