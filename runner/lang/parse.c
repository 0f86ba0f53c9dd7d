/* The case file parser: files, `vary` expansion, header and topology lines,
 * and the block structure. Steps are parse_step.c's. */
#include "parse_int.h"
#include "registry.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


struct srcpos pos_at(const struct parser *p, int col)
{
	struct srcpos at = { p->file, p->line, col };
	for (int k = p->nsegs - 1; k > 0; k--)
		if (col > p->seg_off[k]) {
			at.line = p->seg_line[k];
			at.col = col - p->seg_off[k];
			break;
		}
	return at;
}

static int verr(struct parser *p, const struct srcpos *at, const char *fmt, va_list ap)
{
	int n = snprintf(p->err, CASE_ERRLEN, "%s:%d:%d: ", at->file, at->line, at->col);
	if (n < 0 || n >= CASE_ERRLEN)
		return -1;  /* a path that long leaves no room for the message */
	vsnprintf(p->err + n, CASE_ERRLEN - (size_t)n, fmt, ap);
	return -1;
}

int perr(struct parser *p, int col, const char *fmt, ...)
{
	struct srcpos at = pos_at(p, col);
	va_list ap;
	va_start(ap, fmt);
	verr(p, &at, fmt, ap);
	va_end(ap);
	return -1;
}

int perr_at(struct parser *p, const struct srcpos *at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verr(p, at, fmt, ap);
	va_end(ap);
	return -1;
}

/* The column of a trailing '\' that continues the line, or 0: not in a
 * string, not in a comment, only blanks after it. */
static size_t continues(const char *line, size_t n)
{
	size_t last = 0;
	for (size_t i = 0, in_str = 0; i < n; i++) {
		char c = line[i];
		if (in_str) {
			if (c == '\\' && i + 1 < n)
				i++;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '#')
			return 0;
		in_str = c == '"';
		if (!strchr(" \t\r", c))
			last = c == '\\' ? i + 1 : 0;
	}
	return last;
}

char *next_line(struct parser *p, const char **s, int *last, int *rc)
{
	*rc = 0;
	p->nsegs = 0;
	if (!**s)
		return NULL;
	char *out = NULL;
	size_t len = 0;
	p->line = *last + 1;
	for (;;) {
		size_t n = strcspn(*s, "\n"), bs;
		char *grown = realloc(out, len + n + 1);
		if (!grown) {
			free(out);
			*rc = perr(p, 1, "out of memory");
			return NULL;
		}
		out = grown;
		if (p->nsegs < MAX_CONTINUED) {
			p->seg_line[p->nsegs] = *last + 1;
			p->seg_off[p->nsegs++] = (int)len;
		}
		memcpy(out + len, *s, n);
		out[len + n] = '\0';
		bs = continues(out + len, n);
		len += n;
		*s += n + ((*s)[n] == '\n');
		++*last;
		if (!bs)
			return out;
		out[len - n + bs - 1] = ' ';
		if (!**s)
			*rc = perr(p, (int)(len - n + bs), "'\\' continues the last line of the file");
		else if (p->nsegs == MAX_CONTINUED)
			*rc = perr(p, (int)(len - n + bs), "more than %d lines joined with '\\'",
				   MAX_CONTINUED);
		if (*rc) {
			free(out);
			return NULL;
		}
	}
}

int host_find(const struct scenario *sc, const char *name)
{
	for (int i = 0; i < sc->nhosts; i++)
		if (!strcmp(sc->hosts[i], name))
			return i;
	return -1;
}

static int want_host(struct parser *p, const struct token *t)
{
	int h = t->kind == TOK_WORD ? host_find(p->sc, t->text) : -1;
	if (h < 0)
		return perr(p, t->col, "unknown host '%s' (declare it with 'host' or a 'use'd fixture)",
			    t->text ? t->text : "");
	return h;
}

/* "a:eth0" → host index and interface name. */
static int want_hostif(struct parser *p, const struct token *t, char ifname[16])
{
	const char *colon = t->kind == TOK_WORD ? strchr(t->text, ':') : NULL;
	if (!colon || !colon[1] || strlen(colon + 1) > 15 || strpbrk(colon + 1, ":/") ||
	    !strcmp(colon + 1, ".") || !strcmp(colon + 1, ".."))
		return perr(p, t->col, "expected HOST:INTERFACE, got '%s'", t->text ? t->text : "");
	char host[CASE_NAME];
	snprintf(host, sizeof host, "%.*s", (int)(colon - t->text), t->text);
	int h = host_find(p->sc, host);
	if (h < 0)
		return perr(p, t->col, "unknown host '%s'", host);
	strcpy(ifname, colon + 1);
	return h;
}

static int valid_cidr(const char *s)
{
	char ip[64];
	const char *slash = strchr(s, '/');
	if (!slash || slash - s >= (long)sizeof ip)
		return 0;
	snprintf(ip, sizeof ip, "%.*s", (int)(slash - s), s);
	unsigned char buf[16];
	int v6 = strchr(ip, ':') != NULL;
	long len;
	return inet_pton(v6 ? AF_INET6 : AF_INET, ip, buf) == 1 && slash[1] &&
	       strspn(slash + 1, "0123456789") == strlen(slash + 1) &&
	       !parse_long(slash + 1, 0, v6 ? 128 : 32, &len);
}

