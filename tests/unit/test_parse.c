/* Unit tests for the case parser (runner/lang/lex.c, parse.c, parse_step.c,
 * case.c): small case files written into a temporary tree
 *   ROOT/cases/t/NAME.case   ROOT/fixtures/NAME.net
 * are loaded with case_load(); successful parses are checked field by field,
 * and every class of error by its exact "FILE:LINE:COL: " prefix and the key
 * part of its message. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "case.h"
#include "registry.h"

static char root[64];

/* ---- the temporary tree ---- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		fail_msg("cannot write %s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
}

static const char *fixture_path(const char *name)
{
	static char buf[PATH_MAX];
	snprintf(buf, sizeof buf, "%s/fixtures/%s", root, name);
	return buf;
}

static const char *case_path(const char *name)
{
	static char buf[PATH_MAX];
	snprintf(buf, sizeof buf, "%s/cases/t/%s.case", root, name);
	return buf;
}

static const struct { const char *name, *text; } fixtures[] = {
	{ "two.net",
	  "# two hosts on a veth pair\n"
	  "host a b\n"
	  "link a:eth0 b:eth0\n"
	  "addr a:eth0 10.0.1.1/24 fd00:1::1/64\n"
	  "addr b:eth0 10.0.1.2/24 fd00:1::2/64 dad\n" },
	{ "bad.net", "host a\n\nfrob a b\n" },
	{ "badlink.net", "host a\nlink a:eth0 zz:eth0\n" },
	{ "loop.net", "use fixtures/loop.net\n" },
	{ "steps.net", "host a\non a\n" },
	{ "title.net", "title \"x\"\n" },
	{ "vary.net", "vary v = 1, 2\n" },
	{ "varaddr.net", "host a\naddr a:lo 10.$v.0.1/8 when v != 9\n" },
	{ "inner.net", "host x\n" },
	{ "outer.net", "use fixtures/inner.net\nhost y\nlink x:e0 y:e0\n" },
};

static int mkdirs(void)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/cases", root);
	if (mkdir(p, 0755))
		return -1;
	snprintf(p, sizeof p, "%s/cases/t", root);
	if (mkdir(p, 0755))
		return -1;
	snprintf(p, sizeof p, "%s/fixtures", root);
	return mkdir(p, 0755);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof root, "/tmp/netrepro-parse-XXXXXX");
	if (!mkdtemp(root) || mkdirs())
		return -1;
	for (size_t i = 0; i < sizeof fixtures / sizeof *fixtures; i++) {
		FILE *f = fopen(fixture_path(fixtures[i].name), "w");
		if (!f)
			return -1;
		fputs(fixtures[i].text, f);
		fclose(f);
	}
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	(void)state;
	return nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- loading ---- */

static struct case_file load_ok(const char *name, const char *text)
{
	struct case_file cf;
	char err[CASE_ERRLEN] = "";
	write_file(case_path(name), text);
	if (case_load(case_path(name), NULL, &cf, err) != 0)
		fail_msg("%s did not parse: %s", name, err);
	assert_true(cf.n >= 1);
	assert_non_null(cf.sc);
	return cf;
}

/* file NULL: the case itself. 0 if the load fails as expected, else -1 with
 * the difference printed. */
static int check_error(const char *name, const char *text, const char *file, int line,
		       int col, const char *msg)
{
	struct case_file cf = { (void *)1, 99 };
	char err[CASE_ERRLEN] = "", want[PATH_MAX + 64];
	write_file(case_path(name), text);
	int rc = case_load(case_path(name), NULL, &cf, err);
	if (rc != -1) {
		case_file_free(&cf);
		print_error("%s parsed, expected an error at %d:%d (%s)\n---\n%s---\n", name, line, col,
			    msg, text);
		return -1;
	}
	if (cf.sc || cf.n) {
		print_error("%s: failed, but left %d scenarios\n", name, cf.n);
		return -1;
	}
	snprintf(want, sizeof want, "%s:%d:%d: ", file ? file : case_path(name), line, col);
	if (strncmp(err, want, strlen(want)) || !strstr(err + strlen(want), msg)) {
		print_error("%s:\n   got: %s\n  want: %s...%s\n---\n%s---\n", name, err, want, msg, text);
		return -1;
	}
	return 0;
}

static void expect_error_in(const char *name, const char *text, const char *file, int line,
			    int col, const char *msg)
{
	if (check_error(name, text, file, line, col, msg))
		fail();
}

#define expect_error(name, text, line, col, msg) expect_error_in(name, text, NULL, line, col, msg)

static const struct step *step_at(const struct scenario *sc, int i)
{
	assert_in_range(i, 0, sc->nsteps - 1);
	return &sc->steps[i];
}

static void assert_v4(const struct sockaddr_tmpl *a, const char *ip, int port)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)&a->ss;
	char buf[INET_ADDRSTRLEN];
	assert_int_equal(in->sin_family, AF_INET);
	assert_int_equal(a->len, sizeof(struct sockaddr_in));
	assert_non_null(inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf));
	assert_string_equal(buf, ip);
	assert_int_equal(ntohs(in->sin_port), port);
}

static void assert_v6(const struct sockaddr_tmpl *a, const char *ip, int port)
{
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->ss;
	char buf[INET6_ADDRSTRLEN];
	assert_int_equal(in6->sin6_family, AF_INET6);
	assert_int_equal(a->len, sizeof(struct sockaddr_in6));
	assert_non_null(inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf));
	assert_string_equal(buf, ip);
	assert_int_equal(ntohs(in6->sin6_port), port);
}

/* ---- successful parses ---- */

static void test_bridge(void **state)
{
	(void)state;
	struct case_file cf = load_ok("lan",
		"host a b c\n"
		"bridge sw a:eth0 b:eth0 c:eth1\n"
		"addr c:eth1 10.0.3.3/24\n"
		"set sw:br0 mtu 1400\n"
		"on sw\n"
		"  s = socket(INET, DGRAM)\n");
	const struct scenario *sc = cf.sc[0];
	assert_int_equal(sc->nhosts, 4);
	assert_string_equal(sc->hosts[3], "sw");
	assert_int_equal(sc->nbridges, 1);
	assert_int_equal(sc->bridges[0].host, 3);
	assert_int_equal(sc->bridges[0].pos.line, 2);
	assert_int_equal(sc->bridges[0].pos.col, 8);
	assert_int_equal(sc->topo.nlinks, 3);
	const char *ports[] = { "p1", "p2", "p3" }, *ends[] = { "eth0", "eth0", "eth1" };
	for (int i = 0; i < 3; i++) {
		assert_int_equal(sc->topo.links[i].a, i);
		assert_string_equal(sc->topo.links[i].ifa, ends[i]);
		assert_int_equal(sc->topo.links[i].b, 3);
		assert_string_equal(sc->topo.links[i].ifb, ports[i]);
	}
	case_file_free(&cf);
}

static void test_on_when(void **state)
{
	(void)state;
	struct case_file cf = load_ok("onwhen",
		"vary two = no, yes\n"
		"host a\n"
		"host b when two == yes\n"
		"on a\n"
		"  s = socket(INET, DGRAM)\n"
		"on b when two == yes\n"
		"  t = socket(INET, DGRAM)\n"
		"  repeat 2\n"
		"    bind(t, 0.0.0.0:0)\n"
		"  end\n"
		"on a\n"
		"  close(s) = 0\n");
	assert_int_equal(cf.n, 2);
	const struct scenario *no = cf.sc[0], *yes = cf.sc[1];
	assert_int_equal(no->nhosts, 1);
	assert_int_equal(no->nsteps, 2);                 /* b's section left out */
	assert_int_equal(no->steps[1].pos.line, 12);
	assert_int_equal(yes->nhosts, 2);
	assert_int_equal(yes->nsteps, 4);
	assert_int_equal(yes->steps[1].host, 1);
	assert_int_equal(yes->steps[2].kind, STEP_REPEAT);
	case_file_free(&cf);
}

static void test_topology(void **state)
{
	(void)state;
	const char *text =
		"title \"full \\\"topology\\\" with\\ttab\"\n"              /* 1 */
		"ref https://example.com/show_bug.cgi?id=5#c3   # why\n"   /* 2 */
		"ref \"a ticket, by text\"\n"                               /* 3 */
		"use fixtures/two.net\n"                                    /* 4 */
		"require root\n"                                            /* 5 */
		"require ipv6\n"                                            /* 6 */
		"require kernel >= 6.1 and kernel < 6.1.54\n"               /* 7 */
		"require sysctl net.ipv4.tcp_timestamps\n"                  /* 8 */
		"host c\n"                                                  /* 9 */
		"link b:eth1 c:eth0\n"                                      /* 10 */
		"set a:eth0 down multicast off mtu 1400\n"                  /* 11 */
		"set c:eth0 up multicast on\n"                              /* 12 */
		"route a default via 10.0.1.2\n"                            /* 13 */
		"route a 10.9.0.0/16 via 10.0.1.2 dev eth0\n"               /* 14 */
		"route b default6 dev eth0\n"                               /* 15 */
		"route c 224.0.0.0/4 dev eth0\n"                            /* 16 */
		"sysctl a net.ipv4.ip_local_port_range = 40000 40007\n"     /* 17 */
		"  sysctl b net.ipv6.conf.all.forwarding = 1\n";            /* 18 */
	struct case_file cf = load_ok("topo", text);
	assert_int_equal(cf.n, 1);
	const struct scenario *sc = cf.sc[0];
	const char *fx = fixture_path("two.net");

	assert_string_equal(sc->file, case_path("topo"));
	assert_string_equal(sc->id, "t/topo");
	assert_string_equal(sc->source, text);
	assert_string_equal(sc->title, "full \"topology\" with\ttab");
	assert_int_equal(sc->nrefs, 2);
	assert_string_equal(sc->refs[0], "https://example.com/show_bug.cgi?id=5#c3");
	assert_string_equal(sc->refs[1], "a ticket, by text");
	assert_int_equal(sc->nvariants, 0);
	assert_int_equal(sc->nsteps, 0);
	assert_int_equal(sc->nvars, 0);
	assert_non_null(sc->strings);
	assert_string_equal(sc->strings[0], fx);
	assert_null(sc->strings[1]);

	assert_int_equal(sc->nhosts, 3);
	assert_string_equal(sc->hosts[0], "a");
	assert_string_equal(sc->hosts[1], "b");
	assert_string_equal(sc->hosts[2], "c");

	assert_int_equal(sc->topo.nlinks, 2);
	assert_int_equal(sc->topo.links[0].a, 0);
	assert_string_equal(sc->topo.links[0].ifa, "eth0");
	assert_int_equal(sc->topo.links[0].b, 1);
	assert_string_equal(sc->topo.links[0].ifb, "eth0");
	assert_string_equal(sc->topo.links[0].pos.file, fx);
	assert_int_equal(sc->topo.links[0].pos.line, 3);
	assert_int_equal(sc->topo.links[0].pos.col, 1);
	assert_int_equal(sc->topo.links[1].a, 1);
	assert_string_equal(sc->topo.links[1].ifa, "eth1");
	assert_int_equal(sc->topo.links[1].b, 2);
	assert_string_equal(sc->topo.links[1].ifb, "eth0");
	assert_string_equal(sc->topo.links[1].pos.file, case_path("topo"));
	assert_int_equal(sc->topo.links[1].pos.line, 10);

	static const struct { int host; const char *cidr; int dad, line, col; } addrs[] = {
		{ 0, "10.0.1.1/24", 0, 4, 13 }, { 0, "fd00:1::1/64", 0, 4, 25 },
		{ 1, "10.0.1.2/24", 1, 5, 13 }, { 1, "fd00:1::2/64", 1, 5, 25 },
	};
	assert_int_equal(sc->topo.naddrs, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(sc->topo.addrs[i].host, addrs[i].host);
		assert_string_equal(sc->topo.addrs[i].ifname, "eth0");
		assert_string_equal(sc->topo.addrs[i].cidr, addrs[i].cidr);
		assert_int_equal(sc->topo.addrs[i].dad, addrs[i].dad);
		assert_string_equal(sc->topo.addrs[i].pos.file, fx);
		assert_int_equal(sc->topo.addrs[i].pos.line, addrs[i].line);
		assert_int_equal(sc->topo.addrs[i].pos.col, addrs[i].col);
	}

	static const struct { int host; enum topo_set_kind kind; unsigned mtu; int col; } sets[] = {
		{ 0, SET_DOWN, 0, 12 }, { 0, SET_MULTICAST_OFF, 0, 17 }, { 0, SET_MTU, 1400, 31 },
		{ 2, SET_UP, 0, 12 }, { 2, SET_MULTICAST_ON, 0, 15 },
	};
	assert_int_equal(sc->topo.nsets, 5);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(sc->topo.sets[i].host, sets[i].host);
		assert_string_equal(sc->topo.sets[i].ifname, "eth0");
		assert_int_equal(sc->topo.sets[i].kind, sets[i].kind);
		assert_int_equal(sc->topo.sets[i].mtu, sets[i].mtu);
		assert_int_equal(sc->topo.sets[i].pos.line, i < 3 ? 11 : 12);
		assert_int_equal(sc->topo.sets[i].pos.col, sets[i].col);
	}

	static const struct { int host; const char *dst, *via, *dev; } routes[] = {
		{ 0, "default", "10.0.1.2", "" }, { 0, "10.9.0.0/16", "10.0.1.2", "eth0" },
		{ 1, "default6", "", "eth0" }, { 2, "224.0.0.0/4", "", "eth0" },
	};
	assert_int_equal(sc->topo.nroutes, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(sc->topo.routes[i].host, routes[i].host);
		assert_string_equal(sc->topo.routes[i].dst, routes[i].dst);
		assert_string_equal(sc->topo.routes[i].via, routes[i].via);
		assert_string_equal(sc->topo.routes[i].dev, routes[i].dev);
		assert_int_equal(sc->topo.routes[i].pos.line, 13 + i);
	}

	assert_int_equal(sc->topo.nsysctls, 2);
	assert_int_equal(sc->topo.sysctls[0].host, 0);
	assert_string_equal(sc->topo.sysctls[0].name, "net.ipv4.ip_local_port_range");
	assert_string_equal(sc->topo.sysctls[0].value, "40000 40007");
	assert_int_equal(sc->topo.sysctls[0].pos.line, 17);
	assert_int_equal(sc->topo.sysctls[0].pos.col, 10);
	assert_int_equal(sc->topo.sysctls[1].host, 1);
	assert_string_equal(sc->topo.sysctls[1].name, "net.ipv6.conf.all.forwarding");
	assert_string_equal(sc->topo.sysctls[1].value, "1");
	assert_int_equal(sc->topo.sysctls[1].pos.line, 18);
	assert_int_equal(sc->topo.sysctls[1].pos.col, 12);

	assert_int_equal(sc->nreqs, 4);
	assert_int_equal(sc->reqs[0].kind, REQ_ROOT);
	assert_string_equal(sc->reqs[0].text, "root");
	assert_int_equal(sc->reqs[0].pos.line, 5);
	assert_int_equal(sc->reqs[0].pos.col, 9);
	assert_int_equal(sc->reqs[1].kind, REQ_IPV6);
	assert_int_equal(sc->reqs[2].kind, REQ_KERNEL);
	assert_string_equal(sc->reqs[2].text, "kernel >= 6.1 and kernel < 6.1.54");
	const struct cond *c = sc->reqs[2].cond;
	assert_non_null(c);
	assert_int_equal(c->kind, COND_AND);
	assert_int_equal(c->l->subj, SUBJ_KERNEL);
	assert_int_equal(c->l->op, OP_GE);
	assert_int_equal(c->l->kv.v[0], 6);
	assert_int_equal(c->l->kv.v[1], 1);
	assert_int_equal(c->l->kv.v[2], 0);
	assert_int_equal(c->r->op, OP_LT);
	assert_int_equal(c->r->kv.v[2], 54);
	assert_null(sc->reqs[0].cond);
	assert_int_equal(sc->reqs[3].kind, REQ_SYSCTL);
	assert_string_equal(sc->reqs[3].name, "net.ipv4.tcp_timestamps");
	case_file_free(&cf);
	assert_null(cf.sc);
	assert_int_equal(cf.n, 0);
}

