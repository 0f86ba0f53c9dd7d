/* Private to exec.c and exec_calls.c. */
#ifndef NETREPRO_EXEC_INT_H
#define NETREPRO_EXEC_INT_H

#include "exec.h"

/* A socket variable. The addresses survive close() so that state(s) can
 * still find the 4-tuple, e.g. in TIME_WAIT. */
struct slot {
	int fd;
	int nonblock;
	struct sockaddr_storage local, peer;
	int have_local;         /* bound: a local address to look for */
	int have_peer;          /* connected, or connecting: the peer is known */
};

/* A packet capture the run has started: on host's ifname, "" for all. */
struct run_capture {
	int host;
	char ifname[16];
	struct capture *c;
	char *path;             /* its pcap file as the record names it, or NULL */
};

struct run {
	const struct scenario *sc;
	struct netns_host **hosts;
	const struct exec_env *env;
	long *vals;             /* integer variables, by slot */
	struct slot *slots;     /* socket variables, by slot */
	int cur_host;
	int quiet;              /* inside `repeat until error`: only failures */
	int mismatches, recorded, known_bugs;
	long suppressed, failed_suppressed;
	char iter[128];         /* "p=40003,#2": where in the loops we are */
	char *reason;
	size_t reasonlen;
	char *buf;              /* what a call received: the outcome's data points here */
	size_t cap;
	struct run_capture *caps;
	int ncaps;
};

/* exec_contain.c: in the process of an `exec` step, before it runs the
 * program: a root of its own (the machine's read-only, fresh /proc, /sys,
 * /dev, /run, /tmp), uid 0 of its user namespace, no CAP_SYS_ADMIN or
 * CAP_SYS_PTRACE, no_new_privs, no descriptor but 0, 1 and 2 at exec.
 * own_net: its network namespace is its user namespace's (a sysfs of its
 * own); otherwise /sys is empty. 0, or -1 with what failed in err. */
int exec_contain(int own_net, char *err, size_t len);

/* exec.c: setns() into the host, unless the thread is there already. */
int run_enter(struct run *r, int host);
/* exec_topo.c: start a capture (see capture_start in exec_topo.c), and
 * close them all, recording what each saw in env->captures. */
int capture_start(struct run *r, int host, const char *ifname, char *err, size_t len);
void captures_finish(struct run *r);
void captures_drain(struct run *r);

#define SLOT(r, st, i) (&(r)->slots[(st)->args[i].var])
#define FD(r, st, i) (SLOT(r, st, i)->fd)

/* The most a call keeps of what it receives (a program's output, recv). */
#define DATA_MAX (16u << 20)

/* exec_calls.c: 0 when fd is ready for events, 1 when the step bound passed */
int wait_for(const struct run *r, int fd, short events);
/* r->buf with room for n bytes, or NULL (errno ENOMEM). */
char *run_buf(struct run *r, size_t n);
/* The same as errno and -1 into o when ret < 0, else ret. */
void result(struct outcome *o, long ret);
long int_arg(const struct run *r, const struct arg *a);
/* An address argument with its port and scope filled in; 0, or -1 with
 * errno (ENODEV: the scope names no interface of this host). */
int addr_arg(const struct run *r, const struct arg *a, struct sockaddr_storage *ss, socklen_t *len);
/* A device argument: a name looked up in the current host, or an index. */
int ifindex_arg(const struct run *r, const struct arg *a, int *idx);
unsigned port_of(const struct sockaddr_storage *ss);
/* recv, recvfrom, recvmsg: the size asked for (65536 without one), at
 * most DATA_MAX. */
size_t recv_size(const struct run *r, const struct step *st);
/* MSG_* flags from a step's ARG_FLAG arguments. */
int flags_arg(const struct step *st);

#endif
