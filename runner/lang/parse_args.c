/* A call's arguments, checked against its registry row's signature: every
 * argument is validated here, against the tables, so a case that parses
 * can only fail at run time because of the kernel. */
#include "capture.h"
#include "parse_int.h"
#include "registry.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "fe80::1%eth0" -> the address in ip, the scope in a (a number straight
 * into the sockaddr, a name kept for the step's host to resolve). */
static int split_scope(struct parser *p, const struct token *t, char *ip, struct sockaddr_tmpl *a)
{
	char *pct = strchr(ip, '%');
	if (!pct)
		return 0;
	*pct++ = '\0';
	struct in6_addr probe;
	if (inet_pton(AF_INET6, ip, &probe) != 1)
		return perr(p, t->col, "a scope id (%%%s) is for IPv6 addresses only", pct);
	long idx;
	a->scope_var = -1;
	if (pct[0] == '$') {
		a->scope_var = var_find(p->sc, pct + 1);
		if (a->scope_var < 0 || p->sc->vars[a->scope_var].kind != VAR_INT)
			return perr(p, t->col, "undefined variable '%s' (a scope is a name, an index or $number)", pct);
	} else if (!parse_long(pct, 1, 0x7fffffff, &idx))
		((struct sockaddr_in6 *)&a->ss)->sin6_scope_id = (uint32_t)idx;
	else if (!*pct || strlen(pct) >= IFNAMSIZ || strpbrk(pct, "/: \t"))
		return perr(p, t->col, "bad scope '%%%s' (an interface name or index)", pct);
	else
		snprintf(a->scope, sizeof a->scope, "%s", pct);
	return 0;
}

/* "10.0.0.1:80", "[::1]:80", "[fe80::1%eth0]:80", "[::]:$port"; with_port
 * 0: a bare address ("fe80::1%eth0" too). */
