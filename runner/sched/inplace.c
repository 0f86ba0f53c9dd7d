/* In place: a case run in the network namespace netrepro was started in,
 * where the platform's own network answers (WSL, a container). Nothing of
 * it is ever changed, so only a case that needs nothing but one host's own
 * stack, and finds the sysctls it sets already set, runs. */
#include "inplace.h"
#include "exec.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netns.h"

int sysctl_here(const char *name, char *buf, size_t len)
{
	char err[NETNS_ERRLEN];
	return netns_sysctl_get(NULL, name, buf, len, err);
}

static int steps_change_network(const struct step *st, int n)
{
	for (int i = 0; i < n; i++)
		if (st[i].topo || (st[i].call && !strcmp(st[i].call->name, "wait")) ||
		    steps_change_network(st[i].body, st[i].nbody) || steps_change_network(st[i].els, st[i].nels))
			return 1;
	return 0;
}

/* The fixed ports the case binds (bind(s, ADDR:PORT) with a number). */
static void fixed_ports(const struct step *st, int n, int *ports, int *nports, int max)
{
	for (int i = 0; i < n; i++) {
		const struct step *s = &st[i];
		fixed_ports(s->body, s->nbody, ports, nports, max);
		fixed_ports(s->els, s->nels, ports, nports, max);
		if (!s->call || strcmp(s->call->name, "bind") || s->nargs < 2 || s->args[1].kind != ARG_ADDR ||
		    s->args[1].addr.port_var >= 0 || *nports == max)
			continue;
		const struct sockaddr_storage *ss = &s->args[1].addr.ss;
		int port = ss->ss_family == AF_INET ? ntohs(((const struct sockaddr_in *)ss)->sin_port)
			 : ss->ss_family == AF_INET6 ? ntohs(((const struct sockaddr_in6 *)ss)->sin6_port) : 0;
		if (port)
			ports[(*nports)++] = port;
	}
}

/* Whether a socket of this namespace holds the local port (any state, any
 * address), from /proc/net/{tcp,tcp6,udp,udp6}: name says where. */
static int port_in_use(int port, const char **where)
{
	static const char *const tables[] = { "tcp", "tcp6", "udp", "udp6" };
	for (size_t t = 0; t < sizeof tables / sizeof *tables; t++) {
		char path[64], line[512];
		snprintf(path, sizeof path, "/proc/net/%s", tables[t]);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		int found = 0;
		while (!found && fgets(line, sizeof line, f)) {
			const char *colon = strchr(line, ':');
			colon = colon ? strchr(colon + 1, ':') : NULL;     /* after "sl:" and the address */
			unsigned p;
			found = colon && sscanf(colon + 1, "%x", &p) == 1 && (int)p == port;
		}
		fclose(f);
		if (found) {
			*where = tables[t];
			return 1;
		}
	}
	return 0;
}

#define CAP_NET_BIND_SERVICE_BIT 10
#define CAP_NET_ADMIN_BIT 12
#define CAP_NET_RAW_BIT 13

/* Whether this process holds capability bit in its effective set. */
static int has_cap(int bit)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long eff = 0;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	if (f)
		fclose(f);
	return (eff >> bit) & 1;
}

/* What the steps need that the kernel grants only with a capability (in
 * namespaces netrepro holds them all; in place it may not): a raw socket
 * or SO_BINDTODEVICE (CAP_NET_RAW), IP_TRANSPARENT (CAP_NET_ADMIN), a fixed
 * port below net.ipv4.ip_unprivileged_port_start (CAP_NET_BIND_SERVICE).
 * The first one missing, by name, or NULL. */