static void test_sysctl_values(void **state)
{
	(void)state;
	struct case_file cf = load_ok("sysctls",
		"vary lo = 40000\n"
		"host a\n"
		"sysctl a net.ipv4.ip_local_reserved_ports = 40001-40003,40005, 40007\n"
		"sysctl a net.ipv4.ip_local_port_range = $lo   40099   # blanks shrink to one\n"
		"sysctl a net.core.somaxconn = \"4096\"\n"
		"sysctl a net.ipv4.conf.all.rp_filter = \"2 # not a comment\"\n"
		"sysctl a net.ipv4.x = -1\n");
	const struct scenario *sc = cf.sc[0];
	assert_int_equal(sc->topo.nsysctls, 5);
	assert_string_equal(sc->topo.sysctls[0].value, "40001-40003,40005,40007");
	assert_string_equal(sc->topo.sysctls[1].value, "40000 40099");
	assert_string_equal(sc->topo.sysctls[2].value, "4096");
	assert_string_equal(sc->topo.sysctls[3].value, "2 # not a comment");
	assert_string_equal(sc->topo.sysctls[4].value, "-1");
	case_file_free(&cf);
}

static void test_nested_fixtures(void **state)
{
	(void)state;
	struct case_file cf = load_ok("nested", "use fixtures/outer.net\nhost z\n");
	const struct scenario *sc = cf.sc[0];
	assert_int_equal(sc->nhosts, 3);
	assert_string_equal(sc->hosts[0], "x");
	assert_string_equal(sc->hosts[1], "y");
	assert_string_equal(sc->hosts[2], "z");
	assert_int_equal(sc->topo.nlinks, 1);
	assert_string_equal(sc->topo.links[0].pos.file, fixture_path("outer.net"));
	assert_int_equal(sc->topo.links[0].pos.line, 3);
	/* every file read, in the order read */
	assert_string_equal(sc->strings[0], fixture_path("outer.net"));
	assert_string_equal(sc->strings[1], fixture_path("inner.net"));
	assert_null(sc->strings[2]);
	case_file_free(&cf);

	/* a fixture by absolute path, and by a quoted name */
	char text[PATH_MAX + 16];
	snprintf(text, sizeof text, "use %s\n", fixture_path("inner.net"));
	cf = load_ok("absolute", text);
	assert_string_equal(cf.sc[0]->hosts[0], "x");
	case_file_free(&cf);
	cf = load_ok("quoted", "use \"fixtures/inner.net\"\n");
	assert_int_equal(cf.sc[0]->nhosts, 1);
	case_file_free(&cf);
}

static void test_steps_and_args(void **state)
{
	(void)state;
	const char *text =
		"host a\n"                                                       /* 1 */
		"on a\n"                                                         /* 2 */
		"  s = socket(INET6, STREAM, NONBLOCK)\n"                        /* 3 */
		"  setsockopt(s, IPV6, IPV6_V6ONLY, 1) = 0\n"                    /* 4 */
		"  setsockopt(s, SO_REUSEADDR, 0x1)   # no level\n"              /* 5 */
		"  bind(s, [::1]:8080) = 0\n"                                    /* 6 */
		"  listen(s) = ok\n"                                             /* 7 */
		"  c = socket(AF_INET, SOCK_DGRAM)\n"                            /* 8 */
		"  setsockopt(c, IP, IP_ADD_MEMBERSHIP, 224.0.0.1, 127.0.0.1, lo) = ENODEV\n" /* 9 */
		"  sendto(c, \"hi\\n\\0\", 10.0.0.1:9) = 4\n"                   /* 10 */
		"  port = getsockname(c)\n"                                      /* 11 */
		"  connect(c, 10.0.0.2:$port) = ECONNREFUSED\n"                  /* 12 */
		"  n = recv(c, 100) = \"hi\\n\"\n"                               /* 13 */
		"  shutdown(c, RDWR) = ENOTCONN\n"                               /* 14 */
		"  state(10.0.0.1:1, [fd00::2]:2) = TIME_WAIT\n"                 /* 15 */
		"  state(s) = NONE\n"                                            /* 16 */
		"  setsockopt(s, SO_LINGER, 1, 0)\n"                             /* 17 */
		"  setsockopt(c, IP_LOCAL_PORT_RANGE, 40000, 40007)\n"           /* 18 */
		"  e = getsockopt(s, SOCKET, SO_ERROR) = $n\n"                   /* 19 */
		"  setsockopt(s, IPV6_JOIN_GROUP, ff02::1, 1)\n"                 /* 20 */
		"  setsockopt(c, IP_MULTICAST_IF, 127.0.0.1)\n"                  /* 21 */
		"  a = accept(s) = TIMEOUT\n"                                    /* 22 */
		"  close(a) = EBADF\n"                                           /* 23 */
		"\n"                                                             /* 24 */
		"  sleep(10)\n"                                                  /* 25 */
		"  listen(s, -1) = -22\n"                                        /* 26 */
		"  recvfrom(c) = EWOULDBLOCK\n"                                  /* 27 */
		"  setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, 0)\n"               /* 28 */
		"  sendto(c, \"hi\\x0a\\x00\", 10.0.0.1:9)\n";               /* 29 */
	struct case_file cf = load_ok("steps", text);
	const struct scenario *sc = cf.sc[0];
	const struct step *st;

	static const struct { const char *name; enum var_kind kind; } vars[] = {
		{ "s", VAR_SOCK }, { "c", VAR_SOCK }, { "port", VAR_INT }, { "n", VAR_INT },
		{ "e", VAR_INT }, { "a", VAR_SOCK },
	};
	assert_int_equal(sc->nvars, 6);
	for (int i = 0; i < 6; i++) {
		assert_string_equal(sc->vars[i].name, vars[i].name);
		assert_int_equal(sc->vars[i].kind, vars[i].kind);
	}
	assert_int_equal(sc->nsteps, 26);
	for (int i = 0; i < sc->nsteps; i++) {
		assert_int_equal(sc->steps[i].kind, STEP_CALL);
		assert_int_equal(sc->steps[i].host, 0);
		assert_string_equal(sc->steps[i].pos.file, case_path("steps"));
		assert_int_equal(sc->steps[i].pos.line, i + 3 + (i >= 21));
		assert_int_equal(sc->steps[i].pos.col, 3);
	}

	st = step_at(sc, 0);
	assert_string_equal(st->call->name, "socket");
	assert_string_equal(st->text, "s = socket(INET6, STREAM, NONBLOCK)");
	assert_int_equal(st->capture, 0);
	assert_int_equal(st->nargs, 3);
	assert_int_equal(st->args[0].kind, ARG_NAME);
	assert_int_equal(st->args[0].i, AF_INET6);
	assert_string_equal(st->args[0].str, "INET6");
	assert_int_equal(st->args[0].pos.col, 14);
	assert_int_equal(st->args[1].kind, ARG_NAME);
	assert_int_equal(st->args[1].i, SOCK_STREAM);
	assert_int_equal(st->args[2].kind, ARG_FLAG);
	assert_int_equal(st->args[2].i, SOCK_NONBLOCK);
	assert_int_equal(st->nalts, 0);

	st = step_at(sc, 1);
	assert_string_equal(st->call->name, "setsockopt");
	assert_string_equal(st->text, "setsockopt(s, IPV6, IPV6_V6ONLY, 1)");
	assert_int_equal(st->capture, -1);
	assert_int_equal(st->nargs, 3);
	assert_int_equal(st->args[0].kind, ARG_SOCK);
	assert_int_equal(st->args[0].var, 0);
	assert_int_equal(st->args[1].kind, ARG_NAME);
	assert_int_equal(st->args[1].i, IPPROTO_IPV6);
	assert_string_equal(st->args[1].str, "IPV6_V6ONLY");
	assert_int_equal(st->args[1].pos.col, 23);
	assert_int_equal(st->args[2].kind, ARG_INT);
	assert_int_equal(st->args[2].i, 1);
	assert_int_equal(st->args[2].pos.col, 36);
	assert_int_equal(st->nalts, 1);
	assert_null(st->alts[0].guard);
	assert_int_equal(st->alts[0].e.kind, EXP_INT);
	assert_int_equal(st->alts[0].e.i, 0);
	assert_string_equal(st->alts[0].e.text, "0");

	st = step_at(sc, 2);
	assert_int_equal(st->nargs, 3);
	assert_int_equal(st->args[1].i, SOL_SOCKET);
	assert_string_equal(st->args[1].str, "SO_REUSEADDR");
	assert_int_equal(st->args[2].i, 1);
	assert_int_equal(st->nalts, 0);
	assert_string_equal(st->text, "setsockopt(s, SO_REUSEADDR, 0x1)");

	st = step_at(sc, 3);
	assert_string_equal(st->call->name, "bind");
	assert_string_equal(st->text, "bind(s, [::1]:8080)");
	assert_int_equal(st->args[1].kind, ARG_ADDR);
	assert_int_equal(st->args[1].addr.port_var, -1);
	assert_v6(&st->args[1].addr, "::1", 8080);

	st = step_at(sc, 4);
	assert_string_equal(st->call->name, "listen");
	assert_int_equal(st->nargs, 1);
	assert_int_equal(st->alts[0].e.kind, EXP_OK);
	assert_string_equal(st->alts[0].e.text, "ok");

	st = step_at(sc, 5);
	assert_int_equal(st->capture, 1);
	assert_int_equal(st->args[0].i, AF_INET);
	assert_int_equal(st->args[1].i, SOCK_DGRAM);
	assert_int_equal(st->nargs, 2);

	st = step_at(sc, 6);
	assert_int_equal(st->nargs, 5);
	assert_int_equal(st->args[0].var, 1);
	assert_int_equal(st->args[1].i, IPPROTO_IP);
	assert_string_equal(st->args[1].str, "IP_ADD_MEMBERSHIP");
	assert_int_equal(st->args[2].kind, ARG_IP);
	assert_v4(&st->args[2].addr, "224.0.0.1", 0);
	assert_int_equal(st->args[3].kind, ARG_IP);
	assert_v4(&st->args[3].addr, "127.0.0.1", 0);
	assert_int_equal(st->args[4].kind, ARG_NAME);
	assert_string_equal(st->args[4].str, "lo");
	assert_int_equal(st->alts[0].e.kind, EXP_ERRNO);
	assert_int_equal(st->alts[0].e.i, ENODEV);
	assert_string_equal(st->alts[0].e.text, "ENODEV");

	st = step_at(sc, 7);
	assert_string_equal(st->call->name, "sendto");
	assert_int_equal(st->args[1].kind, ARG_STR);
	assert_int_equal(st->args[1].len, 4);
	assert_memory_equal(st->args[1].str, "hi\n\0", 4);
	assert_int_equal(st->args[2].kind, ARG_ADDR);
	assert_v4(&st->args[2].addr, "10.0.0.1", 9);
	assert_string_equal(st->text, "sendto(c, \"hi\\n\\x00\", 10.0.0.1:9)");
	assert_int_equal(st->alts[0].e.kind, EXP_INT);
	assert_int_equal(st->alts[0].e.i, 4);

	st = step_at(sc, 8);
	assert_string_equal(st->call->name, "getsockname");
	assert_int_equal(st->capture, 2);
	assert_int_equal(st->nalts, 0);

	st = step_at(sc, 9);
	assert_int_equal(st->args[1].addr.port_var, 2);
	assert_v4(&st->args[1].addr, "10.0.0.2", 0);
	assert_int_equal(st->alts[0].e.i, ECONNREFUSED);

	st = step_at(sc, 10);
	assert_string_equal(st->call->name, "recv");
	assert_int_equal(st->capture, 3);
	assert_int_equal(st->args[1].kind, ARG_INT);
	assert_int_equal(st->args[1].i, 100);
	assert_int_equal(st->alts[0].e.kind, EXP_STR);
	assert_int_equal(st->alts[0].e.len, 3);
	assert_memory_equal(st->alts[0].e.str, "hi\n", 3);
	assert_string_equal(st->alts[0].e.text, "\"hi\\n\"");

	st = step_at(sc, 11);
	assert_int_equal(st->args[1].kind, ARG_NAME);
	assert_int_equal(st->args[1].i, SHUT_RDWR);
	assert_int_equal(st->alts[0].e.i, ENOTCONN);

	st = step_at(sc, 12);
	assert_string_equal(st->call->name, "state");
	assert_int_equal(st->nargs, 2);
	assert_v4(&st->args[0].addr, "10.0.0.1", 1);
	assert_v6(&st->args[1].addr, "fd00::2", 2);
	assert_int_equal(st->args[1].pos.col, 21);
	assert_int_equal(st->alts[0].e.kind, EXP_STATE);
	assert_int_equal(st->alts[0].e.i, 6);
	assert_string_equal(st->alts[0].e.text, "TIME_WAIT");

	st = step_at(sc, 13);
	assert_int_equal(st->nargs, 1);
	assert_int_equal(st->args[0].kind, ARG_SOCK);
	assert_int_equal(st->alts[0].e.kind, EXP_STATE);
	assert_int_equal(st->alts[0].e.i, 0);

	st = step_at(sc, 14);
	assert_int_equal(st->nargs, 4);
	assert_string_equal(st->args[1].str, "SO_LINGER");
	assert_int_equal(st->args[2].i, 1);
	assert_int_equal(st->args[3].i, 0);

	st = step_at(sc, 15);
	assert_int_equal(st->nargs, 4);
	assert_int_equal(st->args[2].i, 40000);
	assert_int_equal(st->args[3].i, 40007);

	st = step_at(sc, 16);
	assert_string_equal(st->call->name, "getsockopt");
	assert_int_equal(st->capture, 4);
	assert_int_equal(st->nargs, 2);
	assert_string_equal(st->args[1].str, "SO_ERROR");
	assert_int_equal(st->alts[0].e.kind, EXP_VAR);
	assert_int_equal(st->alts[0].e.var, 3);
	assert_string_equal(st->alts[0].e.text, "$n");

	st = step_at(sc, 17);
	assert_int_equal(st->args[2].kind, ARG_IP);
	assert_v6(&st->args[2].addr, "ff02::1", 0);
	assert_int_equal(st->args[3].kind, ARG_INT);
	assert_int_equal(st->args[3].i, 1);

	st = step_at(sc, 18);
	assert_int_equal(st->nargs, 3);
	assert_v4(&st->args[2].addr, "127.0.0.1", 0);

	st = step_at(sc, 19);
	assert_string_equal(st->call->name, "accept");
	assert_int_equal(st->capture, 5);
	assert_int_equal(st->alts[0].e.kind, EXP_TIMEOUT);

	st = step_at(sc, 20);
	assert_int_equal(st->args[0].var, 5);
	assert_int_equal(st->alts[0].e.i, EBADF);

	st = step_at(sc, 21);
	assert_string_equal(st->call->name, "sleep");
	assert_int_equal(st->args[0].i, 10);

	st = step_at(sc, 22);
	assert_int_equal(st->args[1].i, -1);
	assert_int_equal(st->alts[0].e.kind, EXP_INT);
	assert_int_equal(st->alts[0].e.i, -22);

	st = step_at(sc, 23);
	assert_string_equal(st->call->name, "recvfrom");
	assert_int_equal(st->alts[0].e.i, EAGAIN);
	assert_string_equal(st->alts[0].e.text, "EWOULDBLOCK");

	st = step_at(sc, 24);
	assert_int_equal(st->args[1].i, IPPROTO_IPV6);
	assert_int_equal(st->args[2].i, 0);

	/* the text a record shows for step 7 parses back to the same bytes */
	st = step_at(sc, 25);
	assert_string_equal(st->text, step_at(sc, 7)->text);
	assert_int_equal(st->args[1].len, 4);
	assert_memory_equal(st->args[1].str, "hi\n\0", 4);
	case_file_free(&cf);
}