static int valid_ip(const char *s)
{
	unsigned char buf[16];
	return inet_pton(strchr(s, ':') ? AF_INET6 : AF_INET, s, buf) == 1;
}

/* Where a topology line goes: the case's topology, or the step being read. */
static struct topology *T(struct parser *p)
{
	return p->topo ? p->topo : &p->sc->topo;
}

static struct srcpos here(struct parser *p, const struct token *t)
{
	return pos_at(p, t->col);
}

static int stmt_host(struct parser *p, struct line_toks *lt)
{
	if (lt->n < 2)
		return perr(p, lt->t[0].col, "'host' needs a name");
	for (int i = 1; i < lt->n; i++) {
		const struct token *t = &lt->t[i];
		if (t->kind != TOK_WORD || strspn(t->text, "abcdefghijklmnopqrstuvwxyz0123456789_-") != t->len ||
		    t->len >= CASE_NAME)
			return perr(p, t->col, "bad host name '%s' (lower-case letters, digits, '_', '-')",
				    t->text ? t->text : "");
		if (host_find(p->sc, t->text) >= 0)
			return perr(p, t->col, "host '%s' declared twice", t->text);
		if (p->sc->nhosts == 16)
			return perr(p, t->col, "too many hosts (16 at most)");
		strcpy(p->sc->hosts[p->sc->nhosts++], t->text);
	}
	return 0;
}

/* bridge NAME HOST:IF HOST:IF...: hosts on one LAN. NAME becomes a host
 * of its own (a switch: bridge br0), joined to each HOST:IF by a veth pair
 * whose switch end is p1, p2, ... */
static int stmt_bridge(struct parser *p, struct line_toks *lt)
{
	if (lt->n < 4)
		return perr(p, lt->t[0].col, "usage: bridge NAME HOST:IF HOST:IF...");
	struct line_toks name = { .t = lt->t, .n = 2 };
	if (stmt_host(p, &name) < 0)
		return -1;
	int sw = p->sc->nhosts - 1;
	for (int i = 2; i < lt->n; i++) {
		struct topo_link l = { .b = sw, .bridge = p->sc->nbridges + 1, .pos = here(p, &lt->t[i]) };
		if ((l.a = want_hostif(p, &lt->t[i], l.ifa)) < 0)
			return -1;
		if (l.a == sw)
			return perr(p, lt->t[i].col, "a bridge does not join itself");
		snprintf(l.ifb, sizeof l.ifb, "p%d", i - 1);
		GROW(T(p)->links, T(p)->nlinks);
		T(p)->links[T(p)->nlinks++] = l;
	}
	GROW(p->sc->bridges, p->sc->nbridges);
	p->sc->bridges[p->sc->nbridges++] = (struct topo_bridge){ .host = sw, .pos = here(p, &lt->t[1]) };
	return 0;
}

/* `link del`, `addr del`, `route del`: a change made while the steps run. */
static int del_word(struct parser *p, struct line_toks *lt, int *del)
{
	*del = tok_is(&lt->t[1], "del");
	if (*del && !p->topo)
		return perr(p, lt->t[1].col, "'%s del' is a step: write it under 'on HOST'", lt->t[0].text);
	return 0;
}

static int stmt_link(struct parser *p, struct line_toks *lt)
{
	int del;
	if (del_word(p, lt, &del) < 0)
		return -1;
	if (del) {
		struct topo_link l = { .del = 1, .pos = here(p, &lt->t[0]), .b = -1 };
		if (lt->n != 3)
			return perr(p, lt->t[0].col, "usage: link del HOST:IF");
		if ((l.a = want_hostif(p, &lt->t[2], l.ifa)) < 0)
			return -1;
		GROW(T(p)->links, T(p)->nlinks);
		T(p)->links[T(p)->nlinks++] = l;
		return 0;
	}
	if (lt->n != 3)
		return perr(p, lt->t[0].col, "usage: link HOST:IF HOST:IF");
	struct topo_link l = { .pos = here(p, &lt->t[0]) };
	if ((l.a = want_hostif(p, &lt->t[1], l.ifa)) < 0 || (l.b = want_hostif(p, &lt->t[2], l.ifb)) < 0)
		return -1;
	if (l.a == l.b && !strcmp(l.ifa, l.ifb))
		return perr(p, lt->t[2].col, "a link needs two different ends");
	GROW(T(p)->links, T(p)->nlinks);
	T(p)->links[T(p)->nlinks++] = l;
	return 0;
}

static int stmt_addr(struct parser *p, struct line_toks *lt)
{
	int del;
	if (del_word(p, lt, &del) < 0)
		return -1;
	if (lt->n < 3 + del)
		return perr(p, lt->t[0].col, del ? "usage: addr del HOST:IF ADDRESS/PREFIX..."
			    : "usage: addr HOST:IF ADDRESS/PREFIX... [dad]");
	char ifname[16];
	int h = want_hostif(p, &lt->t[1 + del], ifname);
	if (h < 0)
		return -1;
	int dad = !del && tok_is(&lt->t[lt->n - 1], "dad");
	if (lt->n - dad < 3 + del)
		return perr(p, lt->t[lt->n - 1].col, "'addr' needs at least one ADDRESS/PREFIX");
	for (int i = 2 + del; i < lt->n - dad; i++) {
		const struct token *t = &lt->t[i];
		if (t->kind != TOK_WORD || t->len >= 64 || !valid_cidr(t->text))
			return perr(p, t->col, "bad address '%s' (want ADDRESS/PREFIX)", t->text ? t->text : "");
		GROW(T(p)->addrs, T(p)->naddrs);
		struct topo_addr *a = &T(p)->addrs[T(p)->naddrs++];
		*a = (struct topo_addr){ .host = h, .dad = dad, .del = del, .pos = here(p, t) };
		strcpy(a->ifname, ifname);
		strcpy(a->cidr, t->text);
	}
	return 0;
}

