/* case: a scenario file, parsed and expanded for one variant.
 *
 * Data flow: case_load() reads a file and its `vary` lines; each variant is
 * parsed on its own (variant values substituted where `$name` stands) into a
 * struct scenario: a topology, requirements and a tree of steps, every piece
 * of it carrying the line and column it came from. Runtime values (sockets,
 * captured ports, loop counters) live in numbered variable slots.
 */
#ifndef NETREPRO_CASE_H
#define NETREPRO_CASE_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

#define CASE_ERRLEN 512
#define CASE_MAX_ARGS 8
#define CASE_MAX_ALTS 8
#define CASE_NAME 64

/* "6.1.31" as numbers; missing parts are 0. */
struct kver { int v[3]; };
int kver_parse(const char *s, struct kver *out);  /* 0, or -1 */
int kver_cmp(const struct kver *a, const struct kver *b);

/* Where something came from, for FILE:LINE:COL messages. */
struct srcpos { const char *file; int line, col; };

enum cond_subject { SUBJ_KERNEL, SUBJ_PLATFORM, SUBJ_PRIVILEGE, SUBJ_VARIANT };
enum cond_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };

/* A guard: comparisons joined by `and` (binds tighter) and `or`. The
 * parser bounds '(' nesting and the comparisons of one tree (so the height
 * that cond_eval recurses over); a file past either is an error at the
 * token. */
#define COND_MAX_DEPTH 64
#define COND_MAX_TERMS 4096
struct cond {
	enum { COND_CMP, COND_AND, COND_OR } kind;
	struct cond *l, *r;
	enum cond_subject subj;
	enum cond_op op;
	int variant;                /* index into scenario variant, SUBJ_VARIANT */
	char value[CASE_NAME];
	struct kver kv;             /* SUBJ_KERNEL */
};

/* What a condition is evaluated against. */
struct cond_ctx {
	struct kver kernel;
	const char *platform;       /* "linux", "wsl1", "wsl2" */
	const char *privilege;      /* "root", "rootless" */
	const char *const *variant_values;
	int any_kernel;             /* every `kernel` comparison holds: "on some kernel" */
	int in_place;               /* run --in-place */
};
int cond_eval(const struct cond *c, const struct cond_ctx *ctx);
/* Whether op holds for a comparison result cmp (<0, 0, >0). */
int cond_op_holds(enum cond_op op, int cmp);

/* An address with a port: the port may be a variable resolved at run time,
 * and an IPv6 scope an interface name resolved in the step's host. */
struct sockaddr_tmpl {
	struct sockaddr_storage ss; /* family and address, port when fixed; AF_UNSPEC: UNSPEC */
	socklen_t len;
	int port_var;               /* variable slot, or -1 */
	char scope[16];             /* "%eth0": the interface, else "" (a numeric scope is in ss) */
	int scope_var;              /* "%$i": a captured number's slot, or -1 */
};

/* ARG_CMSG: one ancillary item of sendmsg, `from 10.0.1.1`, `ttl 5`: i is
 * the enum cmsg_key, the value in addr (from), str (dev) or val. */
enum arg_kind { ARG_INT, ARG_VAR, ARG_SOCK, ARG_ADDR, ARG_IP, ARG_STR, ARG_NAME, ARG_FLAG, ARG_CMSG };
enum cmsg_key { CM_FROM, CM_DEV, CM_TTL, CM_HOPLIMIT, CM_TOS, CM_SEGMENT };
struct arg {
	enum arg_kind kind;
	long i;                     /* ARG_INT; ARG_NAME: the table value; ARG_FLAG: MSG_*; ARG_CMSG: key */
	int var;                    /* ARG_VAR, ARG_SOCK: slot; ARG_CMSG: the value's slot or -1 */
	long val;                   /* ARG_CMSG: a number */
	struct sockaddr_tmpl addr;  /* ARG_ADDR, ARG_IP (port 0), ARG_CMSG from */
	char *str;                  /* ARG_STR (owned), ARG_NAME: the name, ARG_CMSG dev */
	size_t len;                 /* ARG_STR */
	struct srcpos pos;
};

enum expect_kind {
	EXP_NONE,    /* record only */
	EXP_OK,      /* any success */
	EXP_INT,     /* value equals (a named value: its number) */
	EXP_VAR,     /* value equals a variable */
	EXP_ERRNO,   /* fails with errno; or, for a value that is an errno (recverr, SO_ERROR), is it */
	EXP_STR,     /* data received equals; an option's text or address */
	EXP_STATE,   /* a TCP state; 0 means no such socket (NONE) */
	EXP_TIMEOUT, /* the call did not complete within the step bound */
	EXP_PAIR,    /* two numbers: "= 40000 40007" (i, j) */
	EXP_RANGE,   /* "= in A..B": i..j, or the variables lo_var/hi_var */
	EXP_CMP,     /* "= >= N": op against i or var */
	EXP_ERROR,   /* "= error": fails with any errno */
	EXP_NOT,     /* "= not X": anything but X (a timeout is never an answer) */
};
/* A detail of the answer an expectation checks after its value:
 * `from ADDR[:PORT]`, `to ADDR`, `dev IF`, `ttl N`, `tos N`, `len N`,
 * `icmp TYPE CODE`, `icmp6 TYPE CODE`, `origin NAME`, `info N`, `flags NAME`
 * (msg_flags holds it). */