static void test_numbers(void **state)
{
	(void)state;
	/* decimal, or hex with 0x; a leading 0 is not octal */
	struct case_file cf = load_ok("numbers",
		"host a\n"
		"on a\n"
		"  s = socket(INET, STREAM)\n"
		"  listen(s, 010) = 010\n"
		"  listen(s, 0x10) = -0x1\n"
		"  bind(s, 127.0.0.1:08080)\n"
		"  bind(s, [::]:0x50)\n"
		"  listen(s, +7)\n"
		"  for p in 09..0x0a\n"
		"  end\n"
		"  repeat 010\n"
		"  end\n");
	const struct scenario *sc = cf.sc[0];
	assert_int_equal(step_at(sc, 1)->args[1].i, 10);
	assert_int_equal(step_at(sc, 1)->alts[0].e.i, 10);
	assert_int_equal(step_at(sc, 2)->args[1].i, 16);
	assert_int_equal(step_at(sc, 2)->alts[0].e.i, -1);
	assert_v4(&step_at(sc, 3)->args[1].addr, "127.0.0.1", 8080);
	assert_v6(&step_at(sc, 4)->args[1].addr, "::", 80);
	assert_int_equal(step_at(sc, 5)->args[1].i, 7);
	assert_int_equal(step_at(sc, 6)->from, 9);
	assert_int_equal(step_at(sc, 6)->to, 10);
	assert_int_equal(step_at(sc, 7)->count, 10);
	case_file_free(&cf);
}

static void test_alternatives(void **state)
{
	(void)state;
	struct case_file cf = load_ok("alts",
		"vary v = 0, 1\n"
		"host a\n"
		"on a\n"
		"  s = socket(INET, STREAM)\n"
		"  bind(s, 0.0.0.0:1) = EADDRINUSE when v == 0 and kernel >= 6.1 | "
		"EACCES when platform == wsl2 or privilege != root | 0\n"
		"  listen(s, 1) = 0 when v == 1\n"
		"  close(s) = EBADF when v == 0 | ok\n"
		"  t = socket(INET, STREAM)\n"
		"  bind(t, 0.0.0.0:1) = 0 or EADDRINUSE or EACCES when v == 1 | EPERM\n");
	assert_int_equal(cf.n, 2);
	for (int k = 0; k < 2; k++) {
		const struct scenario *sc = cf.sc[k];
		const struct step *st = step_at(sc, 1);
		assert_int_equal(st->nalts, 3);
		const struct cond *g = st->alts[0].guard;
		assert_int_equal(st->alts[0].e.kind, EXP_ERRNO);
		assert_int_equal(st->alts[0].e.i, EADDRINUSE);
		assert_int_equal(g->kind, COND_AND);
		assert_int_equal(g->l->subj, SUBJ_VARIANT);
		assert_int_equal(g->l->variant, 0);
		assert_string_equal(g->l->value, "0");
		assert_int_equal(g->r->subj, SUBJ_KERNEL);
		g = st->alts[1].guard;
		assert_int_equal(st->alts[1].e.i, EACCES);
		assert_int_equal(g->kind, COND_OR);
		assert_int_equal(g->l->subj, SUBJ_PLATFORM);
		assert_int_equal(g->l->op, OP_EQ);
		assert_string_equal(g->l->value, "wsl2");
		assert_int_equal(g->r->subj, SUBJ_PRIVILEGE);
		assert_int_equal(g->r->op, OP_NE);
		assert_null(st->alts[2].guard);
		assert_int_equal(st->alts[2].e.kind, EXP_INT);
		/* the text the record shows is the step, not the expectation */
		assert_string_equal(st->text, "bind(s, 0.0.0.0:1)");

		/* guards are evaluated against this variant's values */
		struct cond_ctx ctx = { .platform = "linux", .privilege = "root",
					.variant_values = (const char *const *)sc->variant_values };
		assert_int_equal(kver_parse("6.1", &ctx.kernel), 0);
		assert_int_equal(cond_eval(st->alts[0].guard, &ctx), k == 0);
		assert_int_equal(cond_eval(step_at(sc, 2)->alts[0].guard, &ctx), k == 1);
		assert_int_equal(step_at(sc, 2)->nalts, 1);
		assert_int_equal(step_at(sc, 3)->nalts, 2);
		assert_int_equal(step_at(sc, 3)->alts[1].e.kind, EXP_OK);

		/* "A or B or C": one alternative, its answers chained */
		st = step_at(sc, 5);
		assert_int_equal(st->nalts, 2);
		const struct expect *e = &st->alts[0].e;
		assert_string_equal(e->text, "0 or EADDRINUSE or EACCES");
		assert_int_equal(e->kind, EXP_INT);
		assert_int_equal(e->or->kind, EXP_ERRNO);
		assert_int_equal(e->or->i, EADDRINUSE);
		assert_int_equal(e->or->or->i, EACCES);
		assert_null(e->or->or->or);
		assert_non_null(st->alts[0].guard);
		assert_string_equal(st->alts[1].e.text, "EPERM");
		assert_null(st->alts[1].e.or);
	}
	case_file_free(&cf);
}

static void test_continued_lines(void **state)
{
	(void)state;
	struct case_file cf = load_ok("cont",
		"vary v = 0, \\\n"                                    /* 1 */
		"         1\n"                                          /* 2 */
		"host a   # a comment \\ does not continue\n"         /* 3 */
		"on a\n"                                                /* 4 */
		"  s = socket(INET, \\\n"                             /* 5 */
		"             STREAM)\n"                                /* 6 */
		"  bind(s, 0.0.0.0:1) = EADDRINUSE when v == 0 \\\n"  /* 7 */
		"                     | 0   # the rest\n"               /* 8 */
		"  send(s, \"a\\\\\")\n"                           /* 9: a string ending in \\ */
		"  close(s)\n");                                        /* 10 */
	assert_int_equal(cf.n, 2);
	for (int k = 0; k < 2; k++) {
		const struct scenario *sc = cf.sc[k];
		assert_int_equal(sc->nhosts, 1);
		assert_int_equal(sc->nsteps, 4);
		assert_int_equal(step_at(sc, 0)->pos.line, 5);
		assert_int_equal(step_at(sc, 0)->args[1].pos.line, 6);
		assert_int_equal(step_at(sc, 0)->args[1].pos.col, 14);
		const struct step *st = step_at(sc, 1);
		assert_int_equal(st->pos.line, 7);
		assert_int_equal(st->nalts, 2);
		assert_int_equal(st->alts[0].e.i, EADDRINUSE);
		assert_int_equal(st->alts[1].e.kind, EXP_INT);
		assert_string_equal(st->text, "bind(s, 0.0.0.0:1)");
		assert_int_equal(step_at(sc, 2)->pos.line, 9);
		assert_int_equal(step_at(sc, 2)->args[1].len, 2);
		assert_int_equal(step_at(sc, 3)->pos.line, 10);
	}
	assert_string_equal(cf.sc[1]->variant_values[0], "1");
	case_file_free(&cf);
}