static int stmt_route(struct parser *p, struct line_toks *lt)
{
	int del;
	if (del_word(p, lt, &del) < 0)
		return -1;
	if (lt->n < 5 + del || (lt->n - 3 - del) % 2)
		return perr(p, lt->t[0].col, "usage: route %sHOST default|PREFIX [via GATEWAY] [dev IF]",
			    del ? "del " : "");
	struct topo_route r = { .del = del, .pos = here(p, &lt->t[0]) };
	if ((r.host = want_host(p, &lt->t[1 + del])) < 0)
		return -1;
	const struct token *d = &lt->t[2 + del];
	if (d->kind != TOK_WORD || d->len >= 64 ||
	    (strcmp(d->text, "default") && strcmp(d->text, "default6") && !valid_cidr(d->text)))
		return perr(p, d->col, "bad route destination '%s' (default, default6 or PREFIX)",
			    d->text ? d->text : "");
	strcpy(r.dst, d->text);
	for (int i = 3 + del; i < lt->n; i += 2) {
		const struct token *k = &lt->t[i], *v = &lt->t[i + 1];
		if (v->kind != TOK_WORD || v->len >= 64)
			return perr(p, v->col, "bad value after '%s'", k->text ? k->text : "");
		if (tok_is(k, "via") && valid_ip(v->text))
			strcpy(r.via, v->text);
		else if (tok_is(k, "via"))
			return perr(p, v->col, "bad gateway address '%s'", v->text);
		else if (tok_is(k, "dev") && v->len < 16)
			strcpy(r.dev, v->text);
		else
			return perr(p, k->col, "unknown route option '%s' (via, dev)", k->text ? k->text : "");
	}
	GROW(T(p)->routes, T(p)->nroutes);
	T(p)->routes[T(p)->nroutes++] = r;
	return 0;
}

static int stmt_set(struct parser *p, struct line_toks *lt)
{
	char ifname[16];
	if (lt->n < 3)
		return perr(p, lt->t[0].col, "usage: set HOST:IF up|down|multicast on|off|mtu N...");
	int h = want_hostif(p, &lt->t[1], ifname);
	if (h < 0)
		return -1;
	for (int i = 2; i < lt->n; i++) {
		struct topo_set s = { .host = h, .pos = here(p, &lt->t[i]) };
		strcpy(s.ifname, ifname);
		const struct token *t = &lt->t[i], *v = &lt->t[i + 1];
		long mtu;
		if (tok_is(t, "up") || tok_is(t, "down")) {
			s.kind = tok_is(t, "up") ? SET_UP : SET_DOWN;
		} else if (tok_is(t, "multicast") && (tok_is(v, "on") || tok_is(v, "off"))) {
			s.kind = tok_is(v, "on") ? SET_MULTICAST_ON : SET_MULTICAST_OFF;
			i++;
		} else if (tok_is(t, "mtu") && v->kind == TOK_WORD && !parse_long(v->text, 68, 65535, &mtu)) {
			s.kind = SET_MTU;
			s.mtu = (unsigned)mtu;
			i++;
		} else if (tok_is(t, "multicast") || tok_is(t, "mtu")) {
			return perr(p, v->col, "bad value for '%s'", t->text);
		} else {
			return perr(p, t->col, "unknown link setting '%s' (up, down, multicast on|off, mtu N)",
				    t->text ? t->text : "");
		}
		GROW(T(p)->sets, T(p)->nsets);
		T(p)->sets[T(p)->nsets++] = s;
	}
	return 0;
}

/* The interface a sysctl belongs to (see topo_sysctl.dev). */
static void sysctl_dev(const char *name, char dev[16])
{
	static const char *const dirs[] = { "net.ipv4.conf.", "net.ipv6.conf.", "net.ipv4.neigh.", "net.ipv6.neigh." };
	dev[0] = '\0';
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
		size_t n = strlen(dirs[i]), len = strcspn(name + n, ".");
		if (strncmp(name, dirs[i], n) || len >= 16)
			continue;
		snprintf(dev, 16, "%.*s", (int)len, name + n);
		if (!strcmp(dev, "all") || !strcmp(dev, "default") || !strcmp(dev, "lo"))
			dev[0] = '\0';
		return;
	}
}