int parse_addr(struct parser *p, const struct token *t, int with_port, struct arg *a)
{
	char ip[80];
	const char *port = NULL, *s = t->text;
	a->kind = with_port ? ARG_ADDR : ARG_IP;
	a->addr.port_var = -1;
	a->addr.scope_var = -1;
	if (t->kind != TOK_WORD)
		return perr(p, t->col, "expected an address, got %s", tok_shown(t));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close - s - 1 >= (long)sizeof ip)
			return perr(p, t->col, "bad address '%s'", s);
		snprintf(ip, sizeof ip, "%.*s", (int)(close - s - 1), s + 1);
		port = close[1] == ':' ? close + 2 : close[1] ? "" : NULL;
	} else {
		const char *colon = strchr(s, ':');
		int v4 = colon && !strchr(colon + 1, ':');
		size_t n = v4 ? (size_t)(colon - s) : strlen(s);
		if (n >= sizeof ip)
			return perr(p, t->col, "bad address '%s'", s);
		snprintf(ip, sizeof ip, "%.*s", (int)n, s);
		port = v4 ? colon + 1 : NULL;
	}
	if (split_scope(p, t, ip, &a->addr) < 0)
		return -1;
	struct sockaddr_in *in = (struct sockaddr_in *)&a->addr.ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->addr.ss;
	if (inet_pton(AF_INET, ip, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		a->addr.len = sizeof *in;
	} else if (inet_pton(AF_INET6, ip, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		a->addr.len = sizeof *in6;
	} else {
		return perr(p, t->col, "bad address '%s'", s);
	}
	if (!with_port)
		return port ? perr(p, t->col, "expected an address without a port, got '%s'", s) : 0;
	long v;
	if (!port)
		return perr(p, t->col, "address '%s' needs a port (ADDRESS:PORT, [IPV6]:PORT)", s);
	if (port[0] == '$') {
		int var = var_find(p->sc, port + 1);
		if (var < 0 || p->sc->vars[var].kind != VAR_INT)
			return perr(p, t->col, "undefined variable '%s'", port);
		a->addr.port_var = var;
	} else if (parse_long(port, 0, 65535, &v) < 0) {
		return perr(p, t->col, "bad port in '%s'", s);
	} else {
		in->sin_port = htons((uint16_t)v);  /* same offset in sockaddr_in6 */
	}
	return 0;
}

/* A number, a captured $number, or one of names (an option's values). */
static int want_int_named(struct parser *p, const struct token *t, const struct name_val *names,
			  struct arg *a)
{
	a->kind = ARG_INT;
	if (t->kind == TOK_WORD && t->text[0] == '$') {
		int var = var_find(p->sc, t->text + 1);
		if (var >= 0 && p->sc->vars[var].kind == VAR_SOCK)
			return perr(p, t->col, "'%s' is a socket, not a number", t->text + 1);
		if (var < 0)
			return perr(p, t->col, "undefined variable '%s'", t->text);
		a->kind = ARG_VAR;
		a->var = var;
		return 0;
	}
	int found = 0;
	if (names && t->kind == TOK_WORD && isalpha((unsigned char)t->text[0]))
		a->i = table_find(names, t->text, &found);
	if (found)
		return 0;
	if (t->kind != TOK_WORD || parse_long(t->text, -2147483648L, 4294967295L, &a->i) < 0)
		return perr(p, t->col, "expected a number, got '%s'", tok_shown(t));
	return 0;
}

static int want_int(struct parser *p, const struct token *t, struct arg *a)
{
	return want_int_named(p, t, NULL, a);
}

static int want_name(struct parser *p, const struct token *t, const struct name_val *tbl,
		     const char *what, struct arg *a)
{
	int found = 0;
	if (t->kind == TOK_WORD)
		a->i = table_find(tbl, t->text, &found);
	if (!found)
		return perr(p, t->col, "unknown %s '%s'", what, tok_shown(t));
	a->kind = ARG_NAME;
	a->str = strdup(t->text);
	return a->str ? 0 : perr(p, t->col, "out of memory");
}

static int want_sock(struct parser *p, const struct token *t, struct arg *a)
{
	int var = t->kind == TOK_WORD ? var_find(p->sc, t->text) : -1;
	if (var >= 0 && p->sc->vars[var].kind != VAR_SOCK)
		return perr(p, t->col, "'%s' is a number, not a socket", t->text);
	if (var < 0)
		return perr(p, t->col, "undefined socket '%s'", tok_shown(t));
	a->kind = ARG_SOCK;
	a->var = var;
	return 0;
}

/* An interface name (looked up in the step's host at run time) or index. */
static int want_ifname(struct parser *p, const struct token *t, struct arg *a)
{
	if (t->kind == TOK_WORD && (isdigit((unsigned char)t->text[0]) || t->text[0] == '$'))
		return want_int(p, t, a);
	if (t->kind != TOK_WORD || t->len >= IFNAMSIZ || strpbrk(t->text, "/: \t"))
		return perr(p, t->col, "expected an interface name or index, got '%s'", tok_shown(t));
	*a = (struct arg){ .kind = ARG_NAME, .str = strdup(t->text), .pos = a->pos };
	return a->str ? 0 : perr(p, t->col, "out of memory");
}

/* "text", or "text" * N: the text N times (a 1400-byte payload). */
int parse_data(struct parser *p, const struct token *t, int n, char **out, size_t *len)
{
	long times = 1;
	if (t->kind != TOK_STR)
		return perr(p, t->col, "expected a \"string\", got '%s'", tok_shown(t));
	if (n >= 2 && !tok_is(&t[1], "*"))
		return perr(p, t[1].col, "after a \"string\": * N, or ',' or ')'");
	if (n >= 2 && (n < 3 || t[2].kind != TOK_WORD || parse_long(t[2].text, 0, 0x7fffffff, &times) < 0))
		return perr(p, n < 3 ? t[1].col : t[2].col, "after a \"string\": * N (a count)");
	if (t->len && (size_t)times > DATA_REPEAT_MAX / t->len)
		return perr(p, t[2].col, "\"...\" * %ld is more than %d bytes", times, DATA_REPEAT_MAX);
	*len = t->len * (size_t)times;
	*out = malloc(*len + 1);
	if (!*out)
		return perr(p, t->col, "out of memory");
	for (long k = 0; k < times; k++)
		memcpy(*out + (size_t)k * t->len, t->text, t->len);
	(*out)[*len] = '\0';
	return 0;
}

static int want_str(struct parser *p, const struct group *g, struct arg *a)
{
	if (g->n > 3)
		return perr(p, g->t[3].col, "expected ',' or ')' after '%s'", tok_shown(&g->t[2]));
	a->kind = ARG_STR;
	return parse_data(p, g->t, g->n, &a->str, &a->len);
}

/* A step's arguments get the full capacity while the line is parsed
 * (pointers into them stay valid), and only what they use once it is done
 * (step_fit): the whole case library is in memory, and in every worker's
 * page tables, so a step is kept small. */
struct arg *arg_next(struct parser *p, struct step *st, const struct token *t)
{
	if (!st->args)
		st->args = calloc(CASE_MAX_ARGS, sizeof *st->args);
	if (!st->args || st->nargs == CASE_MAX_ARGS) {
		perr(p, t->col, st->args ? "too many values (%d at most)" : "out of memory", CASE_MAX_ARGS);
		return NULL;
	}
	struct arg *a = &st->args[st->nargs++];
	a->pos = pos_at(p, t->col);
	a->var = -1;
	return a;
}

/* The names sendmsg's ancillary items go by, as `KEY VALUE`. */
static const struct name_val cmsg_keys[] = {
	{ "from", CM_FROM }, { "dev", CM_DEV }, { "ttl", CM_TTL }, { "hoplimit", CM_HOPLIMIT },
	{ "tos", CM_TOS }, { "segment", CM_SEGMENT }, { NULL, 0 },
};

static int is_flag(const struct group *g)
{
	int found = 0;
	if (g->n == 1 && g->t[0].kind == TOK_WORD)
		table_find(tbl_msg_flag, g->t[0].text, &found);
	return found;
}

static int is_cmsg(const struct group *g)
{
	for (const struct name_val *k = cmsg_keys; g->t[0].kind == TOK_WORD && k->name; k++)
		if (!strcmp(k->name, g->t[0].text))
			return 1;
	return 0;
}

static int want_cmsg(struct parser *p, const struct group *g, struct arg *a)
{
	const struct token *key = &g->t[0];
	for (const struct name_val *k = cmsg_keys; k->name; k++)
		if (!strcmp(k->name, key->text))
			a->i = k->val;
	if (g->n != 2)
		return perr(p, key->col, "usage: %s VALUE", key->text);
	const struct token *v = &g->t[1];
	struct arg tmp = { .pos = a->pos, .var = -1 };
	int rc;
	if (a->i == CM_FROM) {
		rc = parse_addr(p, v, 0, &tmp);
		a->addr = tmp.addr;
	} else if (a->i == CM_DEV) {
		rc = want_ifname(p, v, &tmp);
		a->str = tmp.kind == ARG_NAME ? tmp.str : NULL;
		a->val = tmp.i;
		a->var = tmp.kind == ARG_VAR ? tmp.var : -1;
	} else {
		/* ttl, hoplimit and tos go to the kernel as an int, which
		 * judges the value (ttl 256: EINVAL); UDP_SEGMENT's control
		 * message holds 16 bits, so a larger size cannot be said */
		rc = want_int(p, v, &tmp);
		a->val = tmp.i;
		a->var = tmp.kind == ARG_VAR ? tmp.var : -1;
		if (rc == 0 && a->i == CM_SEGMENT && a->var < 0 && (a->val < 0 || a->val > 65535))
			return perr(p, v->col, "segment takes 0 to 65535, not %s", v->text);
		if (rc == 0 && a->var < 0 && (a->val < -2147483648L || a->val > 2147483647L))
			return perr(p, v->col, "%s takes an int, not %s", key->text, v->text);
	}
	a->kind = ARG_CMSG;
	return rc;
}

/* Whether an optional argument can be this letter, so that the next
 * letter gets its chance when not: socket(INET, DGRAM, NONBLOCK). */
static int fits(char letter, const struct group *g)
{
	const struct token *t = &g->t[0];
	switch (letter) {
	case 'R': return !tok_is(t, "NONBLOCK");
	case 'N': return tok_is(t, "NONBLOCK");
	case 'i':
	case 'M': return t->kind == TOK_WORD && (isdigit((unsigned char)t->text[0]) ||
						 t->text[0] == '-' || t->text[0] == '$');
	case 'A': return t->kind == TOK_WORD && (isdigit((unsigned char)t->text[0]) ||
						 t->text[0] == '[' || strchr(t->text, ':'));
	case 'f': return is_flag(g);
	case 'K': return is_flag(g) || is_cmsg(g);
	}
	return 1;
}

/* [LEVEL,] OPTION then, for setsockopt, the value in the option's shape. */
static int want_option(struct parser *p, const struct group *g, int ng, int *k, struct step *st, int set)
{
	const struct token *lvltok = NULL;
	int found = 0;
	long level = -1;
	if (*k < ng && g[*k].t[0].kind == TOK_WORD) {
		level = table_find(tbl_level, g[*k].t[0].text, &found);
		if (found && g[*k].n != 1)
			return perr(p, g[*k].t[1].col, "expected ',' after the level %s", g[*k].t[0].text);
		if (found)
			lvltok = &g[(*k)++].t[0];
	}
	if (*k >= ng)
		return perr(p, g[ng - 1].t[0].col, "missing option name");
	if (g[*k].n != 1)
		return perr(p, g[*k].t[1].col, "expected ',' or ')' after the option %s", tok_shown(&g[*k].t[0]));
	const struct token *t = &g[(*k)++].t[0];
	const struct sockopt_def *d = t->kind == TOK_WORD ? sockopt_find(t->text) : NULL;
	if (!d)
		return perr(p, t->col, "unknown socket option '%s' (netrepro help options)", tok_shown(t));
	if (lvltok && level != d->level)
		return perr(p, t->col, "%s is not an option of level %s (it is %s)", d->name, lvltok->text,
			    strchr(table_name(tbl_level, d->level), '_') + 1);
	st->opt = d;
	struct arg *a = arg_next(p, st, t);
	if (!a)
		return -1;
	*a = (struct arg){ .kind = ARG_NAME, .i = d->level, .str = strdup(d->name), .pos = a->pos };
	if (!set)
		return d->shape->out != OUT_NONE ? 0
			: perr(p, t->col, "%s cannot be read with getsockopt (it is set only)", d->name);
	return parse_shape_values(p, g, ng, k, st, d, t);
}

/* The values of a setsockopt, in the shape's signature: i a number (or
 * one of the option's names), P an address, n an interface, q a string,
 * M an address or an interface. */
int parse_shape_values(struct parser *p, const struct group *g, int ng, int *k, struct step *st,
		       const struct sockopt_def *d, const struct token *name)
{
	int first = st->nargs, opt = 0;
	for (const char *shape = d->shape->sig; *shape; shape++) {
		if (*shape == '[') {
			opt = 1;
			continue;
		}
		if (*k >= ng) {
			if (opt)
				break;
			return perr(p, name->col, "%s needs a value: %s", d->name, d->shape->written);
		}
		if (g[*k].n != 1)
			return perr(p, g[*k].t[1].col, "expected ',' between values");
		const struct token *v = &g[(*k)++].t[0];
		struct arg *va = arg_next(p, st, v);
		if (!va)
			return -1;
		int rc;
		switch (*shape) {
		case 'i': rc = want_int_named(p, v, d->names, va); break;
		case 'P': rc = parse_addr(p, v, 0, va); break;
		case 'q': rc = want_str(p, &(struct group){ v, 1 }, va); break;
		case 'M':
			rc = v->kind == TOK_WORD && strpbrk(v->text, ".:") ? parse_addr(p, v, 0, va)
				: want_ifname(p, v, va);
			if (rc == 0 && va->kind != ARG_IP && *k < ng)
				return perr(p, g[*k].t[0].col, "%s takes an interface alone, or an address and then "
					    "an interface", d->name);
			break;
		default: rc = want_ifname(p, v, va); break;
		}
		if (rc < 0)
			return -1;
	}
	for (int i = first; i < st->nargs; i++) {
		const struct arg *v = &st->args[i];
		int fam = v->addr.ss.ss_family;
		if (v->kind != ARG_IP)
			continue;
		if (d->level == IPPROTO_IPV6 && fam != AF_INET6)
			return perr_at(p, &v->pos, "%s wants IPv6 addresses", d->name);
		if (d->level == IPPROTO_IP && fam != AF_INET)
			return perr_at(p, &v->pos, "%s wants IPv4 addresses", d->name);
	}
	if (*k < ng && !opt)
		return perr(p, g[*k].t[0].col, "%s takes %s, not more", d->name, d->shape->written);
	return 0;
}

/* A capture point: HOST:IF, or HOST for all of its interfaces; the host's
 * index in i, the interface (or "") in str. */
static int want_capture_point(struct parser *p, const struct token *t, struct arg *a)
{
	const char *colon = t->kind == TOK_WORD ? strchr(t->text, ':') : NULL;
	char host[CASE_NAME];
	size_t hl = colon ? (size_t)(colon - t->text) : t->kind == TOK_WORD ? t->len : 0;
	if (!hl || hl >= sizeof host || (colon && (!colon[1] || strlen(colon + 1) >= IFNAMSIZ)))
		return perr(p, t->col, "expected HOST:INTERFACE or HOST, got '%s'", tok_shown(t));
	snprintf(host, sizeof host, "%.*s", (int)hl, t->text);
	int h = host_find(p->sc, host);
	if (h < 0)
		return perr(p, t->col, "unknown host '%s'", host);
	*a = (struct arg){ .kind = ARG_NAME, .i = h, .str = strdup(colon ? colon + 1 : ""), .pos = a->pos };
	return a->str ? 0 : perr(p, t->col, "out of memory");
}

/* A pcap filter expression, compiled once here so that a typo is an
 * error of the case file, not of the run. */
static int want_filter(struct parser *p, const struct group *grp, struct arg *a)
{
	char msg[256];
	if (want_str(p, grp, a) < 0)
		return -1;
	if (memchr(a->str, '\0', a->len))
		return perr(p, grp->t[0].col, "a filter cannot hold \\0");
	if (capture_filter_check(a->str, msg, sizeof msg) < 0)
		return perr(p, grp->t[0].col, "bad packet filter \"%s\": %s", a->str, msg);
	return 0;
}

/* One argument group against one signature letter. */
static int parse_one(struct parser *p, char letter, const struct group *grp, int ng_left,
		     const struct group *next, struct step *st)
{
	const struct token *t = &grp->t[0];
	int found = 0;
	if (grp->n != 1 && letter != 'K' && letter != 'q' && letter != 'B')
		return perr(p, grp->t[1].col, "expected ',' or ')' after '%s'", tok_shown(t));
	struct arg *a = arg_next(p, st, t);
	if (!a)
		return -1;
	switch (letter) {
	case 's': return want_sock(p, t, a);
	case 'A': return parse_addr(p, t, 1, a);
	case 'C':
		if (tok_is(t, "UNSPEC")) {
			a->kind = ARG_ADDR;
			a->addr.ss.ss_family = AF_UNSPEC;
			a->addr.len = sizeof(struct sockaddr);
			a->addr.port_var = -1;
			return 0;
		}
		return parse_addr(p, t, 1, a);
	case 'P': return parse_addr(p, t, 0, a);
	case 'i': return want_int(p, t, a);
	case 'M':
		if (want_int(p, t, a) < 0)
			return -1;
		/* a variable is checked when the step runs */
		return a->kind == ARG_INT && (a->i < 0 || a->i > SLEEP_MAX_MS)
			? perr(p, t->col, "bad time '%s' (0 to %ld milliseconds)", t->text, SLEEP_MAX_MS) : 0;
	case 'n': return want_ifname(p, t, a);
	case 'F': return want_name(p, t, tbl_family, "address family", a);
	case 'T': return want_name(p, t, tbl_socktype, "socket type", a);
	case 'R':
		if (t->kind == TOK_WORD && isalpha((unsigned char)t->text[0]) &&
		    (table_find(tbl_proto, t->text, &found), !found))
			return perr(p, t->col, "unknown protocol '%s' (TCP, UDP, UDPLITE, SCTP, MPTCP, ICMP, "
				    "ICMPV6, or a number)", t->text);
		if (want_int_named(p, t, tbl_proto, a) < 0)
			return -1;
		return a->kind == ARG_INT && (a->i < 0 || a->i > 65535)
			? perr(p, t->col, "bad protocol number '%s' (0 to 65535)", t->text) : 0;
	case 'H': return want_name(p, t, tbl_shut, "shutdown direction", a);
	case 'q': return want_str(p, grp, a);
	case 'h': return want_capture_point(p, t, a);
	case 'Y':
		if (t->kind != TOK_WORD || strncmp(t->text, "net.", 4) || strstr(t->text, "..") ||
		    strchr(t->text, '/') || t->len >= 128 || t->text[t->len - 1] == '.')
			return perr(p, t->col, "expected a net.* sysctl name, got '%s'", tok_shown(t));
		*a = (struct arg){ .kind = ARG_NAME, .str = strdup(t->text), .pos = a->pos };
		return a->str ? 0 : perr(p, t->col, "out of memory");
	case 'B': return want_filter(p, grp, a);
	case 'N':
		a->kind = ARG_FLAG;
		a->i = SOCK_NONBLOCK;
		return tok_is(t, "NONBLOCK") ? 0 : perr(p, t->col, "unknown socket flag '%s' (NONBLOCK)", tok_shown(t));
	case 'f':
	case 'K':
		if (is_flag(grp)) {
			a->kind = ARG_FLAG;
			a->i = table_find(tbl_msg_flag, t->text, &(int){ 0 });
			return 0;
		}
		if (letter == 'K' && is_cmsg(grp))
			return want_cmsg(p, grp, a);
		return perr(p, t->col, letter == 'K' ? "unknown message flag or item '%s' (DONTWAIT, PEEK, "
			    "TRUNC, FASTOPEN, ERRQUEUE, MORE; from, dev, ttl, hoplimit, tos, segment)"
			    : "unknown message flag '%s' (DONTWAIT, PEEK, TRUNC, FASTOPEN, ERRQUEUE, "
			    "WAITALL, MORE)", tok_shown(t));
	case 'S':
		if (ng_left == 1)
			return want_sock(p, t, a);
		if (parse_addr(p, t, 1, a) < 0)
			return -1;
		if (next->n != 1)
			return perr(p, next->t[1].col, "expected ',' or ')' after '%s'", tok_shown(&next->t[0]));
		struct arg *peer = arg_next(p, st, &next->t[0]);
		return peer ? parse_addr(p, &next->t[0], 1, peer) : -1;
	}
	return perr(p, t->col, "internal: signature letter '%c'", letter);
}

int parse_args(struct parser *p, const struct group *g, int ng, struct step *st, int namecol)
{
	const char *sig = st->call->sig;
	int k = 0, optional = 0;
	for (; *sig; sig++) {
		int many = *sig == '*';
		sig += many;
		if (*sig == '[') {
			optional = 1;
			continue;
		}
		if (k >= ng) {
			if (optional || many)
				continue;
			return perr(p, namecol, "%s() needs more arguments: %s(%s)", st->call->name,
				    st->call->name, st->call->written);
		}
		if (*sig == 'X')
			return perr(p, namecol, "usage: exec -- PROGRAM [ARGUMENT...] [= EXPECTED]");
		if (*sig == 'O' || *sig == 'o') {
			if (want_option(p, g, ng, &k, st, *sig == 'O') < 0)
				return -1;
			continue;
		}
		if ((optional || many) && sig[1] && !fits(*sig, &g[k]))
			continue;
		do {
			if (parse_one(p, *sig, &g[k], ng - k, k + 1 < ng ? &g[k + 1] : NULL, st) < 0)
				return -1;
			k += *sig == 'S' && ng - k >= 2 ? 2 : 1;
		} while (many && k < ng);
	}
	if (k < ng)
		return perr(p, g[k].t[0].col, "too many arguments to %s(): %s(%s)", st->call->name,
			    st->call->name, st->call->written);
	const struct arg *size = st->nargs > 1 ? &st->args[1] : NULL;
	if (st->call->value == VAL_DATA && size && size->kind == ARG_INT && (size->i < 0 || size->i > DATA_REPEAT_MAX))
		return perr_at(p, &size->pos, "a size of 0 to %d bytes, not %ld", DATA_REPEAT_MAX, size->i);
	return 0;
}