static void test_loops(void **state)
{
	(void)state;
	struct case_file cf = load_ok("loops",
		"host a\n"                                                 /* 1 */
		"on a\n"                                                   /* 2 */
		"  repeat 3\n"                                             /* 3 */
		"    s = socket(INET, STREAM)\n"                           /* 4 */
		"    for p in 40000..40002\n"                              /* 5 */
		"      bind(s, 127.0.0.1:$p) = 0\n"                        /* 6 */
		"    end\n"                                                /* 7 */
		"  end\n"                                                  /* 8 */
		"  n = repeat until error max 50\n"                        /* 9 */
		"    t = socket(INET, DGRAM)\n"                            /* 10 */
		"  end = ENFILE when platform == wsl1 | EMFILE\n"          /* 11 */
		"  repeat until error\n"                                   /* 12 */
		"    close(t)\n"                                           /* 13 */
		"  end\n"                                                  /* 14 */
		"  check n = 8\n"                                          /* 15 */
		"  check $n = 9 when kernel < 5.0 | 8\n"                   /* 16 */
		"  repeat 0\n"                                             /* 17 */
		"  end\n"                                                  /* 18 */
		"  listen(s, $p)\n");                                      /* 19 */
	const struct scenario *sc = cf.sc[0];
	assert_int_equal(sc->nvars, 4);
	assert_string_equal(sc->vars[0].name, "s");
	assert_string_equal(sc->vars[1].name, "p");
	assert_int_equal(sc->vars[1].kind, VAR_INT);
	assert_string_equal(sc->vars[2].name, "n");
	assert_int_equal(sc->vars[2].kind, VAR_INT);
	assert_string_equal(sc->vars[3].name, "t");
	assert_int_equal(sc->nsteps, 7);

	const struct step *st = step_at(sc, 0);
	assert_int_equal(st->kind, STEP_REPEAT);
	assert_int_equal(st->count, 3);
	assert_string_equal(st->text, "repeat 3");
	assert_int_equal(st->pos.line, 3);
	assert_int_equal(st->pos.col, 3);
	assert_int_equal(st->nbody, 2);
	assert_int_equal(st->body[0].kind, STEP_CALL);
	assert_string_equal(st->body[0].call->name, "socket");
	assert_int_equal(st->body[0].pos.line, 4);
	assert_int_equal(st->body[0].pos.col, 5);
	const struct step *f = &st->body[1];
	assert_int_equal(f->kind, STEP_FOR);
	assert_int_equal(f->from, 40000);
	assert_int_equal(f->to, 40002);
	assert_int_equal(f->loopvar, 1);
	assert_int_equal(f->nbody, 1);
	assert_string_equal(f->body[0].call->name, "bind");
	assert_int_equal(f->body[0].args[1].addr.port_var, 1);
	assert_int_equal(f->body[0].pos.line, 6);
	assert_int_equal(f->body[0].nalts, 1);

	st = step_at(sc, 1);
	assert_int_equal(st->kind, STEP_UNTIL);
	assert_int_equal(st->max, 50);
	assert_int_equal(st->loopvar, 2);
	assert_int_equal(st->capture, -1);
	assert_int_equal(st->pos.line, 9);
	assert_int_equal(st->pos.col, 7);
	assert_string_equal(st->text, "n = repeat until error max 50");
	assert_int_equal(st->nbody, 1);
	assert_int_equal(st->body[0].capture, 3);
	assert_int_equal(st->nalts, 2);
	assert_int_equal(st->alts[0].e.i, ENFILE);
	assert_non_null(st->alts[0].guard);
	assert_int_equal(st->alts[0].guard->subj, SUBJ_PLATFORM);
	assert_int_equal(st->alts[1].e.i, EMFILE);
	assert_null(st->alts[1].guard);

	st = step_at(sc, 2);
	assert_int_equal(st->kind, STEP_UNTIL);
	assert_int_equal(st->max, 100000);
	assert_int_equal(st->loopvar, -1);
	assert_int_equal(st->nalts, 0);
	assert_int_equal(st->nbody, 1);
	assert_string_equal(st->body[0].call->name, "close");
	assert_int_equal(st->body[0].args[0].var, 3);

	st = step_at(sc, 3);
	assert_int_equal(st->kind, STEP_CHECK);
	assert_int_equal(st->loopvar, 2);
	assert_string_equal(st->text, "check n");
	assert_int_equal(st->nalts, 1);
	assert_int_equal(st->alts[0].e.kind, EXP_INT);
	assert_int_equal(st->alts[0].e.i, 8);
	st = step_at(sc, 4);
	assert_int_equal(st->kind, STEP_CHECK);
	assert_int_equal(st->loopvar, 2);
	assert_int_equal(st->nalts, 2);
	assert_int_equal(st->alts[0].e.i, 9);
	assert_int_equal(st->alts[0].guard->subj, SUBJ_KERNEL);
	assert_int_equal(st->alts[1].e.i, 8);

	st = step_at(sc, 5);
	assert_int_equal(st->kind, STEP_REPEAT);
	assert_int_equal(st->count, 0);
	assert_int_equal(st->nbody, 0);
	/* the loop counter stays a variable after its loop */
	st = step_at(sc, 6);
	assert_int_equal(st->args[1].kind, ARG_VAR);
	assert_int_equal(st->args[1].var, 1);
	case_file_free(&cf);
}

static void test_variants(void **state)
{
	(void)state;
	struct case_file cf = load_ok("var",
		"title \"v=$v w=$w\"\n"                                  /* 1 */
		"vary v = 1, 2\n"                                        /* 2 */
		"vary  w = a,b , c   # three\n"                          /* 3 */
		"host a\n"                                               /* 4 */
		"host b when w == b\n"                                   /* 5 */
		"addr a:lo 10.0.$v.1/24 when w != b\n"                   /* 6 */
		"route a default dev lo when v == 2 and w == c\n"        /* 7 */
		"sysctl a net.ipv4.conf.lo.$w = $v\n"                    /* 8 */
		"on a\n"                                                 /* 9 */
		"  s = socket(INET, STREAM)\n"                           /* 10 */
		"  listen(s, $v) = $v when w == a | 0\n"                 /* 11 */
		"  send(s, \"$w\\0$v$\") = 3\n"                          /* 12 */
		"  bind(s, 10.0.0.$v:8$v)\n");                           /* 13 */
	assert_int_equal(cf.n, 6);
	for (int k = 0; k < 6; k++) {
		const struct scenario *sc = cf.sc[k];
		int v = k / 3 + 1;
		char w = "abc"[k % 3], buf[64], ws[2] = { w, 0 }, vs[2] = { (char)('0' + v), 0 };

		snprintf(buf, sizeof buf, "t/var[v=%d,w=%c]", v, w);
		assert_string_equal(sc->id, buf);
		snprintf(buf, sizeof buf, "v=%d w=%c", v, w);
		assert_string_equal(sc->title, buf);
		assert_int_equal(sc->nvariants, 2);
		assert_string_equal(sc->variant_names[0], "v");
		assert_string_equal(sc->variant_names[1], "w");
		assert_string_equal(sc->variant_values[0], vs);
		assert_string_equal(sc->variant_values[1], ws);

		/* `when` keeps a topology line in some variants only */
		assert_int_equal(sc->nhosts, w == 'b' ? 2 : 1);
		assert_int_equal(sc->topo.naddrs, w == 'b' ? 0 : 1);
		if (sc->topo.naddrs) {
			snprintf(buf, sizeof buf, "10.0.%d.1/24", v);
			assert_string_equal(sc->topo.addrs[0].cidr, buf);
			assert_int_equal(sc->topo.addrs[0].pos.col, 11);
		}
		assert_int_equal(sc->topo.nroutes, v == 2 && w == 'c');
		if (sc->topo.nroutes)
			assert_string_equal(sc->topo.routes[0].dev, "lo");
		assert_int_equal(sc->topo.nsysctls, 1);
		snprintf(buf, sizeof buf, "net.ipv4.conf.lo.%c", w);
		assert_string_equal(sc->topo.sysctls[0].name, buf);
		assert_string_equal(sc->topo.sysctls[0].value, vs);

		/* $var in steps: arguments, expectations, strings, addresses */
		const struct step *st = step_at(sc, 1);
		assert_int_equal(st->args[1].kind, ARG_INT);
		assert_int_equal(st->args[1].i, v);
		assert_int_equal(st->args[1].pos.col, 13);
		assert_int_equal(st->nalts, 2);
		assert_int_equal(st->alts[0].e.kind, EXP_INT);
		assert_int_equal(st->alts[0].e.i, v);
		assert_int_equal(st->alts[0].guard->variant, 1);
		snprintf(buf, sizeof buf, "listen(s, %d)", v);
		assert_string_equal(st->text, buf);
		st = step_at(sc, 2);
		char data[4] = { w, '\0', vs[0], '$' };    /* a NUL survives substitution */
		assert_int_equal(st->args[1].len, 4);
		assert_memory_equal(st->args[1].str, data, 4);
		st = step_at(sc, 3);
		snprintf(buf, sizeof buf, "10.0.0.%d", v);
		assert_v4(&st->args[1].addr, buf, 80 + v);
	}
	case_file_free(&cf);
}

static void test_variant_guards_numeric(void **state)
{
	(void)state;
	/* "9" < "10" as numbers; "011" == 11; strings otherwise */
	struct case_file cf = load_ok("num",
		"vary n = 9, 10, 011\n"
		"vary m = x\n"
		"host a when n < 10\n"
		"host b when n == 11 or m != x\n"
		"host c when n >= 10 and n <= 10\n"
		"host d\n"
		"use fixtures/inner.net when n > 10\n");
	assert_int_equal(cf.n, 3);
	assert_string_equal(cf.sc[0]->id, "t/num[n=9,m=x]");
	assert_string_equal(cf.sc[1]->id, "t/num[n=10,m=x]");
	assert_string_equal(cf.sc[2]->id, "t/num[n=011,m=x]");
	assert_int_equal(cf.sc[0]->nhosts, 2);
	assert_string_equal(cf.sc[0]->hosts[0], "a");
	assert_int_equal(cf.sc[1]->nhosts, 2);
	assert_string_equal(cf.sc[1]->hosts[0], "c");
	assert_int_equal(cf.sc[2]->nhosts, 3);
	assert_string_equal(cf.sc[2]->hosts[0], "b");
	assert_string_equal(cf.sc[2]->hosts[2], "x");
	assert_null(cf.sc[0]->strings);
	case_file_free(&cf);

	/* a fixture sees the case's variants */
	cf = load_ok("fxvar", "vary v = 1, 9\nuse fixtures/varaddr.net\n");
	assert_int_equal(cf.n, 2);
	assert_int_equal(cf.sc[0]->topo.naddrs, 1);
	assert_string_equal(cf.sc[0]->topo.addrs[0].cidr, "10.1.0.1/8");
	assert_string_equal(cf.sc[0]->topo.addrs[0].pos.file, fixture_path("varaddr.net"));
	assert_int_equal(cf.sc[1]->topo.naddrs, 0);
	case_file_free(&cf);
}

static void test_case_ids(void **state)
{
	(void)state;
	static const struct { const char *path, *id; } ids[] = {
		{ "cases/seed/realm-dualstack.case", "seed/realm-dualstack" },
		{ "./cases/seed/x.case", "seed/x" },
		{ "/src/netrepro/cases/bind/v6/any.case", "bind/v6/any" },
		{ "/a/cases/b/cases/c/d.case", "c/d" },
		{ "/tmp/ticket.case", "ticket" },
		{ "ticket.case", "ticket" },
		{ "/tmp/notes.txt", "notes.txt" },
		{ "/home/u/testcases/q.case", "q" },
		{ "/home/u/testcases/sub/q.case", "q" },
	};
	for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
		char buf[256];
		case_id_from_path(ids[i].path, buf, sizeof buf);
		if (strcmp(buf, ids[i].id))
			fail_msg("id of %s: got %s, want %s", ids[i].path, buf, ids[i].id);
	}
	char small[5];
	case_id_from_path("cases/seed/realm.case", small, sizeof small);
	assert_string_equal(small, "seed");

	/* an explicit id_base replaces the one from the path */
	struct case_file cf;
	char err[CASE_ERRLEN] = "";
	write_file(case_path("idb"), "vary x = 1, 2\nvary y = a\n");
	assert_int_equal(case_load(case_path("idb"), "x/y", &cf, err), 0);
	assert_int_equal(cf.n, 2);
	assert_string_equal(cf.sc[0]->id, "x/y[x=1,y=a]");
	assert_string_equal(cf.sc[1]->id, "x/y[x=2,y=a]");
	case_file_free(&cf);
}

static void test_blank_and_odd_files(void **state)
{
	(void)state;
	/* empty, comments only, CRLF, no final newline, tabs */
	struct case_file cf = load_ok("empty", "");
	assert_int_equal(cf.n, 1);
	assert_int_equal(cf.sc[0]->nhosts, 0);
	assert_null(cf.sc[0]->title);
	case_file_free(&cf);
	cf = load_ok("crlf", "# c\r\nhost a\r\non a\r\n\ts = socket(INET, STREAM) = ok\r\n  close(s)");
	assert_int_equal(cf.sc[0]->nsteps, 2);
	assert_int_equal(cf.sc[0]->steps[0].pos.col, 2);
	assert_int_equal(cf.sc[0]->steps[1].pos.line, 5);
	assert_int_equal(cf.sc[0]->steps[0].alts[0].e.kind, EXP_OK);
	case_file_free(&cf);
	/* a second `on` switches host; steps keep theirs */
	cf = load_ok("two-on", "host a b\non a\n  s = socket(INET, STREAM)\non b\n  close(s)\n");
	assert_int_equal(cf.sc[0]->steps[0].host, 0);
	assert_int_equal(cf.sc[0]->steps[1].host, 1);
	case_file_free(&cf);
}

/* ---- errors ---- */

/* The second edition: every socket kind, scope ids, UNSPEC, typed option
 * values both ways, messages, the error queue, predicates, captures of
 * results, check and if over captured numbers. */