static int stmt_sysctl(struct parser *p, struct line_toks *lt)
{
	if (lt->n < 5 || !tok_is(&lt->t[3], "="))
		return perr(p, lt->t[0].col, "usage: sysctl HOST net.NAME = VALUE");
	struct topo_sysctl s = { .pos = here(p, &lt->t[2]) };
	if ((s.host = want_host(p, &lt->t[1])) < 0)
		return -1;
	const struct token *n = &lt->t[2];
	if (n->kind != TOK_WORD || strncmp(n->text, "net.", 4) || n->len >= sizeof s.name ||
	    strstr(n->text, ".."))
		return perr(p, n->col, "bad sysctl '%s' (only net.* can be set in a host)", n->text ? n->text : "");
	strcpy(s.name, n->text);
	sysctl_dev(s.name, s.dev);
	/* Words joined by one blank ("40000 40007"), but lists keep their
	 * commas tight ("40001-40003,40005"); a "string" is taken as it is. */
	size_t len = 0;
	for (int i = 4; i < lt->n; i++) {
		const struct token *v = &lt->t[i];
		int glue = i == 4 || tok_is(v, ",") || tok_is(&lt->t[i - 1], ",");
		if (v->kind == TOK_STR && lt->n != 5)
			return perr(p, v->col, "a quoted sysctl value must be the whole value");
		if (v->kind == TOK_PUNCT && !tok_is(v, ","))
			return perr(p, v->col, "unexpected '%s' in a sysctl value", v->text);
		if (len + !glue + v->len >= sizeof s.value || memchr(v->text, '\0', v->len))
			return perr(p, v->col, len + !glue + v->len >= sizeof s.value ? "sysctl value too long"
				    : "a sysctl value cannot hold a NUL byte");
		if (!glue)
			s.value[len++] = ' ';
		memcpy(s.value + len, v->text, v->len);
		len += v->len;
	}
	s.value[len] = '\0';
	GROW(T(p)->sysctls, T(p)->nsysctls);
	T(p)->sysctls[T(p)->nsysctls++] = s;
	return 0;
}

/* "50ms", "1.5s", "200us" in microseconds. */
static int parse_time_us(const char *s, unsigned *us)
{
	static const struct { const char *unit; double scale; } units[] = {
		{ "us", 1 }, { "ms", 1e3 }, { "s", 1e6 },
	};
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	for (size_t i = 0; i < sizeof units / sizeof *units; i++)
		if (end != s && !errno && !strcmp(end, units[i].unit) && v >= 0 && v * units[i].scale <= 60e6 &&
		    s[0] != '+' && !strpbrk(s, "xXeEnN")) {
			*us = (unsigned)(v * units[i].scale + 0.5);
			return 0;
		}
	return -1;
}

/* "25%" → 25; "0.5%" → 0.5. */
static int parse_percent(const char *s, double *pct)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || strcmp(end, "%") || v < 0 || v > 100 || s[0] == '+' || strpbrk(s, "xXeEnN"))
		return -1;
	*pct = v;
	return 0;
}

/* tc's words: bit kbit mbit gbit per second, bps kbps mbps gbps bytes. */
static int parse_rate(const char *s, unsigned long long *bps)
{
	static const struct { const char *unit; double scale; } units[] = {
		{ "bit", 1 }, { "kbit", 1e3 }, { "mbit", 1e6 }, { "gbit", 1e9 },
		{ "bps", 8 }, { "kbps", 8e3 }, { "mbps", 8e6 }, { "gbps", 8e9 },
	};
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	for (size_t i = 0; i < sizeof units / sizeof *units; i++)
		if (end != s && !errno && !strcasecmp(end, units[i].unit) && v > 0 &&
		    v * units[i].scale >= 8 && v * units[i].scale <= 1e14 && s[0] != '+' && !strpbrk(s, "xXeEnN")) {
			*bps = (unsigned long long)(v * units[i].scale + 0.5);
			return 0;
		}
	return -1;
}

static int random_pct(double v)
{
	return v > 0 && v < 100;
}

/* netem HOST:IF [delay T [jitter T]] [loss P%] [duplicate P%] [corrupt P%]
 * [reorder P% [gap N]] [rate R] [limit N] | netem HOST:IF off */