enum attr_key { AT_FROM, AT_TO, AT_DEV, AT_TTL, AT_TOS, AT_LEN, AT_ICMP, AT_ICMP6, AT_ORIGIN, AT_INFO, AT_FLAGS };
struct expect_attr {
	enum attr_key key;
	long a, b;                  /* the number(s) */
	struct sockaddr_tmpl addr;  /* FROM, TO */
	int with_port;              /* FROM: the port is compared too */
	char name[16];              /* DEV */
};
struct expect {
	enum expect_kind kind;
	long i, j;                  /* INT, ERRNO (errno), STATE (state), PAIR, RANGE bounds, CMP operand */
	int var, lo_var, hi_var;    /* VAR, CMP: a variable or -1; RANGE bounds from variables, or -1 */
	enum cond_op op;            /* CMP */
	char *str;                  /* STR, owned */
	size_t len;
	struct expect *not;         /* NOT: what must not be (owned) */
	struct expect_attr *attrs;  /* owned, nattrs of them; all must hold */
	int nattrs;
	char *text;                 /* as written, for the record: the whole "A or B" (owned) */
	struct expect *or;          /* "= A or B": another answer that passes too (owned) */
};
/* bug: this answer is a kernel bug, fixed by the change this names (a
 * commit or report, owned); NULL for a correct answer. */
struct expect_alt {
	struct cond *guard;         /* NULL: always */
	struct expect e;
	char *bug;
};

struct call_def;
struct sockopt_def;
struct expr;

/* STEP_IF: body when expr holds, else els; STEP_CHECK: expr holds, or (the
 * older `check n = 8`) the variable in loopvar meets the alternatives. */
enum step_kind { STEP_CALL, STEP_REPEAT, STEP_UNTIL, STEP_FOR, STEP_CHECK, STEP_SLEEP, STEP_IF };
struct step {
	enum step_kind kind;
	struct srcpos pos;
	char *text;                 /* the source line, trimmed: what the record calls `call` */
	int host;                   /* index into scenario hosts */
	const struct call_def *call;
	const struct sockopt_def *opt; /* setsockopt, getsockopt */
	struct expr *expr;          /* IF, CHECK (owned) */
	struct arg *args;           /* nargs of them (at most CASE_MAX_ARGS) */
	int nargs;
	int capture;                /* slot written with the result, or -1 */
	char **argv;                /* exec: the program and its arguments, NULL-terminated */
	int *argv_var;              /* exec: per argument, an integer variable's slot, or -1 */
	struct expect_alt *alts;    /* nalts of them (at most CASE_MAX_ALTS) */
	int nalts;
	/* loops */
	long count, from, to, max;  /* REPEAT count; FOR from..to; UNTIL max */
	int loopvar;                /* FOR: slot of the counter; UNTIL: count slot or -1 */
	struct step *body;
	int nbody;
	struct step *els;           /* IF: the `else` steps */
	int nels;
	struct topology *topo;      /* a topology line run as a step (owned) */
};

enum var_kind { VAR_SOCK, VAR_INT };
struct var { char name[CASE_NAME]; enum var_kind kind; };

/* bridge: 0 for a `link`, k + 1 for a port of bridges[k] (its b end).
 * del: `link del HOST:IF` (a step; the a end names the interface). */
struct topo_link { int a, b; char ifa[16], ifb[16]; int bridge, del; struct srcpos pos; };
enum topo_set_kind { SET_UP, SET_DOWN, SET_MULTICAST_ON, SET_MULTICAST_OFF, SET_MTU };
struct topo_set { int host; char ifname[16]; enum topo_set_kind kind; unsigned mtu; struct srcpos pos; };
struct topo_addr { int host; char ifname[16]; char cidr[64]; int dad, del; struct srcpos pos; };
struct topo_route { int host; char dst[64], via[64], dev[16]; int del; struct srcpos pos; };
/* dev: the interface of a net.*.conf.DEV.* or net.*.neigh.DEV.* sysctl (not
 * all, default or lo, which exist from the start), else "". */
struct topo_sysctl { int host; char name[128], value[128], dev[16]; struct srcpos pos; };
/* netem on an interface (off: back to the device's own queue). Zero is
 * "not set"; loss, duplicate, corrupt and reorder are percentages.
 * random: a setting acts on each packet by chance (jitter, or a
 * probability strictly between 0 and 100%): the case is nondeterministic. */