static void test_steps_second_edition(void **state)
{
	(void)state;
	const char *text =
		"host a\n"                                                               /* 1 */
		"on a\n"                                                                 /* 2 */
		"  p = socket(INET, DGRAM, ICMP)\n"                                      /* 3 */
		"  r = socket(INET6, RAW, 58, NONBLOCK)\n"                               /* 4 */
		"  q = socket(INET, RAW, 112)\n"                                         /* 5 */
		"  bind(r, [fe80::1%eth0]:0) = EADDRNOTAVAIL\n"                          /* 6 */
		"  connect(r, [fe80::1%3]:0)\n"                                          /* 7 */
		"  connect(p, UNSPEC) = 0\n"                                             /* 8 */
		"  setsockopt(p, IP, IP_MTU_DISCOVER, DO)\n"                             /* 9 */
		"  getsockopt(p, IP, IP_LOCAL_PORT_RANGE) = 40000 40007 or 0x9c479c40\n" /* 10 */
		"  getsockopt(p, SOCKET, SO_ERROR) = ECONNREFUSED\n"                     /* 11 */
		"  sendmsg(p, \"x\", 10.0.0.2:0, from 10.0.0.1, ttl 1, DONTWAIT) = 1\n"  /* 12 */
		"  recvmsg(p, 100, TRUNC) = \"x\" from 10.0.0.2 to 10.0.0.1 dev eth0 ttl 64 len 1400\n" /* 13 */
		"  recverr(p) = EHOSTUNREACH from 10.0.2.1 icmp 11 0\n"                  /* 14 */
		"  n = getsockname(p) = >= 1 when kernel < 6.1 | in 40000..40007\n"     /* 15 */
		"  e = bind(p, 0.0.0.0:0) = not EADDRINUSE or error\n"                   /* 16 */
		"  check n % 2 == 0 and e != EINVAL\n"                                   /* 17 */
		"  if e == 0\n"                                                          /* 18 */
		"    close(p)\n"                                                         /* 19 */
		"  else\n"                                                               /* 20 */
		"    check n in 1..$n\n"                                                 /* 21 */
		"  end\n";                                                               /* 22 */
	struct case_file cf = load_ok("second", text);
	const struct scenario *sc = cf.sc[0];
	const struct step *st = step_at(sc, 0);
	assert_int_equal(st->nargs, 3);
	assert_int_equal(st->args[2].kind, ARG_INT);
	assert_int_equal(st->args[2].i, IPPROTO_ICMP);
	st = step_at(sc, 1);
	assert_int_equal(st->nargs, 4);
	assert_int_equal(st->args[2].i, 58);
	assert_int_equal(st->args[3].kind, ARG_FLAG);
	assert_int_equal(st->args[3].i, SOCK_NONBLOCK);
	st = step_at(sc, 3);
	assert_string_equal(st->args[1].addr.scope, "eth0");
	assert_int_equal(st->args[1].addr.ss.ss_family, AF_INET6);
	st = step_at(sc, 4);
	assert_int_equal(((const struct sockaddr_in6 *)&st->args[1].addr.ss)->sin6_scope_id, 3);
	assert_string_equal(st->args[1].addr.scope, "");
	st = step_at(sc, 5);
	assert_int_equal(st->args[1].addr.ss.ss_family, AF_UNSPEC);
	st = step_at(sc, 6);
	assert_string_equal(st->opt->name, "IP_MTU_DISCOVER");
	assert_int_equal(st->args[2].i, IP_PMTUDISC_DO);
	st = step_at(sc, 7);
	assert_int_equal(st->alts[0].e.kind, EXP_PAIR);
	assert_int_equal(st->alts[0].e.i, 40000);
	assert_int_equal(st->alts[0].e.j, 40007);
	assert_int_equal(st->alts[0].e.or->kind, EXP_PAIR);     /* the packed form, unpacked */
	assert_int_equal(st->alts[0].e.or->i, 40000);
	assert_int_equal(st->alts[0].e.or->j, 40007);
	assert_string_equal(st->alts[0].e.text, "40000 40007 or 0x9c479c40");
	st = step_at(sc, 8);
	assert_int_equal(st->alts[0].e.kind, EXP_ERRNO);
	assert_int_equal(st->alts[0].e.i, ECONNREFUSED);
	st = step_at(sc, 9);
	assert_int_equal(st->nargs, 6);
	assert_int_equal(st->args[2].kind, ARG_ADDR);
	assert_int_equal(st->args[3].kind, ARG_CMSG);
	assert_int_equal(st->args[3].i, CM_FROM);
	assert_int_equal(st->args[4].i, CM_TTL);
	assert_int_equal(st->args[4].val, 1);
	assert_int_equal(st->args[5].kind, ARG_FLAG);
	assert_int_equal(st->args[5].i, MSG_DONTWAIT);
	st = step_at(sc, 10);
	assert_int_equal(st->args[2].kind, ARG_FLAG);
	assert_int_equal(st->args[2].i, MSG_TRUNC);
	const struct expect *e = &st->alts[0].e;
	assert_int_equal(e->kind, EXP_STR);
	assert_int_equal(e->nattrs, 5);
	assert_int_equal(e->attrs[0].key, AT_FROM);
	assert_int_equal(e->attrs[0].with_port, 0);
	assert_int_equal(e->attrs[1].key, AT_TO);
	assert_int_equal(e->attrs[2].key, AT_DEV);
	assert_string_equal(e->attrs[2].name, "eth0");
	assert_int_equal(e->attrs[3].key, AT_TTL);
	assert_int_equal(e->attrs[3].a, 64);
	assert_int_equal(e->attrs[4].key, AT_LEN);
	assert_int_equal(e->attrs[4].a, 1400);
	st = step_at(sc, 11);
	e = &st->alts[0].e;
	assert_int_equal(e->kind, EXP_ERRNO);
	assert_int_equal(e->i, EHOSTUNREACH);
	assert_int_equal(e->nattrs, 2);
	assert_int_equal(e->attrs[1].key, AT_ICMP);
	assert_int_equal(e->attrs[1].a, 11);
	assert_int_equal(e->attrs[1].b, 0);
	st = step_at(sc, 12);
	assert_int_equal(st->nalts, 2);
	assert_int_equal(st->alts[1].e.kind, EXP_RANGE);
	assert_int_equal(st->alts[1].e.i, 40000);
	assert_int_equal(st->alts[1].e.j, 40007);
	assert_int_equal(st->alts[0].e.kind, EXP_CMP);
	assert_int_equal(st->alts[0].e.op, OP_GE);
	assert_non_null(st->alts[0].guard);
	st = step_at(sc, 13);
	assert_int_equal(st->capture, 4);       /* e = bind(...): a number */
	assert_int_equal(sc->vars[4].kind, VAR_INT);
	assert_int_equal(st->alts[0].e.kind, EXP_NOT);
	assert_int_equal(st->alts[0].e.not->kind, EXP_ERRNO);
	assert_int_equal(st->alts[0].e.or->kind, EXP_ERROR);
	st = step_at(sc, 14);
	assert_int_equal(st->kind, STEP_CHECK);
	assert_non_null(st->expr);
	st = step_at(sc, 15);
	assert_int_equal(st->kind, STEP_IF);
	assert_int_equal(st->nbody, 1);
	assert_string_equal(st->body[0].call->name, "close");
	assert_int_equal(st->nels, 1);
	assert_int_equal(st->els[0].kind, STEP_CHECK);
	assert_int_equal(sc->nsteps, 16);
	case_file_free(&cf);
}

/* "text" * N, a scope from a captured index, ifindex(), flags and icmp
 * checks, ICMP6_FILTER's list of types. */
static void test_steps_data_and_scopes(void **state)
{
	(void)state;
	const char *text =
		"host a\n"
		"on a\n"
		"  s = socket(INET6, DGRAM)\n"
		"  i = ifindex(eth0)\n"
		"  bind(s, [fe80::1%$i]:0)\n"
		"  send(s, \"ab\" * 3) = 6\n"
		"  recvmsg(s, 2, TRUNC) = \"xy\" * 1 flags TRUNC\n"
		"  recvfrom(s, 2000) = ok icmp6 1 4 len 61\n"
		"  setsockopt(s, ICMPV6, ICMP6_FILTER, 1, 3, 128)\n";
	struct case_file cf = load_ok("data", text);
	const struct scenario *sc = cf.sc[0];
	const struct step *st = step_at(sc, 1);
	assert_string_equal(st->call->name, "ifindex");
	assert_int_equal(st->args[0].kind, ARG_NAME);
	assert_string_equal(st->args[0].str, "eth0");
	st = step_at(sc, 2);
	assert_int_equal(st->args[1].addr.scope_var, 1);
	st = step_at(sc, 3);
	assert_int_equal(st->args[1].len, 6);
	assert_memory_equal(st->args[1].str, "ababab", 6);
	assert_string_equal(st->text, "send(s, \"ab\" * 3)");
	st = step_at(sc, 4);
	assert_int_equal(st->alts[0].e.kind, EXP_STR);
	assert_int_equal(st->alts[0].e.len, 2);
	assert_int_equal(st->alts[0].e.attrs[0].key, AT_FLAGS);
	assert_int_equal(st->alts[0].e.attrs[0].a, MSG_TRUNC);
	st = step_at(sc, 5);
	assert_int_equal(st->alts[0].e.attrs[0].key, AT_ICMP6);
	assert_int_equal(st->alts[0].e.attrs[0].a, 1);
	assert_int_equal(st->alts[0].e.attrs[0].b, 4);
	st = step_at(sc, 6);
	assert_string_equal(st->opt->name, "ICMP6_FILTER");
	assert_int_equal(st->nargs, 5);
	assert_int_equal(st->args[4].i, 128);
	case_file_free(&cf);
}

#define PRE "host a\non a\n  s = socket(INET, STREAM)\n"   /* errors then on line 4 */

struct err_case { const char *text; int line, col; const char *msg; };