static int stmt_netem(struct parser *p, struct line_toks *lt)
{
	static const char usage[] = "usage: netem HOST:IF [delay TIME [jitter TIME]] [loss P%] [duplicate P%] "
		"[corrupt P%] [reorder P% [gap N]] [rate RATE] [limit N] | netem HOST:IF off";
	struct topo_netem n = { .pos = here(p, &lt->t[lt->n > 1]) };
	if (lt->n < 3 || (n.host = want_hostif(p, &lt->t[1], n.ifname)) < 0)
		return lt->n < 3 ? perr(p, lt->t[0].col, "%s", usage) : -1;
	if (lt->n == 3 && tok_is(&lt->t[2], "off")) {
		n.off = 1;
	} else {
		unsigned seen = 0;
		for (int i = 2; i < lt->n; i += 2) {
			static const char *const keys[] = { "delay", "jitter", "loss", "duplicate", "corrupt",
							     "reorder", "gap", "rate", "limit" };
			const struct token *k = &lt->t[i], *v = &lt->t[i + 1];
			size_t key = 0;
			while (key < sizeof keys / sizeof *keys && !tok_is(k, keys[key]))
				key++;
			if (key == sizeof keys / sizeof *keys)
				return perr(p, k->col, "unknown netem setting '%s' (delay, jitter, loss, duplicate, "
					    "corrupt, reorder, gap, rate, limit, or off alone)", tok_shown(k));
			if (seen & 1u << key)
				return perr(p, k->col, "'%s' twice", keys[key]);
			seen |= 1u << key;
			if (v->kind != TOK_WORD)
				return perr(p, v->col, "missing value after '%s'", keys[key]);
			long num = 0;
			int bad = 0;
			switch (key) {
			case 0: bad = parse_time_us(v->text, &n.delay_us); break;
			case 1: bad = parse_time_us(v->text, &n.jitter_us); break;
			case 2: bad = parse_percent(v->text, &n.loss); break;
			case 3: bad = parse_percent(v->text, &n.duplicate); break;
			case 4: bad = parse_percent(v->text, &n.corrupt); break;
			case 5: bad = parse_percent(v->text, &n.reorder); break;
			case 6: bad = parse_long(v->text, 1, 1000000, &num); n.gap = (unsigned)num; break;
			case 7: bad = parse_rate(v->text, &n.rate_bps); break;
			case 8: bad = parse_long(v->text, 1, 1000000, &num); n.limit = (unsigned)num; break;
			}
			if (bad)
				return perr(p, v->col, "bad %s '%s' (%s)", keys[key], v->text,
					    key <= 1 ? "a time: 50ms, 1.5s, 200us" : key <= 5 ? "a percentage: 25%, 0.5%"
					    : key == 7 ? "a rate: 1mbit, 100kbit, 10mbps" : "a count");
		}
		if ((n.jitter_us || n.reorder || n.gap) && !n.delay_us)
			return perr(p, lt->t[2].col, "%s needs a delay", n.jitter_us ? "jitter" : "reorder");
		if (n.gap && !n.reorder)
			return perr(p, lt->t[2].col, "gap belongs to reorder");
		n.random = n.jitter_us > 0 || random_pct(n.loss) || random_pct(n.duplicate) ||
			   random_pct(n.corrupt) || random_pct(n.reorder);
	}
	p->sc->nondeterministic |= n.random;
	p->sc->uses_netem = 1;
	GROW(T(p)->netems, T(p)->nnetems);
	T(p)->netems[T(p)->nnetems++] = n;
	return 0;
}

/* capture HOST:IF | capture HOST (all of its interfaces, lo included) */
static int stmt_capture(struct parser *p, struct line_toks *lt)
{
	struct topo_capture c = { .pos = here(p, &lt->t[1]) };
	const struct token *t = &lt->t[1];
	if (lt->n != 2 || t->kind != TOK_WORD)
		return perr(p, lt->t[0].col, "usage: capture HOST:IF | capture HOST");
	if (strchr(t->text, ':') ? (c.host = want_hostif(p, t, c.ifname)) < 0 : (c.host = want_host(p, t)) < 0)
		return -1;
	for (int i = 0; i < T(p)->ncaptures; i++)
		if (T(p)->captures[i].host == c.host && !strcmp(T(p)->captures[i].ifname, c.ifname))
			return perr(p, t->col, "a second capture of %s", t->text);
	GROW(T(p)->captures, T(p)->ncaptures);
	T(p)->captures[T(p)->ncaptures++] = c;
	return 0;
}

static int stmt_require(struct parser *p, struct line_toks *lt)
{
	if (lt->n < 2)
		return perr(p, lt->t[0].col, "usage: require root | ipv6 | protocol NAME | sysctl NAME | nofile N | in-place | kernel OP VERSION | platform == NAME");
	struct requirement r = { .pos = here(p, &lt->t[1]) };
	char *text = tokens_text(lt->t, 1, lt->n);
	snprintf(r.text, sizeof r.text, "%s", text);
	free(text);
	const struct token *t = &lt->t[1];
	if (tok_is(t, "protocol")) {
		/* a protocol the kernel may lack (a module not built, not
		 * loadable): SCTP, MPTCP, UDPLITE, ... */
		const struct token *n = &lt->t[2];
		int found = 0;
		r.kind = REQ_PROTOCOL;
		r.proto = lt->n == 3 && n->kind == TOK_WORD ? (int)table_find(tbl_proto, n->text, &found) : 0;
		if (!found)
			return perr(p, lt->n < 3 ? t->col : n->col,
				    "usage: require protocol NAME (SCTP, MPTCP, UDPLITE, ...)");
	} else if (tok_is(t, "nofile")) {
		/* as many descriptors open at once (bind_bhash: thousands) */
		const struct token *n = &lt->t[2];
		r.kind = REQ_NOFILE;
		if (lt->n != 3 || n->kind != TOK_WORD || parse_long(n->text, 1, 1L << 30, &r.nofile))
			return perr(p, lt->n < 3 ? t->col : n->col, "usage: require nofile N (1 to 1073741824 open files)");
	} else if ((tok_is(t, "root") || tok_is(t, "ipv6")) && lt->n > 2) {
		return perr(p, lt->t[2].col, "unexpected '%s' after 'require %s'",
			    lt->t[2].kind == TOK_STR ? "\"...\"" : lt->t[2].text, t->text);
	} else if (tok_is(t, "root")) {
		r.kind = REQ_ROOT;
	} else if (tok_is(t, "ipv6")) {
		r.kind = REQ_IPV6;
	} else if (tok_is(t, "sysctl")) {
		const struct token *n = &lt->t[2];
		if (lt->n != 3 || n->kind != TOK_WORD || strncmp(n->text, "net.", 4) ||
		    n->len >= sizeof r.name || strstr(n->text, ".."))
			return perr(p, lt->n < 3 ? t->col : n->col,
				    "usage: require sysctl net.NAME (a sysctl of the network namespace)");
		r.kind = REQ_SYSCTL;
		strcpy(r.name, n->text);
	} else if (tok_is(t, "in-place") && lt->n == 2) {
		/* the platform's own network: a namespace would hide it */
		r.kind = REQ_IN_PLACE;
		snprintf(r.text, sizeof r.text, "in-place: it shows the platform's own network (run --in-place)");
	} else if (tok_is(t, "kernel") || tok_is(t, "platform")) {
		int i = 1;
		r.kind = REQ_KERNEL;    /* a condition: kernel, platform */
		if (parse_cond(p, lt->t, &i, lt->n, &r.cond) < 0)
			return -1;
		if (i != lt->n) {
			cond_free(r.cond);
			return perr(p, lt->t[i].col, "unexpected '%s' after the condition", lt->t[i].text);
		}
	} else {
		return perr(p, t->col, "unknown requirement '%s' (root, ipv6, protocol NAME, sysctl NAME, nofile N, in-place, kernel OP VERSION, platform == NAME)",
			    t->text ? t->text : "");
	}
	GROW(p->sc->reqs, p->sc->nreqs);
	p->sc->reqs[p->sc->nreqs++] = r;
	return 0;
}

