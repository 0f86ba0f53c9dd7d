/* netns errors: one message per failure, naming the object, and libnl's
 * NLE_* codes turned back into errno. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/handlers.h>
#include <netlink/socket.h>

#include "internal.h"

/* Only for errors libnl makes itself; a kernel error arrives through
 * on_nlerr with its real errno. */
static const int nle_errno[NLE_MAX + 1] = {
	[NLE_FAILURE] = EIO,		[NLE_INTR] = EINTR,
	[NLE_BAD_SOCK] = EBADF,		[NLE_AGAIN] = EAGAIN,
	[NLE_NOMEM] = ENOMEM,		[NLE_EXIST] = EEXIST,
	[NLE_INVAL] = EINVAL,		[NLE_RANGE] = ERANGE,
	[NLE_MSGSIZE] = EMSGSIZE,	[NLE_OPNOTSUPP] = EOPNOTSUPP,
	[NLE_AF_NOSUPPORT] = EAFNOSUPPORT, [NLE_OBJ_NOTFOUND] = ENOENT,
	[NLE_NOATTR] = ENODATA,		[NLE_MISSING_ATTR] = EINVAL,
	[NLE_AF_MISMATCH] = EINVAL,	[NLE_SEQ_MISMATCH] = EPROTO,
	[NLE_MSG_OVERFLOW] = ENOBUFS,	[NLE_MSG_TRUNC] = EMSGSIZE,
	[NLE_NOADDR] = EADDRNOTAVAIL,	[NLE_SRCRT_NOSUPPORT] = EOPNOTSUPP,
	[NLE_MSG_TOOSHORT] = EPROTO,	[NLE_MSGTYPE_NOSUPPORT] = EOPNOTSUPP,
	[NLE_OBJ_MISMATCH] = EINVAL,	[NLE_NOCACHE] = ENOENT,
	[NLE_BUSY] = EBUSY,		[NLE_PROTO_MISMATCH] = EPROTONOSUPPORT,
	[NLE_NOACCESS] = EACCES,	[NLE_PERM] = EPERM,
	[NLE_PKTLOC_FILE] = ENOENT,	[NLE_PARSE_ERR] = EINVAL,
	[NLE_NODEV] = ENODEV,		[NLE_IMMUTABLE] = EPERM,
	[NLE_DUMP_INTR] = EINTR,	[NLE_ATTRSIZE] = ERANGE,
};

int netns_nl_errno(int nlerr)
{
	nlerr = abs(nlerr);
	if (nlerr > NLE_MAX || !nle_errno[nlerr])
		return EIO;
	return nle_errno[nlerr];
}

static void vformat(char *err, int rc, const char *kmsg, const char *fmt,
		    va_list ap)
{
	size_t n;

	if (!err)
		return;
	vsnprintf(err, NETNS_ERRLEN, fmt, ap);
	n = strlen(err);
	n += snprintf(err + n, NETNS_ERRLEN - n, ": %s", strerror(-rc));
	if (kmsg && *kmsg && n < NETNS_ERRLEN)
		snprintf(err + n, NETNS_ERRLEN - n, " (%s)", kmsg);
}

int netns_fail(char *err, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vformat(err, rc, NULL, fmt, ap);
	va_end(ap);
	return rc;
}

int netns_nl_fail(struct netns_host *h, int nlerr, char *err,
		  const char *fmt, ...)
{
	int rc = h->kerr ? -h->kerr : -netns_nl_errno(nlerr);
	va_list ap;

	va_start(ap, fmt);
	vformat(err, rc, h->kmsg, fmt, ap);
	va_end(ap);
	h->kerr = 0;
	h->kmsg[0] = '\0';
	return rc;
}

/* The NLMSGERR_ATTR_MSG string the kernel appends when NETLINK_EXT_ACK is
 * on; libnl 3.7 hands us only the nlmsgerr, its header sits just before. */
static void extack_msg(const struct nlmsgerr *e, char *buf, size_t len)
{
	const struct nlmsghdr *hdr = (const void *)((const char *)e - NLMSG_HDRLEN);
	size_t off = sizeof(*e), total = hdr->nlmsg_len - NLMSG_HDRLEN;
	const struct nlattr *msg;

	if (!(hdr->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(hdr->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	off = NLMSG_ALIGN(off);
	if (off >= total)
		return;
	msg = nla_find((const struct nlattr *)((const char *)e + off),
		       (int)(total - off), NLMSGERR_ATTR_MSG);
	if (msg && nla_len(msg) > 0)
		snprintf(buf, len, "%.*s", nla_len(msg), (const char *)nla_data(msg));
}

static int on_nlerr(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct netns_host *h = arg;

	(void)nla;
	h->kerr = -e->error;
	h->kmsg[0] = '\0';
	extack_msg(e, h->kmsg, sizeof(h->kmsg));
	return NL_STOP;
}

void netns_nl_watch(struct netns_host *h)
{
	int one = 1, fd = nl_socket_get_fd(h->sk);

	/* Best effort: a kernel without extended acks still gives the errno. */
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	nl_socket_modify_err_cb(h->sk, NL_CB_CUSTOM, on_nlerr, h);
}