static const struct err_case step_errors[] = {
	/* calls and arguments */
	{ PRE "  frob(s)\n", 4, 3, "unknown call 'frob'" },
	{ PRE "  ) (\n", 4, 3, "expected a step" },
	{ PRE "  \"str\"\n", 4, 3, "got a string" },
	{ PRE "  close s\n", 4, 9, "expected '(' after close" },
	{ PRE "  bind(s, 10.0.0.1:80\n", 4, 7, "unclosed '('" },
	{ PRE "  bind(s 10.0.0.1:80)\n", 4, 10, "expected ',' or ')'" },
	{ PRE "  bind(s, 10.0.0.1:80,)\n", 4, 23, "expected an argument after ','" },
	{ PRE "  bind((s))\n", 4, 8, "unexpected '('" },
	{ PRE "  close(s, s)\n", 4, 12, "too many arguments to close()" },
	{ PRE "  close(s, s, s, s, s, s, s, s, s)\n", 4, 33, "too many arguments" },
	{ PRE "  bind(s)\n", 4, 3, "bind() needs more arguments" },
	{ PRE "  socket(INET)\n", 4, 3, "socket() needs more arguments" },
	{ PRE "  setsockopt(s)\n", 4, 3, "setsockopt() needs more arguments" },
			{ PRE "  s = getsockname(s)\n", 4, 3, "'s' is already a socket" },
	{ PRE "  2x = socket(INET, STREAM)\n", 4, 3, "bad variable name '2x'" },
	{ PRE "  socket(INET, STREAM, BLOCK)\n", 4, 24, "unknown protocol 'BLOCK'" },
	{ PRE "  socket(UNIX, STREAM)\n", 4, 10, "unknown address family 'UNIX'" },
	{ PRE "  socket(INET, BOGUS)\n", 4, 16, "unknown socket type 'BOGUS'" },
	/* the second edition's forms */
	{ PRE "  state(10.0.1.1:1, 10.0.1.2:2 3)\n", 4, 32, "expected ',' or ')' after '10.0.1.2:2'" },
	{ PRE "  getsockopt(s, SO_ERROR garbage)\n", 4, 26, "expected ',' or ')' after the option SO_ERROR" },
	{ PRE "  setsockopt(s, SOCKET junk, SO_REUSEADDR, 1)\n", 4, 24, "expected ',' after the level SOCKET" },
	{ PRE "  setsockopt(s, IP_MULTICAST_IF, eth0, lo)\n", 4, 40, "IP_MULTICAST_IF takes an interface alone" },
	{ PRE "  sendmsg(s, \"x\", tos 4294967295)\n", 4, 23, "tos takes an int, not 4294967295" },
	{ PRE "  sendmsg(s, \"x\", segment 70000)\n", 4, 27, "segment takes 0 to 65535, not 70000" },
	{ PRE "  recv(s, -1)\n", 4, 11, "a size of 0 to 16777216 bytes, not -1" },
	{ PRE "  getsockopt(s, SO_BINDTODEVICE) = 0\n", 4, 36, "SO_BINDTODEVICE gives text" },
	{ PRE "  getsockopt(s, IP_MULTICAST_IF) = 1\n", 4, 36, "IP_MULTICAST_IF gives an address" },
	{ PRE "  bind(s, 0.0.0.0:0) = not not 0\n", 4, 28, "'not not X' is X" },
	{ PRE "  n = getsockname(s)\n  check n = not \"x\"\n", 5, 17, "'check' compares with a number" },
	{ PRE "  send(s, \"x\" * 99999999)\n", 4, 17, "\"...\" * 99999999 is more than 16777216 bytes" },
	{ PRE "  send(s, \"x\" * y)\n", 4, 17, "after a \"string\": * N (a count)" },
	{ PRE "  send(s, \"x\" 3)\n", 4, 15, "after a \"string\": * N" },
	{ PRE "  recv(s) = \"x\" *\n", 4, 17, "after a \"string\": * N" },
	{ PRE "  bind(s, [fe80::1%$nope]:0)\n", 4, 11, "undefined variable '$nope'" },
	{ PRE "  recvmsg(s) = ok flags SOMETIMES\n", 4, 25, "unknown message flag 'SOMETIMES'" },
	{ PRE "  recverr(s) = ok flags TRUNC\n", 4, 19, "recverr() has no 'flags' to check" },
	{ PRE "  ifindex(s, lo)\n", 4, 14, "too many arguments to ifindex()" },
	{ PRE "  in = getsockname(s)\n", 4, 3, "'in' is a word of the language, not a name for a variable" },
	{ PRE "  socket(INET, STREAM, SCTPX)\n", 4, 24, "unknown protocol 'SCTPX'" },
	{ PRE "  socket(INET, RAW, 70000)\n", 4, 21, "bad protocol number '70000'" },
	{ PRE "  bind(s, 10.0.0.1%eth0:80)\n", 4, 11, "a scope id (%eth0) is for IPv6 addresses only" },
	{ PRE "  bind(s, [fe80::1%]:80)\n", 4, 11, "bad scope '%'" },
	{ PRE "  bind(s, UNSPEC)\n", 4, 11, "bad address 'UNSPEC'" },
	{ PRE "  bind(s, 0.0.0.0:0) = >= $s\n", 4, 27, "'s' is a socket, not a number" },
	{ PRE "  check s > 0\n", 4, 9, "'s' is a socket, not a number" },
	{ PRE "  setsockopt(s, SO_REUSEADDR, 1, 2)\n", 4, 34, "SO_REUSEADDR takes N, not more" },
	{ PRE "  getsockopt(s, SO_LINGER) = 1\n", 4, 30, "SO_LINGER gives two numbers: = ON, SECONDS" },
	{ PRE "  getsockopt(s, SO_REUSEADDR) = 1 2\n", 4, 35, "unexpected '2' after the expected result" },
	{ PRE "  getsockopt(s, IP_MTU_DISCOVER) = SOMETIMES\n", 4, 36, "unknown result 'SOMETIMES'" },
	{ PRE "  setsockopt(s, IP_MTU_DISCOVER, SOMETIMES)\n", 4, 34, "expected a number, got 'SOMETIMES'" },
	{ PRE "  getsockopt(s, SO_DOMAIN) = >= INET\n", 4, 33, "expected a number or a $variable, got 'INET'" },
	{ PRE "  recv(s) = \"x\" from 10.0.0.1\n", 4, 17, "recv() has no 'from' to check" },
	{ PRE "  recvfrom(s) = \"x\" ttl 5\n", 4, 21, "recvfrom() has no 'ttl' to check" },
	{ PRE "  recverr(s) = EHOSTUNREACH icmp 11\n", 4, 29, "usage: icmp TYPE CODE" },
	{ PRE "  recverr(s) = EHOSTUNREACH origin MARS\n", 4, 36, "unknown origin 'MARS'" },
	{ PRE "  bind(s, 0.0.0.0:0) = in 1..\n", 4, 27, "expected a range FROM..TO after 'in'" },
	{ PRE "  recv(s) = >= 5\n", 4, 13, "'>=' compares numbers; recv() gives data" },
	{ PRE "  bind(s, 0.0.0.0:0) = in 9..1\n", 4, 27, "empty range '9..1'" },
	{ PRE "  bind(s, 0.0.0.0:0) = not\n", 4, 24, "missing result after 'not'" },
	{ PRE "  sendmsg(s, \"x\", ttl)\n", 4, 19, "usage: ttl VALUE" },
	{ PRE "  sendmsg(s, \"x\", ttl 5 6)\n", 4, 19, "usage: ttl VALUE" },
	{ PRE "  sendmsg(s, \"x\", color 5)\n", 4, 19, "unknown message flag or item 'color'" },
	{ PRE "  recv(s, 10, SLOWLY)\n", 4, 15, "unknown message flag 'SLOWLY'" },
	{ PRE "  sendmsg(s, \"x\", from 10.0.0.1:80)\n", 4, 24, "expected an address without a port" },
	{ PRE "  if\n", 4, 3, "usage: if CONDITION" },
	{ PRE "  if s == 1\n  end\n", 4, 6, "'s' is a socket, not a number" },
	{ PRE "  else\n", 4, 3, "'else' without an open 'if'" },
	{ PRE "  n = getsockname(s)\n  if n == 1\n  else\n  else\n  end\n", 7, 3, "a second 'else' in one 'if'" },
	{ PRE "  n = getsockname(s)\n  if n == 1\n", 5, 3, "'if' block has no matching 'end'" },
	{ PRE "  check p in 1..5\n", 4, 9, "unknown name 'p'" },
	{ "require protocol\nhost a\n", 1, 9, "usage: require protocol NAME" },
	{ "require protocol QUIC\nhost a\n", 1, 18, "usage: require protocol NAME" },
	{ "require nofile lots\nhost a\n", 1, 16, "usage: require nofile N" },
	{ "require nofile 0\nhost a\n", 1, 16, "usage: require nofile N" },
	{ "require nofile\nhost a\n", 1, 9, "usage: require nofile N" },
	{ PRE "  shutdown(s, BOTH)\n", 4, 15, "unknown shutdown direction 'BOTH'" },
	{ PRE "  send(s, hello)\n", 4, 11, "expected a \"string\"" },
	{ PRE "  listen(s, s)\n", 4, 13, "expected a number, got 's'" },
	{ PRE "  listen(s, 99999999999)\n", 4, 13, "expected a number" },
	{ PRE "  listen(s, 0x)\n", 4, 13, "expected a number, got '0x'" },
	{ PRE "  listen(s, 1e3)\n", 4, 13, "expected a number, got '1e3'" },
	{ PRE "  listen(s, 0x1g)\n", 4, 13, "expected a number, got '0x1g'" },
	{ PRE "  listen(s, -)\n", 4, 13, "expected a number, got '-'" },
	{ PRE "  listen(s, +-1)\n", 4, 13, "expected a number, got '+-1'" },
	{ PRE "  bind(q, 10.0.0.1:80)\n", 4, 8, "undefined socket 'q'" },
	{ PRE "  n = getsockname(s)\n  close(n)\n", 5, 9, "'n' is a number, not a socket" },
	/* addresses and ports */
	{ PRE "  bind(s, 300.1.1.1:80)\n", 4, 11, "bad address '300.1.1.1:80'" },
	{ PRE "  bind(s, [::1)\n", 4, 11, "bad address '[::1'" },
	{ PRE "  bind(s, [::g]:80)\n", 4, 11, "bad address '[::g]:80'" },
	{ PRE "  bind(s, 10.0.0.1)\n", 4, 11, "address '10.0.0.1' needs a port" },
	{ PRE "  bind(s, [::1])\n", 4, 11, "needs a port" },
	{ PRE "  bind(s, ::1)\n", 4, 11, "needs a port" },
	{ PRE "  bind(s, [::1]:)\n", 4, 11, "bad port in '[::1]:'" },
	{ PRE "  bind(s, [::1]80)\n", 4, 11, "bad port in '[::1]80'" },
	{ PRE "  bind(s, 10.0.0.1:65536)\n", 4, 11, "bad port in '10.0.0.1:65536'" },
	{ PRE "  bind(s, 10.0.0.1:-1)\n", 4, 11, "bad port" },
	{ PRE "  bind(s, 10.0.0.1:http)\n", 4, 11, "bad port in '10.0.0.1:http'" },
	{ PRE "  bind(s, \"10.0.0.1:80\")\n", 4, 11, "expected an address" },
	/* variables */
	{ PRE "  listen(s, $nope)\n", 4, 13, "undefined variable '$nope'" },
	{ PRE "  bind(s, 10.0.0.1:$p)\n", 4, 11, "undefined variable '$p'" },
	{ PRE "  bind(s, 10.0.0.1:$s)\n", 4, 11, "undefined variable '$s'" },
	{ PRE "  listen(s) = $nope\n", 4, 15, "undefined variable '$nope'" },
	{ PRE "  check z = 1\n", 4, 9, "undefined variable 'z'" },
	{ PRE "  check s = 1\n", 4, 9, "'s' is a socket, not a number" },
	{ PRE "  check\n", 4, 3, "usage: check CONDITION | check VARIABLE = EXPECTED" },
	{ PRE "  n = getsockname(s)\n  check n = ok\n", 5, 13, "'check' compares with a number, an errno, a $variable or a predicate, not 'ok'" },
	{ PRE "  n = getsockname(s)\n  check n = 1 when kernel < 6.1 | TIMEOUT\n", 5, 35,
	  "'check' compares with a number, an errno, a $variable or a predicate, not 'TIMEOUT'" },
	{ PRE "  n = getsockname(s)\n  check n = TIMEOUT\n", 5, 13, "'check' compares with" },
	{ PRE "  n = getsockname(s)\n  check n 8\n", 5, 11, "unexpected '8' after the condition" },
	{ PRE "  n = getsockname(s)\n  check n 8 9\n", 5, 11, "unexpected '8' after the condition" },
	/* socket options */
	{ PRE "  setsockopt(s, SOCKET, SO_FOO, 1)\n", 4, 25, "unknown socket option 'SO_FOO'" },
	{ PRE "  setsockopt(s, \"SO_REUSEADDR\", 1)\n", 4, 17, "unknown socket option" },
	{ PRE "  setsockopt(s, IP, IPV6_V6ONLY, 1)\n", 4, 21,
	  "IPV6_V6ONLY is not an option of level IP (it is IPV6)" },
	{ PRE "  setsockopt(s, TCP, SO_REUSEADDR, 1)\n", 4, 22,
	  "SO_REUSEADDR is not an option of level TCP (it is SOCKET)" },
	{ PRE "  setsockopt(s, SOCKET)\n", 4, 17, "missing option name" },
	{ PRE "  setsockopt(s, SO_REUSEADDR)\n", 4, 17, "SO_REUSEADDR needs a value: N" },
	{ PRE "  setsockopt(s, SO_LINGER, 1)\n", 4, 17, "SO_LINGER needs a value: ON, SECONDS" },
	{ PRE "  setsockopt(s, SO_REUSEADDR, 1, 2)\n", 4, 34, "SO_REUSEADDR takes N, not more" },
	{ PRE "  setsockopt(s, SO_REUSEADDR, yes)\n", 4, 31, "expected a number, got 'yes'" },
	{ PRE "  getsockopt(s, IP_ADD_MEMBERSHIP)\n", 4, 17, "IP_ADD_MEMBERSHIP cannot be read with getsockopt" },
	{ PRE "  setsockopt(s, IP_ADD_MEMBERSHIP, ff02::1, 0.0.0.0)\n", 4, 36,
	  "IP_ADD_MEMBERSHIP wants IPv4 addresses" },
	{ PRE "  setsockopt(s, IP_ADD_MEMBERSHIP, 224.0.0.1, ::1)\n", 4, 47,
	  "IP_ADD_MEMBERSHIP wants IPv4 addresses" },
	{ PRE "  setsockopt(s, IP_MULTICAST_IF, ::1)\n", 4, 34, "IP_MULTICAST_IF wants IPv4 addresses" },
	{ PRE "  setsockopt(s, IPV6_JOIN_GROUP, 224.0.0.1, 1)\n", 4, 34,
	  "IPV6_JOIN_GROUP wants IPv6 addresses" },
	{ PRE "  setsockopt(s, IPV6_JOIN_GROUP, ff02::1, \"lo\")\n", 4, 43,
	  "expected an interface name or index" },
	{ PRE "  setsockopt(s, IP_MULTICAST_IF, 10.0.0.1:80)\n", 4, 34,
	  "expected an address without a port, got '10.0.0.1:80'" },
	{ PRE "  setsockopt(s, IP_MULTICAST_IF, [::1]:80)\n", 4, 34,
	  "expected an address without a port" },
	/* expectations */
	{ PRE "  bind(s, 10.0.0.1:80) = EFOO\n", 4, 26, "unknown errno 'EFOO'" },
	{ PRE "  bind(s, 10.0.0.1:80) = banana\n", 4, 26, "unknown result 'banana'" },
	{ PRE "  bind(s, 10.0.0.1:80) = eaddrinuse\n", 4, 26, "unknown result 'eaddrinuse'" },
	{ PRE "  bind(s, 10.0.0.1:80) = (\n", 4, 26, "expected a result" },
	{ PRE "  bind(s, 10.0.0.1:80) =\n", 4, 24, "missing expected result" },
	{ PRE "  bind(s, 10.0.0.1:80) 0\n", 4, 24, "unexpected '0' (an expectation starts with '=')" },
	{ PRE "  bind(s, 10.0.0.1:80) = 0 EACCES\n", 4, 28, "unexpected 'EACCES' after the expected result" },
	{ PRE "  bind(s, 10.0.0.1:80) = !0\n", 4, 26, "unexpected '!'" },
	{ PRE "  send(s, \"x\") = \"x\"\n", 4, 18, "only recv(), recvfrom(), recvmsg(), exec, sysctl() and text options expect \"data\"" },
	{ PRE "  state(s) = BOGUS\n", 4, 14, "unknown TCP state 'BOGUS'" },
	{ PRE "  state(s) = WAIT\n", 4, 14, "unknown TCP state 'WAIT'" },
	{ PRE "  state(s) = EADDRINUSE\n", 4, 14, "unknown TCP state 'EADDRINUSE'" },
	{ PRE "  state(10.0.0.1:80, 10.0.0.2:1, 10.0.0.3:1)\n", 4, 34, "too many arguments to state()" },
	/* guards and alternatives */
	{ PRE "  bind(s, 10.0.0.1:80) = 0 when foo == 1\n", 4, 33, "unknown condition subject 'foo'" },
	{ PRE "  bind(s, 10.0.0.1:80) = 0 when kernel >= 6.x\n", 4, 43, "bad kernel version '6.x'" },
	{ PRE "  bind(s, 10.0.0.1:80) = 0 when kernel >= 6.1-rc1\n", 4, 43, "bad kernel version '6.1-rc1'" },
	{ PRE "  bind(s, 10.0.0.1:80) = 0 when platform == bsd\n", 4, 45, "platform compares with == or !=" },
	{ PRE "  bind(s, 10.0.0.1:80) = 0 when\n", 4, 28, "incomplete condition" },
	/* an error after a whole term of the guard (once a double free) */
	{ PRE "  bind(s, 10.0.0.1:80) = 0 when kernel >= 6.1 or kernel < 6.x | 1\n", 4, 59,
	  "bad kernel version '6.x'" },
	{ PRE "  bind(s, 10.0.0.1:80) = 0 when kernel >= 6.1 and kernel < 6.x\n", 4, 60,
	  "bad kernel version '6.x'" },
	{ PRE "  bind(s, 10.0.0.1:80) = 0 when kernel >= 6.1 or platform == linux and kernel\n", 4, 72,
	  "incomplete condition" },
	{ "require kernel >= 6.1 or kernel < x\n", 1, 35, "bad kernel version 'x'" },
	{ "host a when kernel == 6.1 or q == 1\n", 1, 30, "unknown condition subject 'q'" },
	{ PRE "  bind(s, 10.0.0.1:80) = 0 when kernel == 6.1 kernel\n", 4, 47, "unexpected 'kernel' in condition" },
	{ PRE "  bind(s, 10.0.0.1:80) = 0 | EADDRINUSE\n", 4, 28, "an alternative without 'when' must come last" },
	{ PRE "  bind(s, 10.0.0.1:80) = 0 when kernel < 6.1 | 0 | EACCES\n", 4, 50,
	  "an alternative without 'when' must come last" },
	{ PRE "  bind(s, 10.0.0.1:80) = 0 when kernel < 6.1 |\n", 4, 46, "missing expected result" },
	/* answers joined with or */
	{ PRE "  bind(s, 10.0.0.1:80) = 0 or\n", 4, 28, "missing expected result after 'or'" },
	{ PRE "  bind(s, 10.0.0.1:80) = 0 or EFOO\n", 4, 31, "unknown errno 'EFOO'" },
	{ PRE "  bind(s, 10.0.0.1:80) = 0 or when kernel < 6.1\n", 4, 31, "unknown result 'when'" },
	{ PRE "  state(s) = TIME_WAIT or EBADF\n", 4, 27, "unknown TCP state 'EBADF'" },
	{ PRE "  n = repeat until error\n    close(s)\n  end = EBADF or ok\n", 6, 7,
	  "'repeat until error' ends with an errno (or 0: no error)" },
	/* lines continued with '\\': errors name the physical line and column */
	{ PRE "  bind(s, 10.0.0.1:80) = 0 when \\\n      foo == 1\n", 5, 7,
	  "unknown condition subject 'foo'" },
	{ PRE "  bind(s, 10.0.0.1:80) = 0 when kernel < 6.1 \\\n    | EPERM when kernel < 6.2 \\\n    | EFOO\n", 6, 7,
	  "unknown errno 'EFOO'" },
	{ PRE "  setsockopt(s, IP_ADD_MEMBERSHIP, 224.0.0.1, \\\n             ::1)\n", 5, 14,
	  "IP_ADD_MEMBERSHIP wants IPv4 addresses" },
	{ PRE "  close(s) \\", 4, 12, "'\\' continues the last line of the file" },
	{ PRE "  close(s) \\\n", 4, 12, "'\\' continues the last line of the file" },
	{ PRE "  send(s, \"a \\\n", 4, 11, "unterminated string" },
	{ PRE "  repeat 2 \\\n\n    close(s)\n", 4, 3, "'repeat' block has no matching 'end'" },
	{ PRE "  close(s)\n  repeat 2 \\\n  \\\n\n  end\n  frob(s)\n", 9, 3, "unknown call 'frob'" },
	/* blocks */
	{ PRE "  end\n", 4, 3, "'end' without an open block" },
	{ PRE "  repeat 3\n    close(s)\n", 4, 3, "'repeat' block has no matching 'end'" },
	{ PRE "  for p in 1..3\n    repeat 2\n    end\n", 4, 3, "'for' block has no matching 'end'" },
	{ PRE "  repeat 2\n    for p in 1..3\n  end\n", 4, 3, "'repeat' block has no matching 'end'" },
	{ PRE "  repeat 2\n    for p in 1..3\n    end\n  end\n  end\n", 8, 3, "'end' without an open block" },
	{ PRE "  n = repeat until error\n", 4, 7, "'repeat' block has no matching 'end'" },
	{ PRE "  repeat 2\n  end = 0\n", 5, 7, "only 'repeat until error' takes an expected result" },
	{ PRE "  repeat until error\n  end = ok\n", 5, 7, "'repeat until error' ends with an errno" },
	{ PRE "  repeat until error\n  end = \"x\"\n", 5, 9, "only recv(), recvfrom(), recvmsg(), exec, sysctl() and text options expect \"data\"" },
	{ PRE "  repeat x\n", 4, 3, "usage: repeat N" },
	{ PRE "  repeat -1\n", 4, 3, "usage: repeat N" },
	{ PRE "  repeat until done\n", 4, 3, "usage: [COUNT =] repeat until error [max N]" },
	{ PRE "  repeat until error max 0\n", 4, 3, "usage: [COUNT =] repeat until error" },
	{ PRE "  repeat until error max\n", 4, 3, "usage: [COUNT =] repeat until error" },
	{ PRE "  x = repeat 3\n", 4, 7, "only 'repeat until error' gives a count to capture" },
	{ PRE "  for p in 5..x\n", 4, 12, "bad range '5..x'" },
	{ PRE "  for p in 1-5\n", 4, 3, "usage: for NAME in FROM..TO" },
	{ PRE "  for s in 1..5\n", 4, 7, "'s' is already a socket" },
	{ PRE "  repeat 2\n  on a\n  end\n", 5, 3, "'on' inside a block" },
	{ PRE "  repeat 2\nhost b\nend\n", 5, 1, "'host' after the first 'on'" },
	{ PRE "use fixtures/pair.net\n", 4, 1, "'use' after the first 'on'" },
	{ PRE "  link del a:eth0 b:eth0\n", 4, 3, "usage: link del HOST:IF" },
	{ "host a\nlink del a:eth0\n", 2, 6, "'link del' is a step: write it under 'on HOST'" },
	{ "host a\nwait a:lo dad\n", 2, 1, "'wait' is a step: write it under 'on HOST'" },
	{ PRE "  wait a:lo done\n", 4, 3, "usage: wait HOST:IF dad" },
	{ PRE "  packets(a:lo, \"udp\")\n", 4, 11, "nothing captures a:lo: add 'capture a:lo'" },
	{ PRE "  packets(a, \"tcp[\")\n", 4, 14, "bad packet filter \"tcp[\"" },
	{ PRE "  packets(z:lo, \"udp\")\n", 4, 11, "unknown host 'z'" },
	{ PRE "  netem a:lo delay 5\n", 4, 20, "bad delay '5' (a time" },
	{ PRE "  netem a:lo loss 101%\n", 4, 19, "bad loss '101%'" },
	{ PRE "  netem a:lo delay nanms\n", 4, 20, "bad delay 'nanms'" },
	{ PRE "  netem a:lo jitter 5ms\n", 4, 14, "jitter needs a delay" },
	{ PRE "  netem a:lo rate fast\n", 4, 19, "bad rate 'fast'" },
	{ PRE "  netem a:lo delay 1ms delay 2ms\n", 4, 24, "'delay' twice" },
	{ PRE "  netem a:lo bogus 1\n", 4, 14, "unknown netem setting 'bogus'" },
	{ "host a\ncapture a:lo\ncapture a:lo\n", 3, 9, "a second capture of a:lo" },
	{ PRE "  capture a:eth9\n", 4, 11, "host a has no interface 'eth9'" },
	/* known kernel bugs */
	{ PRE "  bind(s, 0.0.0.0:1) = 0 bug \"https://fix\" when kernel < 6.1\n", 4, 24, "a 'bug' answer needs the correct answer" },
	{ PRE "  bind(s, 0.0.0.0:1) = 0 bug https://fix | EADDRINUSE\n", 4, 26, "usage: ANSWER bug \"FIX" },
	{ PRE "  bind(s, 0.0.0.0:1) = 0 bug \"\" | EADDRINUSE\n", 4, 26, "usage: ANSWER bug \"FIX" },
	{ PRE "  n = getsockname(s)\n  check n = 0 bug \"x\" | 1\n", 5, 15, "'bug' marks a kernel's answer to a call" },
	/* a topology step's expectation starts at its first '=' (a sysctl's second) */
	{ PRE "  addr a:lo 10.0.0.1/8 = EEXIST or\n", 4, 33, "missing expected result after 'or'" },
	{ PRE "  sysctl a net.ipv4.ip_forward = 1 = ok or\n", 4, 41, "missing expected result after 'or'" },
	{ PRE "  repeat 1\n  repeat 1\n  repeat 1\n  repeat 1\n  repeat 1\n  repeat 1\n"
	  "  repeat 1\n  repeat 1\n  repeat 1\n", 12, 3, "blocks nested too deeply" },
	/* lexing */
	{ PRE "  send(s, \"a\\qb\")\n", 4, 13, "unknown escape '\\q' in string" },
	{ PRE "  send(s, \"abc)\n", 4, 11, "unterminated string" },
	{ PRE "  send(s, \"ab\\x4\")\n", 4, 14, "'\\x' wants two hex digits" },
	{ PRE "  send(s, \"ab\\x\n", 4, 14, "'\\x' wants two hex digits" },
	{ PRE "  send(s, \"ab\\\n", 4, 11, "unterminated string" },
};