/* A ref's URL is taken from the line as written, up to the first blank:
 * the lexer would split "show_bug.cgi?id=1" at '=' and drop "#frag". */
static char *raw_word(struct parser *p, const struct token *t, int *badcol)
{
	*badcol = t->col;
	if (!p->raw || (size_t)t->col > strlen(p->raw))
		return NULL;
	const char *s = p->raw + t->col - 1;
	size_t n = strcspn(s, " \t\r\n");
	const char *rest = s + n + strspn(s + n, " \t\r\n");
	*badcol = (int)(rest - p->raw) + 1;
	return *rest && *rest != '#' ? NULL : strndup(s, n);
}

static int stmt_text(struct parser *p, struct line_toks *lt, int is_title)
{
	const struct token *t = &lt->t[1];
	if (!is_title && t->kind == TOK_WORD) {
		int badcol;
		char *url = raw_word(p, t, &badcol);
		if (!url)
			return perr(p, badcol, "usage: ref URL-OR-\"TEXT\" (a URL has no blanks; quote text)");
		GROW(p->sc->refs, p->sc->nrefs);
		p->sc->refs[p->sc->nrefs++] = url;
		return 0;
	}
	if (lt->n != 2 || (is_title && t->kind != TOK_STR))
		return perr(p, lt->t[0].col, is_title ? "usage: title \"TEXT\"" : "usage: ref URL-OR-\"TEXT\"");
	for (size_t k = 0; k < t->len; k++)
		if (((unsigned char)t->text[k] < 0x20 && t->text[k] != '\t') || (unsigned char)t->text[k] == 0x7f)
			return perr(p, t->col, "a %s is one line of text: no \\n or \\0 in it",
				    is_title ? "title" : "ref");
	if (is_title) {
		if (p->sc->title)
			return perr(p, lt->t[0].col, "a second title");
		p->sc->title = strdup(t->text);
	} else {
		GROW(p->sc->refs, p->sc->nrefs);
		p->sc->refs[p->sc->nrefs++] = strdup(t->text);
	}
	return 0;
}


static int stmt_use(struct parser *p, struct line_toks *lt)
{
	const struct token *t = &lt->t[1];
	if (lt->n != 2 || (t->kind != TOK_WORD && t->kind != TOK_STR))
		return perr(p, lt->t[0].col, "usage: use FIXTURE-FILE");
	if (p->use_depth >= 8)
		return perr(p, t->col, "'use' nested too deeply (a loop of fixtures?)");
	if (memchr(t->text, '\0', t->len))
		return perr(p, t->col, "a fixture name cannot hold a NUL byte");
	char where[9000], why[128];
	errno = 0;
	char *path = case_fixture_find(p->file, t->text, where, sizeof where);
	if (!path)
		return perr(p, t->col, "%s fixture '%s' (%s)", errno == EACCES ? "refusing" : "cannot find",
			    t->text, where);
	char *text;
	size_t len;
	if (source_read(path, &text, &len, why, sizeof why) < 0) {
		free(path);
		return perr(p, t->col, "cannot read fixture '%s': %s", t->text, why);
	}
	int n = 0;
	while (p->files && p->files[n])
		n++;
	p->files = case_grow(p->files, n + 1, sizeof *p->files);
	p->files[n] = path;
	struct parser sub = *p;
	sub.file = path;
	sub.use_depth++;
	int rc = source_check_text(&sub, text, len) < 0 ? -1 : parse_text(&sub, text, 1);
	free(text);
	p->files = sub.files;
	return rc;
}

static int stmt_on(struct parser *p, struct line_toks *lt)
{
	if (lt->n != 2)
		return perr(p, lt->t[0].col, "usage: on HOST");
	if (p->depth)
		return perr(p, lt->t[0].col, "'on' inside a block: close the block with 'end' first");
	int h = want_host(p, &lt->t[1]);
	if (h < 0)
		return -1;
	p->host = h;
	return 0;
}