struct topo_netem {
	int host; char ifname[16]; int off;
	unsigned delay_us, jitter_us, limit, gap;
	double loss, duplicate, corrupt, reorder;
	unsigned long long rate_bps;
	int random;
	struct srcpos pos;
};
/* A packet capture: one interface, or ifname "" for all of the host's. */
struct topo_capture { int host; char ifname[16]; struct srcpos pos; };
/* What topology lines say: the case's network before step 1, or (in a
 * step) the change that step makes, applied in this order: sysctls,
 * links, sets, addrs, routes, netems, captures. */
struct topology {
	struct topo_link *links; int nlinks;
	struct topo_set *sets; int nsets;
	struct topo_addr *addrs; int naddrs;
	struct topo_route *routes; int nroutes;
	struct topo_sysctl *sysctls; int nsysctls;
	struct topo_netem *netems; int nnetems;
	struct topo_capture *captures; int ncaptures;
};
void topology_free(struct topology *t);

/* A LAN: host `host` is a switch whose bridge br0 joins every link whose b
 * end is in it. */
struct topo_bridge { int host; struct srcpos pos; };
/* An `on HOST when COND` line of the case file, and whether this variant runs it. */
struct on_when { int line, col, kept; };

struct requirement {
	enum { REQ_KERNEL, REQ_ROOT, REQ_IPV6, REQ_SYSCTL, REQ_PROTOCOL, REQ_NOFILE, REQ_IN_PLACE } kind;
	int proto;                  /* REQ_PROTOCOL: IPPROTO_* */
	long nofile;                /* REQ_NOFILE: descriptors the case needs open at once */
	struct cond *cond;          /* REQ_KERNEL */
	char name[128];             /* REQ_SYSCTL: a file that must exist */
	char text[CASE_NAME * 2];   /* as written, for the SKIP reason */
	struct srcpos pos;
};

/* Room for element n of arr (zeroed), whose n elements were all added
 * through case_grow, one at a time from NULL. */
#define GROW(arr, n) ((arr) = case_grow((arr), (n), sizeof *(arr)))
void *case_grow(void *arr, int n, size_t size);

/* A file's text, shared by the scenarios of its variants (1024 variants
 * of a 1 MiB file would otherwise hold a GiB), freed with the last. */
struct case_source {
	int refs;
	char text[];
};

struct scenario {
	char *file;                 /* path as given */
	char *id;                   /* "seed/realm-dualstack[v6only=0]" */
	char *title;
	char **refs; int nrefs;
	char **variant_names, **variant_values; int nvariants;
	const char *source;         /* whole file text, for reports: shared's */
	struct case_source *shared; /* one copy for all the variants of a file */
	char hosts[16][CASE_NAME]; int nhosts;
	struct topology topo;       /* built before step 1 */
	struct topo_bridge *bridges; int nbridges;
	int nondeterministic;       /* a netem setting acts at random */
	int uses_netem;             /* a netem line, anywhere: the kernel must have netem */
	struct requirement *reqs; int nreqs;
	struct step *steps; int nsteps;
	struct var *vars; int nvars;
	char **strings;             /* fixture paths read, NULL-terminated */
	int uses_exec;              /* runs programs: only with --allow-exec */
	struct on_when *on_when; int non_when;
};

/* A file's variants, expanded: one scenario per combination of `vary`
 * values, in the order written. */
struct case_file {
	struct scenario **sc;
	int n;
};

/* Parse path. id_base is the case id without the variant ("seed/realm");
 * NULL derives it from the path (the part after "cases/", no ".case").
 * On error returns -1 with "FILE:LINE:COL: message" in err. */
int case_load(const char *path, const char *id_base, struct case_file *out, char *err);

/* Whether the file asks for a run: every variant has a host, and some
 * variant a step. 0, or -1 with "FILE:1:1: message" in err. `check` and
 * `run` ask it of every file (case_load does not: a unit test may load a
 * topology alone). */
int case_file_runnable(const struct case_file *cf, const char *path, char *err);

/* model.c: what each piece owns, freed (NULL-safe where a pointer). */
void case_file_free(struct case_file *cf);
void scenario_free(struct scenario *sc);
void step_free(struct step *st);
void cond_free(struct cond *c);
void expect_free(struct expect *e);   /* what it owns, its `or` answers too */

/* A fixture a case `use`s: from the case file's folder upwards, then from
 * its absolute folder upwards, then in the installed PREFIX/share/netrepro.
 * The path found (allocated), or NULL with where the search looked in
 * where. */
char *case_fixture_find(const char *case_file, const char *name, char *where, size_t len);

/* As `when` compares values: as numbers when both are, else as text. */
int cond_value_cmp(const char *a, const char *b);

/* The id a path gets: the part after the last "cases/" without ".case". */
void case_id_from_path(const char *path, char *buf, size_t len);

#endif