static void test_step_errors(void **state)
{
	(void)state;
	int bad = 0;
	for (size_t i = 0; i < sizeof step_errors / sizeof *step_errors; i++) {
		char name[32];
		snprintf(name, sizeof name, "step-err-%zu", i);
		bad += check_error(name, step_errors[i].text, NULL, step_errors[i].line,
				   step_errors[i].col, step_errors[i].msg) != 0;
	}
	assert_int_equal(bad, 0);
}

static const struct err_case top_errors[] = {
	/* hosts and `on` */
	{ "hello world\n", 1, 1, "'hello' before any 'on HOST'" },
	{ "host a\n  s = socket(INET, STREAM)\n", 2, 3, "'s' before any 'on HOST'" },
	{ "host a\non b\n", 2, 4, "unknown host 'b'" },
	{ "host a\non a b\n", 2, 1, "usage: on HOST" },
	{ "host a\nhost a\n", 2, 6, "host 'a' declared twice" },
	{ "host a b a\n", 1, 10, "host 'a' declared twice" },
	{ "host A\n", 1, 6, "bad host name 'A'" },
	{ "host\n", 1, 1, "'host' needs a name" },
	/* links, addresses, settings */
	{ "host a\nlink a:eth0 b:eth0\n", 2, 13, "unknown host 'b'" },
	{ "host a\nlink a:eth0 a:eth0\n", 2, 13, "a link needs two different ends" },
	{ "host a\nlink a:eth0\n", 2, 1, "usage: link HOST:IF HOST:IF" },
	{ "host a\nlink a:eth0 a:\n", 2, 13, "expected HOST:INTERFACE, got 'a:'" },
	{ "host a\nlink a:eth0 a:abcdefghijklmnop\n", 2, 13, "expected HOST:INTERFACE" },
	{ "host a\nlink a:eth0 a:e/1\n", 2, 13, "expected HOST:INTERFACE, got 'a:e/1'" },
	{ "host a\nlink a:eth0 a:e:1\n", 2, 13, "expected HOST:INTERFACE, got 'a:e:1'" },
	{ "host a\nlink a:.. a:eth0\n", 2, 6, "expected HOST:INTERFACE, got 'a:..'" },
	{ "host a\naddr b:eth0 10.0.0.1/24\n", 2, 6, "unknown host 'b'" },
	{ "host a\naddr a 10.0.0.1/24\n", 2, 6, "expected HOST:INTERFACE, got 'a'" },
	{ "host a\naddr a:eth0 10.0.0.1/33\n", 2, 13, "bad address '10.0.0.1/33' (want ADDRESS/PREFIX)" },
	{ "host a\naddr a:eth0 10.0.0.1\n", 2, 13, "bad address '10.0.0.1'" },
	{ "host a\naddr a:eth0 10.0.0.1/24 fd00::1/129 dad\n", 2, 25, "bad address 'fd00::1/129'" },
	{ "host a\naddr a:eth0 10.0.0.256/24\n", 2, 13, "bad address" },
	{ "host a\naddr a:eth0 10.0.0.1/x\n", 2, 13, "bad address" },
	{ "host a\naddr a:eth0 10.0.0.1/0x10\n", 2, 13, "bad address '10.0.0.1/0x10'" },
	{ "host a\naddr a:eth0 10.0.0.1/+8\n", 2, 13, "bad address" },
	{ "host a\naddr a:eth0 10.0.0.1/\n", 2, 13, "bad address" },
	{ "host a\naddr a:eth0 dad\n", 2, 13, "'addr' needs at least one ADDRESS/PREFIX" },
	{ "host a\naddr a:eth0\n", 2, 1, "usage: addr" },
	{ "host a\nset a:eth0 mtu 10\n", 2, 16, "bad value for 'mtu'" },
	{ "host a\nset a:eth0 mtu\n", 2, 12, "bad value for 'mtu'" },
	{ "host a\nset a:eth0 sideways\n", 2, 12, "unknown link setting 'sideways'" },
	{ "host a\nset a:eth0 multicast maybe\n", 2, 22, "bad value for 'multicast'" },
	{ "host a\nset b:eth0 up\n", 2, 5, "unknown host 'b'" },
	/* routes */
	{ "host a\nroute a nowhere dev lo\n", 2, 9, "bad route destination 'nowhere'" },
	{ "host a\nroute a 10.0.0.0/40 dev lo\n", 2, 9, "bad route destination '10.0.0.0/40'" },
	{ "host a\nroute a default via 1.2.3\n", 2, 21, "bad gateway address '1.2.3'" },
	{ "host a\nroute a default\n", 2, 1, "usage: route" },
	{ "host a\nroute a default via\n", 2, 1, "usage: route" },
	{ "host a\nroute a default gw 1.2.3.4\n", 2, 17, "unknown route option 'gw'" },
	{ "host a\nroute b default dev lo\n", 2, 7, "unknown host 'b'" },
	/* sysctls */
	{ "host a\nsysctl a kernel.pid_max = 5\n", 2, 10, "bad sysctl 'kernel.pid_max' (only net.*" },
	{ "host a\nsysctl a net.ipv4..x = 5\n", 2, 10, "bad sysctl 'net.ipv4..x'" },
	{ "host a\nsysctl a net.ipv4/../../kernel/x = 5\n", 2, 10, "bad sysctl" },
	{ "host a\nsysctl a net.ipv4.x 5\n", 2, 1, "usage: sysctl HOST net.NAME = VALUE" },
	{ "host a\nsysctl b net.ipv4.x = 5\n", 2, 8, "unknown host 'b'" },
	{ "host a\nsysctl a net.ipv4.x = 1 (2)\n", 2, 25, "unexpected '(' in a sysctl value" },
	{ "host a\nsysctl a net.ipv4.x = \"1\" 2\n", 2, 23, "a quoted sysctl value must be the whole value" },
	{ "host a\nsysctl a net.ipv4.x = \"1\\0\"\n", 2, 23, "a sysctl value cannot hold a NUL byte" },
	/* requirements */
	{ "require magic\n", 1, 9, "unknown requirement 'magic'" },
	{ "require\n", 1, 1, "usage: require" },
	{ "require kernel >= banana\n", 1, 19, "bad kernel version 'banana'" },
	{ "require kernel >= 6.1 root\n", 1, 23, "unexpected 'root' after the condition" },
	{ "require kernel\n", 1, 9, "incomplete condition" },
	{ "require root now\n", 1, 14, "unexpected 'now' after 'require root'" },
	{ "require ipv6 6\n", 1, 14, "unexpected '6' after 'require ipv6'" },
	{ "require sysctl kernel.x\n", 1, 16, "usage: require sysctl net.NAME" },
	{ "require sysctl\n", 1, 9, "usage: require sysctl net.NAME" },
	/* `use` */
	{ "use fixtures/nope.net\n", 1, 5, "cannot find fixture 'fixtures/nope.net'" },
	{ "use\n", 1, 1, "usage: use FIXTURE-FILE" },
	{ "use fixtures/inner.net fixtures/inner.net\n", 1, 1, "usage: use FIXTURE-FILE" },
	/* vary */
	{ "vary v =\n", 1, 1, "usage: vary NAME = VALUE, VALUE..." },
	{ "vary v 1, 2\n", 1, 1, "usage: vary NAME = VALUE, VALUE..." },
	{ "vary v = 1, 1\n", 1, 13, "value '1' given twice" },
	{ "vary v = 1\nvary v = 2\n", 2, 6, "'v' is varied twice" },
	{ "vary v = 1, 2,\n", 1, 14, "a value must follow ','" },
	{ "vary v = 1 2\n", 1, 12, "expected ',' between values" },
	{ "vary v = 1,,2\n", 1, 12, "bad value for 'v'" },
	{ "vary v = \"1\"\n", 1, 10, "bad value for 'v'" },
	{ "vary v = a[1]\n", 1, 10, "bad value for 'v'" },
	{ "vary V = 1\n", 1, 6, "bad variant name 'V'" },
	{ "vary a=1\nvary b=1\nvary c=1\nvary d=1\nvary e=1\nvary f=1\nvary g=1\nvary h=1\nvary i=1\n",
	  9, 1, "too many 'vary' lines" },
	/* header */
	{ "title \"abc\n", 1, 7, "unterminated string" },
	{ "vary v = 0, 1\nhost a\non a when v == 2\n  s = socket(INET, DGRAM)\n", 3, 1, "no variant runs this section" },
	{ "vary v = 0, 1\nhost a\non a\n  repeat 2\non a when v == 1\n", 5, 1, "'on' inside a block" },
	{ "host a b c\nlink a:eth0 b:eth0\nlink a:eth0 c:eth0\n", 3, 1, "host a already has an interface 'eth0'" },
	{ "host a b\nlink a:lo b:eth0\n", 2, 1, "host a already has an interface 'lo'" },
	{ "host a b c\nbridge sw a:eth0 b:eth0\nlink c:eth0 sw:p1\n", 3, 1, "host sw already has an interface 'p1'" },
	{ "host a\nsysctl a net.ipv4.conf.eth9.forwarding = 1\n", 2, 10, "host a has no interface 'eth9'" },
	{ "host a\non a when kernel >= 6.1\n", 2, 6, "may only test 'vary' values" },
	{ "host a\non a\n  exec ss -tan\n", 3, 3, "usage: exec -- PROGRAM" },
	{ "host a\non a\n  exec(ss)\n", 3, 3, "usage: exec -- PROGRAM" },
	{ "host a\non a\n  exec -- ss = TIME_WAIT\n", 3, 16, "unknown result 'TIME_WAIT'" },
	{ "host a b\nbridge sw a:eth0\n", 2, 1, "usage: bridge NAME HOST:IF HOST:IF" },
	{ "host a b\nbridge a a:eth0 b:eth0\n", 2, 8, "host 'a' declared twice" },
	{ "host a b\nbridge sw a:eth0 x:eth0\n", 2, 18, "unknown host 'x'" },
	{ "host a b\nbridge sw a:eth0 b:eth0\nset sw:br1 down\n", 3, 12, "host sw has no interface 'br1'" },
	{ "host a b\nlink a:eth0 b:eth0\naddr a:eht0 10.0.2.1/24\n", 3, 13, "host a has no interface 'eht0'" },
	{ "host a\nroute a default dev eth0\n", 2, 1, "host a has no interface 'eth0'" },
	{ "host a\non a\n  for p in 9..3\n  end\n", 3, 12, "empty range '9..3'" },
	{ "title \"a\\nok 2 forged\"\n", 1, 7, "a title is one line of text" },
	{ "# caf\xe9\n", 1, 6, "bytes that are not UTF-8 (0xe9)" },
	{ "host a\x01\n", 1, 7, "control character 0x01" },
	{ "title abc\n", 1, 1, "usage: title \"TEXT\"" },
	{ "title \"a\" \"b\"\n", 1, 1, "usage: title \"TEXT\"" },
	{ "title \"a\"\ntitle \"b\"\n", 2, 1, "a second title" },
	{ "ref https://x y\n", 1, 15, "usage: ref URL-OR-\"TEXT\"" },
	{ "ref \"a\" b\n", 1, 1, "usage: ref" },
	{ "ref\n", 1, 1, "usage: ref" },
	/* topology `when` and variables */
	{ "vary v = 1\nhost a when kernel >= 6.1\n", 2, 8, "a topology line's 'when' may only test 'vary' values" },
	{ "vary v = 1\nhost a when v == 1 x\n", 2, 20, "unexpected 'x' after the condition" },
	{ "host a when w == 1\n", 1, 13, "unknown condition subject 'w'" },
	{ "host a\nsysctl a net.ipv4.x = $nope\n", 2, 23, "undefined variable '$nope'" },
	{ "host a\naddr a:lo 10.0.$n.1/24\n", 2, 11, "undefined variable '$n'" },
	{ "use fixtures/varaddr.net\n", 2, 11, "undefined variable '$v'" },   /* line 2 of the fixture */
	{ "vary v = 1\nhost a\non a\n  v = socket(INET, STREAM)\n", 4, 3,
	  "'v' is a 'vary' name: $v would mean its value" },
	{ "vary p = 1\nhost a\non a\n  for p in 1..2\n", 4, 7, "'p' is a 'vary' name" },
	/* a value that only one variant makes bad */
	{ "vary v = 1, 99999\nhost a\non a\n  s = socket(INET, STREAM)\n  bind(s, 127.0.0.1:$v)\n",
	  5, 11, "bad port in '127.0.0.1:99999'" },
	{ "vary v = 1, x\nhost a\non a\n  s = socket(INET, STREAM)\n  listen(s, $v)\n",
	  5, 13, "expected a number, got 'x'" },
	/* a comment does not end a word: the line is still wrong */
	{ "host a\non a\n  frob() # bind(s)\n", 3, 3, "unknown call 'frob'" },
};