/* wait HOST:IF dad [= EXPECTED]: a step only. */
static int stmt_wait(struct parser *p, struct line_toks *lt)
{
	const struct token *t = lt->t;
	int eq = 1;
	while (eq < lt->n && !tok_is(&t[eq], "="))
		eq++;
	if (eq != 3 || !tok_is(&t[2], "dad"))
		return perr(p, t[0].col, "usage: wait HOST:IF dad [= done|dadfailed|tentative]");
	struct step st = { .kind = STEP_CALL, .pos = pos_at(p, t[0].col), .host = p->host,
			   .call = &call_wait_def, .capture = -1, .loopvar = -1 };
	char ifname[16];
	struct arg *a = arg_next(p, &st, &t[1]);
	int h = a ? want_hostif(p, &t[1], ifname) : -1;
	if (h >= 0) {
		*a = (struct arg){ .kind = ARG_NAME, .i = h, .str = strdup(ifname), .pos = a->pos };
		st.text = tokens_text(t, 0, eq);
	}
	if (h < 0 || !a->str || !st.text || parse_alts(p, t, eq, lt->n, &st) < 0) {
		step_free(&st);
		return h < 0 || p->err[0] ? -1 : perr(p, t[0].col, "out of memory");
	}
	return push_step(p, &st);
}

enum stmt_kind {
	DECLARE,    /* before the steps: host, bridge, require, use */
	TOPOLOGY,   /* before the steps, or a step when under `on HOST` */
	SECTION,    /* on */
	STEP_ONLY,  /* wait */
};
static const struct {
	const char *word;
	int (*fn)(struct parser *, struct line_toks *);
	enum stmt_kind kind;
} statements[] = {
	{ "host", stmt_host, DECLARE }, { "bridge", stmt_bridge, DECLARE },
	{ "require", stmt_require, DECLARE }, { "use", stmt_use, DECLARE },
	{ "link", stmt_link, TOPOLOGY }, { "addr", stmt_addr, TOPOLOGY },
	{ "route", stmt_route, TOPOLOGY }, { "set", stmt_set, TOPOLOGY },
	{ "sysctl", stmt_sysctl, TOPOLOGY }, { "netem", stmt_netem, TOPOLOGY },
	{ "capture", stmt_capture, TOPOLOGY }, { "on", stmt_on, SECTION },
	{ "wait", stmt_wait, STEP_ONLY },
};

static int only_variants(const struct cond *c)
{
	return !c || (c->kind == COND_CMP ? c->subj == SUBJ_VARIANT
		      : only_variants(c->l) && only_variants(c->r));
}

/* A topology line may end in `when COND` over variants: it is then part of
 * the topology of the variants where COND holds. *keep says whether it is. */
static int topo_guard(struct parser *p, struct line_toks *lt, int *keep)
{
	int w = 0;
	while (w < lt->n && !tok_is(&lt->t[w], "when"))
		w++;
	*keep = 1;
	if (w == lt->n)
		return 0;
	struct cond *c;
	int i = w + 1;
	if (parse_cond(p, lt->t, &i, lt->n, &c) < 0)
		return -1;
	if (i != lt->n || !only_variants(c)) {
		cond_free(c);
		return perr(p, lt->t[i < lt->n ? i : w].col, i != lt->n ? "unexpected '%s' after the condition"
			    : "a topology line's 'when' may only test 'vary' values%s", i != lt->n ? lt->t[i].text : "");
	}
	struct cond_ctx ctx = { .variant_values = (const char *const *)p->sc->variant_values };
	*keep = cond_eval(c, &ctx);
	cond_free(c);
	for (int k = w; k < lt->n; k++) {
		free(lt->t[k].text);
		lt->t[k].text = NULL;
	}
	lt->t[w] = lt->t[lt->n];
	lt->n = w;
	return 0;
}

/* What is left of a $name after substitution is no 'vary' name: topology
 * has no run-time variables. */
