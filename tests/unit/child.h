/* Unit tests that need namespaces of their own run their body in a forked
 * child: the child unshares what it needs and dies with it, and reports
 * back through a pipe. Include after cmocka.h. */
#ifndef NETREPRO_TEST_CHILD_H
#define NETREPRO_TEST_CHILD_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* What a child's body returns when the kernel lacks what the test needs. */
#define CHILD_SKIPPED 77

/* Runs body(arg, why, whylen) in a child, which exits 0 (passed),
 * CHILD_SKIPPED or anything else (failed) with its message in why. The
 * parent skips or fails the cmocka test with that message. The child ends
 * with exit(), not _exit(), so ASan and valgrind check its leaks. */
static void child_run(int (*body)(void *arg, char *why, size_t whylen), void *arg, unsigned timeout_s)
{
	char why[1024] = "";
	int p[2], status = 0;
	ssize_t got;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int rc;

		close(p[0]);
		alarm(timeout_s);
		rc = body(arg, why, sizeof(why));
		if (rc != 0 && write(p[1], why, strlen(why)) < 0)
			rc = 1;
		close(p[1]);
		exit(rc == 0 ? 0 : rc == CHILD_SKIPPED ? CHILD_SKIPPED : 1);
	}
	close(p[1]);
	got = read(p[0], why, sizeof(why) - 1);
	why[got > 0 ? got : 0] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == CHILD_SKIPPED) {
		print_message("skipped: %s\n", why);
		skip();
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("child failed (status 0x%x): %s", status, why);
}

#endif