static void test_top_errors(void **state)
{
	(void)state;
	int bad = 0;
	for (size_t i = 0; i < sizeof top_errors / sizeof *top_errors; i++) {
		char name[32];
		snprintf(name, sizeof name, "top-err-%zu", i);
		const char *file = NULL;
		if (strstr(top_errors[i].text, "varaddr"))
			file = fixture_path("varaddr.net");
		bad += check_error(name, top_errors[i].text, file, top_errors[i].line,
				   top_errors[i].col, top_errors[i].msg) != 0;
	}
	assert_int_equal(bad, 0);
}

static void test_fixture_errors(void **state)
{
	(void)state;
	char fx[PATH_MAX];
	/* unknown statement on line 3 of the fixture, used from line 2 */
	snprintf(fx, sizeof fx, "%s", fixture_path("bad.net"));
	expect_error_in("fx1", "# the fixture is wrong\nuse fixtures/bad.net\n", fx, 3, 1,
			"unknown topology statement 'frob'");
	snprintf(fx, sizeof fx, "%s", fixture_path("badlink.net"));
	expect_error_in("fx2", "use fixtures/badlink.net\n", fx, 2, 13, "unknown host 'zz'");
	snprintf(fx, sizeof fx, "%s", fixture_path("loop.net"));
	expect_error_in("fx3", "use fixtures/loop.net\n", fx, 1, 5, "'use' nested too deeply");
	snprintf(fx, sizeof fx, "%s", fixture_path("steps.net"));
	expect_error_in("fx4", "use fixtures/steps.net\n", fx, 2, 1, "'on' belongs in a case, not a fixture");
	snprintf(fx, sizeof fx, "%s", fixture_path("title.net"));
	expect_error_in("fx5", "use fixtures/title.net\n", fx, 1, 1, "'title' belongs in a case, not a fixture");
	snprintf(fx, sizeof fx, "%s", fixture_path("vary.net"));
	expect_error_in("fx6", "use fixtures/vary.net\n", fx, 1, 1, "'vary' belongs in a case, not a fixture");
	/* the case declares a host the fixture declares again */
	snprintf(fx, sizeof fx, "%s", fixture_path("two.net"));
	expect_error_in("fx7", "host a\nuse fixtures/two.net\n", fx, 2, 6, "host 'a' declared twice");
	/* an error after a fixture is the case's again, at the case's line */
	expect_error("fx8", "use fixtures/inner.net\n\nhost y\nlink x:e0 q:e0\n", 4, 11, "unknown host 'q'");
	/* nested: the innermost file that is wrong */
	write_file(fixture_path("mid.net"), "host m\nuse fixtures/badlink.net\n");
	snprintf(fx, sizeof fx, "%s", fixture_path("badlink.net"));
	expect_error_in("fx9", "use fixtures/mid.net\n", fx, 2, 13, "unknown host 'zz'");
}

static void test_too_many(void **state)
{
	(void)state;
	/* 9 alternatives: the 9th is reported */
	char text[2048] = PRE "  listen(s)";
	for (int i = 0; i < 8; i++)
		strcat(text, i ? " | 1 when platform == wsl1" : " = 1 when platform == wsl1");
	strcat(text, " | 7\n");
	const char *line4 = strstr(text, "  listen");
	int col = (int)(strrchr(line4, '7') - line4) + 1;
	expect_error("alts9", text, 4, col, "too many alternatives");

	/* 17 hosts */
	char hosts[256] = "host";
	for (int i = 0; i < 17; i++)
		snprintf(hosts + strlen(hosts), sizeof hosts - strlen(hosts), " h%d", i);
	strcat(hosts, "\n");
	col = (int)(strstr(hosts, "h16") - hosts) + 1;
	expect_error("hosts17", hosts, 1, col, "too many hosts (16 at most)");

	/* 33 × 33 variants */
	char vary[1024] = "vary a = 0";
	for (int i = 1; i < 33; i++)
		snprintf(vary + strlen(vary), sizeof vary - strlen(vary), ", %d", i);
	char twice[2048];
	snprintf(twice, sizeof twice, "%s\n%s\n", vary, vary);
	twice[strlen(vary) + 6] = 'b';   /* "vary b = ..." on line 2 */
	expect_error("variants", twice, 2, 1, "more than 1024 variants");
	/* 32 × 32 = 1024 is allowed */
	char ok[2048];
	vary[strlen(vary) - 4] = '\0';   /* drop ", 32" */
	snprintf(ok, sizeof ok, "%s\n%s\n", vary, vary);
	ok[strlen(vary) + 6] = 'b';
	struct case_file cf = load_ok("variants-ok", ok);
	assert_int_equal(cf.n, 1024);
	assert_string_equal(cf.sc[1023]->id, "t/variants-ok[a=31,b=31]");
	assert_string_equal(cf.sc[33]->id, "t/variants-ok[a=1,b=1]");
	case_file_free(&cf);
}

static void test_unreadable(void **state)
{
	(void)state;
	struct case_file cf;
	char err[CASE_ERRLEN], want[PATH_MAX + 32];
	const char *missing = case_path("does-not-exist");
	assert_int_equal(case_load(missing, NULL, &cf, err), -1);
	snprintf(want, sizeof want, "%s:1:1: cannot read: ", missing);
	assert_memory_equal(err, want, strlen(want));
	assert_non_null(strstr(err, "No such file"));
	assert_int_equal(cf.n, 0);

	/* a directory opens but does not read */
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s/cases/t", root);
	assert_int_equal(case_load(dir, NULL, &cf, err), -1);
	snprintf(want, sizeof want, "%s:1:1: cannot read: ", dir);
	assert_memory_equal(err, want, strlen(want));
	assert_int_equal(cf.n, 0);
}

static void test_long_path(void **state)
{
	(void)state;
	/* an error in a file whose path alone nearly fills the message buffer */
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s/cases", root);
	for (int i = 0; i < 5; i++) {
		size_t n = strlen(dir);
		dir[n] = '/';
		memset(dir + n + 1, 'a' + i, 100);
		dir[n + 101] = '\0';
		assert_int_equal(mkdir(dir, 0755), 0);
	}
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/x.case", dir);
	assert_true(strlen(path) > CASE_ERRLEN);
	write_file(path, "host a\non a\n  frob()\n");
	struct case_file cf;
	char err[CASE_ERRLEN + 64];
	memset(err, 'Z', sizeof err);
	assert_int_equal(case_load(path, NULL, &cf, err), -1);
	assert_true(memchr(err, '\0', CASE_ERRLEN) != NULL);
	assert_memory_equal(err, path, 64);
	for (size_t i = CASE_ERRLEN; i < sizeof err; i++)
		assert_int_equal(err[i], 'Z');
	assert_int_equal(cf.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_topology),
		cmocka_unit_test(test_bridge),
		cmocka_unit_test(test_on_when),
		cmocka_unit_test(test_sysctl_values),
		cmocka_unit_test(test_nested_fixtures),
		cmocka_unit_test(test_steps_and_args),
		cmocka_unit_test(test_steps_second_edition),
		cmocka_unit_test(test_steps_data_and_scopes),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_alternatives),
		cmocka_unit_test(test_continued_lines),
		cmocka_unit_test(test_loops),
		cmocka_unit_test(test_variants),
		cmocka_unit_test(test_variant_guards_numeric),
		cmocka_unit_test(test_case_ids),
		cmocka_unit_test(test_blank_and_odd_files),
		cmocka_unit_test(test_step_errors),
		cmocka_unit_test(test_top_errors),
		cmocka_unit_test(test_fixture_errors),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_long_path),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