static int undefined_vars(struct parser *p, const struct line_toks *lt)
{
	for (int i = 0; i < lt->n; i++) {
		const char *d = lt->t[i].kind == TOK_WORD ? strchr(lt->t[i].text, '$') : NULL;
		if (d) {
			size_t n = 1 + strspn(d + 1, "abcdefghijklmnopqrstuvwxyz"
					      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
			return perr(p, lt->t[i].col, "undefined variable '%.*s' (topology lines may use 'vary' names only)",
				    (int)n, d);
		}
	}
	return 0;
}

/* A topology line under `on HOST`: a step that makes the change when the
 * steps reach it, with an expected result after '=' (a sysctl's own '='
 * comes first). */
static int topology_step(struct parser *p, struct line_toks *lt, int (*fn)(struct parser *, struct line_toks *))
{
	struct token *t = lt->t;
	int want = tok_is(&t[0], "sysctl") ? 2 : 1, seen = 0, eq = lt->n;
	for (int k = 0; k < lt->n && eq == lt->n; k++)
		if (tok_is(&t[k], "=") && ++seen == want)
			eq = k;
	struct step st = { .kind = STEP_CALL, .pos = pos_at(p, t[0].col), .host = p->host,
			   .call = &call_topology_def, .capture = -1, .loopvar = -1 };
	st.topo = calloc(1, sizeof *st.topo);
	st.text = tokens_text(t, 0, eq);
	if (!st.topo || !st.text) {
		step_free(&st);
		return perr(p, t[0].col, "out of memory");
	}
	/* the statement sees only its own words, ended as a line is */
	struct token saved = t[eq];
	t[eq] = (struct token){ TOK_END, NULL, 0, saved.col };
	struct line_toks head = { .t = t, .n = eq };
	p->topo = st.topo;
	int keep = 1, rc = undefined_vars(p, &head);
	if (rc == 0)
		rc = topo_guard(p, &head, &keep);    /* `set a:eth0 down when v == x` */
	if (rc == 0 && keep)
		rc = fn(p, &head);
	p->topo = NULL;
	t[eq] = saved;
	if (rc == 0 && keep)
		rc = parse_alts(p, t, eq, lt->n, &st);
	if (rc == 0 && keep && !st.nalts) {
		/* a change the case makes is expected to work: one that fails
		 * is a FAIL with the kernel's errno and message, never a note */
		st.alts = calloc(1, sizeof *st.alts);
		if (st.alts) {
			st.nalts = 1;
			st.alts[0].e = (struct expect){ .kind = EXP_INT, .var = -1, .lo_var = -1, .hi_var = -1,
							.text = strdup("0") };
		}
		rc = st.alts && st.alts[0].e.text ? 0 : perr(p, t[0].col, "out of memory");
	}
	if (rc < 0 || !keep) {
		step_free(&st);
		return rc;
	}
	return push_step(p, &st);
}

static int parse_line(struct parser *p, struct line_toks *lt, int fixture)
{
	const struct token *t = &lt->t[0];
	if (tok_is(t, "title") || tok_is(t, "ref")) {
		if (fixture)
			return perr(p, t->col, "'%s' belongs in a case, not a fixture", t->text);
		return stmt_text(p, lt, tok_is(t, "title"));
	}
	if (tok_is(t, "vary"))
		return fixture ? perr(p, t->col, "'vary' belongs in a case, not a fixture") : 0;
	for (size_t i = 0; i < sizeof statements / sizeof *statements; i++) {
		if (!tok_is(t, statements[i].word) || tok_is(&lt->t[1], "("))
			continue;       /* `sysctl(NAME)` is a call, `sysctl HOST ...` a line */
		enum stmt_kind kind = statements[i].kind;
		int in_steps = p->host >= 0;
		if (fixture && (kind == SECTION || kind == STEP_ONLY))
			return perr(p, t->col, "'%s' belongs in a case, not a fixture", t->text);
		if (kind == DECLARE && in_steps)
			return perr(p, t->col, "'%s' after the first 'on': hosts, bridges, requirements and "
				    "fixtures come before the steps", t->text);
		if (kind == STEP_ONLY && !in_steps)
			return perr(p, t->col, "'%s' is a step: write it under 'on HOST'", t->text);
		if (kind == STEP_ONLY)
			return p->skipping ? 0 : statements[i].fn(p, lt);
		if (kind == TOPOLOGY && in_steps)
			return p->skipping ? 0 : topology_step(p, lt, statements[i].fn);
		int keep = 1, is_on = kind == SECTION, guarded = 0;
		if (is_on && p->depth)
			return perr(p, t->col, "'on' inside a block: close the block with 'end' first");
		for (int k = 0; is_on && k < lt->n; k++)
			guarded |= tok_is(&lt->t[k], "when");
		if (!is_on && undefined_vars(p, lt) < 0)
			return -1;
		if (topo_guard(p, lt, &keep) < 0)
			return -1;
		if (is_on)      /* `on b when v == x`: b's steps are for those variants only */
			p->skipping = !keep;
		if (guarded) {  /* case_load checks that some variant runs it */
			GROW(p->sc->on_when, p->sc->non_when);
			struct srcpos at = pos_at(p, t->col);
			p->sc->on_when[p->sc->non_when++] = (struct on_when){ at.line, at.col, keep };
		}
		return keep ? statements[i].fn(p, lt) : 0;
	}
	if (fixture)
		/* quoted only when it could be a statement: a file that is no
		 * fixture at all must not show its first word (a key, a hash) */
		return t->kind == TOK_WORD && t->len <= 32 &&
		       strspn(t->text, "abcdefghijklmnopqrstuvwxyz0123456789_-") == t->len
			? perr(p, t->col, "unknown topology statement '%s'", t->text)
			: perr(p, t->col, "not a topology statement (is this file a fixture?)");
	if (p->skipping)
		return 0;       /* a step of a section this variant leaves out */
	return parse_step_line(p, lt);
}

int parse_text(struct parser *p, const char *text, int fixture)
{
	int rc = 0, saved_line = p->line, last = 0;
	const char *s = text;
	char *line;
	while (!rc && (line = next_line(p, &s, &last, &rc))) {
		p->raw = line;
		struct line_toks lt;
		int col = 1;
		char msg[CASE_ERRLEN];
		if (lex_line(line, &p->sub, &lt, &col, msg, sizeof msg) < 0) {
			rc = perr(p, col, "%s", msg);
		} else {
			if (lt.n)
				rc = parse_line(p, &lt, fixture);
			lex_free(&lt);
		}
		free(line);
		p->raw = NULL;
	}
	p->nsegs = 0;
	if (!rc && !fixture && p->depth) {
		struct step *open = &p->frames[p->depth].hdr;
		rc = perr_at(p, &open->pos, "'%s' block has no matching 'end'",
			     open->kind == STEP_FOR ? "for" : open->kind == STEP_IF ? "if" : "repeat");
	}
	if (rc == 0)
		p->line = saved_line;
	return rc;
}