static const char *missing_cap(const struct step *st, int n, long low_ports)
{
	for (int i = 0; i < n; i++) {
		const struct step *s = &st[i];
		const char *inner = missing_cap(s->body, s->nbody, low_ports);
		if (!inner)
			inner = missing_cap(s->els, s->nels, low_ports);
		if (inner)
			return inner;
		const char *call = s->call ? s->call->name : "";
		if (!strcmp(call, "socket") && s->nargs > 1 && s->args[1].i == SOCK_RAW && !has_cap(CAP_NET_RAW_BIT))
			return "CAP_NET_RAW (a raw socket)";
		if (s->opt && (!strcmp(s->opt->name, "SO_BINDTODEVICE") || !strcmp(s->opt->name, "SO_BINDTOIFINDEX")) &&
		    !strcmp(call, "setsockopt") && !has_cap(CAP_NET_RAW_BIT))
			return "CAP_NET_RAW (SO_BINDTODEVICE)";
		if (s->opt && !strcmp(s->opt->name, "IP_TRANSPARENT") && !has_cap(CAP_NET_ADMIN_BIT))
			return "CAP_NET_ADMIN (IP_TRANSPARENT)";
		if (!strcmp(call, "bind") && s->nargs > 1 && s->args[1].kind == ARG_ADDR && s->args[1].addr.port_var < 0) {
			const struct sockaddr_storage *ss = &s->args[1].addr.ss;
			int port = ss->ss_family == AF_INET ? ntohs(((const struct sockaddr_in *)ss)->sin_port)
				 : ss->ss_family == AF_INET6 ? ntohs(((const struct sockaddr_in6 *)ss)->sin6_port) : 0;
			if (port && port < low_ports && !has_cap(CAP_NET_BIND_SERVICE_BIT))
				return "CAP_NET_BIND_SERVICE (a port below net.ipv4.ip_unprivileged_port_start)";
		}
	}
	return NULL;
}

int inplace_obstacle(const struct scenario *sc, char *why, size_t len)
{
	const struct topology *t = &sc->topo;
	if (sc->nhosts != 1)
		return snprintf(why, len, "needs %d hosts; in place there is only this namespace's own stack",
				sc->nhosts), 1;
	if (t->nlinks || sc->nbridges || t->naddrs || t->nroutes || t->nsets || t->nnetems || t->ncaptures)
		return snprintf(why, len, "builds a network (link, addr, route, set, netem or capture lines); "
				"in place nothing of the host is changed"), 1;
	if (steps_change_network(sc->steps, sc->nsteps))
		return snprintf(why, len, "changes the network while it runs; in place nothing of the host "
				"is changed"), 1;
	for (int i = 0; i < t->nsysctls; i++) {
		char have[256];
		const struct topo_sysctl *s = &t->sysctls[i];
		if (sysctl_here(s->name, have, sizeof have) < 0)
			return snprintf(why, len, "sets %s, which this namespace does not have", s->name), 1;
		if (strcmp(have, s->value))
			return snprintf(why, len, "needs %s = %s; this host has %s (in place nothing is changed)",
					s->name, s->value, have), 1;
	}
	char low[32];
	const char *cap = missing_cap(sc->steps, sc->nsteps,
				      sysctl_here("net.ipv4.ip_unprivileged_port_start", low, sizeof low) < 0 ? 1024 : atol(low));
	if (cap)
		return snprintf(why, len, "needs %s, which this process does not hold", cap), 1;
	int ports[64], nports = 0;
	fixed_ports(sc->steps, sc->nsteps, ports, &nports, 64);
	for (int i = 0; i < nports; i++) {
		const char *where;
		if (port_in_use(ports[i], &where))
			return snprintf(why, len, "binds port %d, which a socket of this host holds (%s): "
					"in place, the host's own services are not disturbed", ports[i], where), 1;
	}
	return 0;
}

int inplace_netns_probe(char *why, size_t len)
{
	int p[2];
	if (pipe(p) < 0)
		return snprintf(why, len, "pipe: %s", strerror(errno)), 0;
	pid_t pid = fork();
	if (pid == 0) {
		/* what a worker does first: a user namespace when not root,
		 * then a network namespace */
		char err[NETNS_ERRLEN] = "";
		int rootless, rc = netns_become_root(&rootless, err);
		if (rc == 0 && unshare(CLONE_NEWNET) < 0) {
			rc = -errno;
			snprintf(err, sizeof err, "unshare(CLONE_NEWNET): %s", strerror(errno));
		}
		if (rc < 0 && write(p[1], err, strlen(err)) < 0)
			_exit(2);
		_exit(rc < 0);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return snprintf(why, len, "fork: %s", strerror(errno)), 0;
	}
	ssize_t n = read(p[0], why, len - 1);
	why[n > 0 ? n : 0] = '\0';
	close(p[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 1;
	if (!why[0])
		snprintf(why, len, "the probe ended with status 0x%x", status);
	return 0;
}
