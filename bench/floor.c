/* The floor under netrepro's per-case cost: the pair topology built and torn
 * down by the netns library alone, one forked process per topology as
 * netrepro's workers are, with nothing of netrepro around it (no parsing,
 * no scheduler, no record). make bench prints it next to netrepro's figure.
 * usage: floor N  -> prints the mean milliseconds per topology */
#include "netns.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int pair(void)
{
	char err[NETNS_ERRLEN];
	struct netns_host *a, *b;
	int rootless;
	if (netns_become_root(&rootless, err) < 0 || netns_host_new("a", &a, err) < 0 ||
	    netns_host_new("b", &b, err) < 0 || netns_veth_add(a, "eth0", b, "eth0", err) < 0 ||
	    netns_addr_add(a, "eth0", "10.0.1.1/24", 0, err) < 0 ||
	    netns_addr_add(a, "eth0", "fd00:1::1/64", 0, err) < 0 ||
	    netns_addr_add(b, "eth0", "10.0.1.2/24", 0, err) < 0 ||
	    netns_addr_add(b, "eth0", "fd00:1::2/64", 0, err) < 0 ||
	    netns_link_wait_running(a, "eth0", 2000, err) < 0 ||
	    netns_link_wait_running(b, "eth0", 2000, err) < 0) {
		fprintf(stderr, "floor: %s\n", err);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100;
	double t0 = now_ms();
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(pair());
		int status;
		if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			return 1;
	}
	printf("%.4f\n", (now_ms() - t0) / n);
	return 0;
}
