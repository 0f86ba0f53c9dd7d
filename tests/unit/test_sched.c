/* Unit tests for runner/sched/scheduler.c and runner/sched/spawner.c: what a case's
 * status becomes from what its worker did (a result, an exit status, a
 * signal, a hang) and how many workers live at once (-j). The workers here
 * are small functions (sched_opts.work) instead of worker_main: no
 * namespace is made, so these run without root. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scheduler.h"

#define NCASES 4

/* Inherited by the fake workers through both forks: a byte written when
 * one starts and another when it is about to exit. */
static int running_fd[2] = { -1, -1 };

static void say(int fd, const char *line)
{
	size_t len = strlen(line);
	assert_true(write(fd, line, len) == (ssize_t)len);
}

static int work_pass(const struct scenario *sc, const struct worker_opts *o, int fd)
{
	(void)sc, (void)o;
	say(fd, "{\"step\": {\"line\": 3, \"call\": \"x\", \"status\": \"pass\"}}\n");
	say(fd, "{\"result\": {\"status\": \"PASS\", \"reason\": null, \"suppressed\": 0}}\n");
	return 0;
}

static int work_pass_then_exit3(const struct scenario *sc, const struct worker_opts *o, int fd)
{
	work_pass(sc, o, fd);
	return 3;
}

static int work_segv_before_result(const struct scenario *sc, const struct worker_opts *o, int fd)
{
	(void)sc, (void)o;
	say(fd, "{\"step\": {\"line\": 3, \"call\": \"x\", \"status\": \"pass\"}}\n");
	signal(SIGSEGV, SIG_DFL);
	raise(SIGSEGV);
	return 0;
}

static int work_exit_before_result(const struct scenario *sc, const struct worker_opts *o, int fd)
{
	(void)sc, (void)o, (void)fd;
	return 7;
}

/* The whole record at once, then a second more before it exits (a slow
 * teardown). */
static int work_pass_then_linger(const struct scenario *sc, const struct worker_opts *o, int fd)
{
	work_pass(sc, o, fd);
	close(fd);
	usleep(1000 * 1000);
	return 0;
}

static int work_hang(const struct scenario *sc, const struct worker_opts *o, int fd)
{
	(void)sc, (void)o, (void)fd;
	for (;;)
		pause();
	return 0;
}

/* '+' when it starts; its result; '-' only once it is about to exit. */
static int work_count(const struct scenario *sc, const struct worker_opts *o, int fd)
{
	say(running_fd[1], "+");
	work_pass(sc, o, fd);
	usleep(200 * 1000);     /* long enough for -j 2 to overlap two */
	say(running_fd[1], "-");
	return 0;
}

static struct scenario cases[NCASES];
static struct scenario *casev[NCASES];

static int setup(void **state)
{
	(void)state;
	static const char *ids[NCASES] = { "c0", "c1", "c2", "c3" };
	for (int i = 0; i < NCASES; i++) {
		cases[i] = (struct scenario){ .file = "cases/t.case", .id = (char *)ids[i],
					      .title = "t", .source = "" };
		casev[i] = &cases[i];
	}
	return 0;
}

static void run(int jobs, double timeout_s, int n, worker_fn *work, json_t **recs)
{
	struct sched_opts o = { .jobs = jobs, .timeout_s = timeout_s, .work = work };
	sched_run(casev, n, &o, recs);
	for (int i = 0; i < n; i++)
		assert_non_null(recs[i]);
}

static const char *field(json_t *rec, const char *name)
{
	const char *s = json_string_value(json_object_get(rec, name));
	return s ? s : "";
}

static void free_recs(json_t **recs, int n)
{
	for (int i = 0; i < n; i++)
		json_decref(recs[i]);
}

static void test_pass_keeps_steps(void **state)
{
	(void)state;
	json_t *recs[NCASES];
	run(2, 10, NCASES, work_pass, recs);
	for (int i = 0; i < NCASES; i++) {
		assert_string_equal(field(recs[i], "status"), "PASS");
		assert_string_equal(field(recs[i], "id"), cases[i].id);
		assert_int_equal(json_array_size(json_object_get(recs[i], "steps")), 1);
		assert_true(json_is_null(json_object_get(recs[i], "reason")));
	}
	free_recs(recs, NCASES);
}

/* One case run by work: its status and reason ("" for none). */
static void expect_one(worker_fn *work, double timeout_s, const char *status, const char *reason)
{
	json_t *recs[1];
	run(1, timeout_s, 1, work, recs);
	assert_string_equal(field(recs[0], "status"), status);
	assert_string_equal(field(recs[0], "reason"), reason);
	free_recs(recs, 1);
}

static void test_exit_status_after_result_is_error(void **state)
{
	(void)state;
	expect_one(work_pass_then_exit3, 10, "ERROR", "worker exited with status 3 after its result");
}

static void test_signal_before_result_is_error(void **state)
{
	(void)state;
	json_t *recs[1];
	run(1, 10, 1, work_segv_before_result, recs);
	assert_string_equal(field(recs[0], "status"), "ERROR");
	assert_non_null(strstr(field(recs[0], "reason"), "worker killed by signal 11"));
	assert_int_equal(json_array_size(json_object_get(recs[0], "steps")), 1);
	free_recs(recs, 1);
}

static void test_exit_before_result_is_error(void **state)
{
	(void)state;
	expect_one(work_exit_before_result, 10, "ERROR", "worker exited with status 7 before its result");
}

static void test_hang_is_timeout(void **state)
{
	(void)state;
	json_t *recs[2];
	run(2, 0.3, 2, work_hang, recs);
	for (int i = 0; i < 2; i++) {
		assert_string_equal(field(recs[i], "status"), "TIMEOUT");
		assert_string_equal(field(recs[i], "reason"), "no result within 0.3 s");
	}
	free_recs(recs, 2);
}

/* Its record was complete before the deadline; its worker took longer to
 * exit: not a TIMEOUT (its status only comes after the deadline). */
static void test_record_in_time_is_not_timeout(void **state)
{
	(void)state;
	expect_one(work_pass_then_linger, 0.4, "PASS", "");    /* a loaded machine has 0.4 s */
}

static int counted;

static void count_done(void *arg, int index, json_t *rec)
{
	(void)arg, (void)rec;
	assert_int_equal(index, counted);
	counted++;
}

/* In a child of the test: what the run does to a process state it must
 * put up with, then the run; exits with the number of cases reported. */
static int child_run(int no_fds, int ignore_sigchld)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(20);      /* a hang fails the test rather than the suite */
		if (ignore_sigchld)
			signal(SIGCHLD, SIG_IGN);
		if (no_fds) {   /* not one descriptor more: no spawner */
			int next = dup(0);
			struct rlimit rl = { (rlim_t)next, (rlim_t)next };
			close(next);
			if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
				_exit(100);
		}
		json_t *recs[NCASES];
		struct sched_opts o = { .jobs = 2, .timeout_s = 10, .work = work_pass,
					.done = count_done };
		sched_run(casev, NCASES, &o, recs);
		/* without a spawner: ERROR, saying why; else PASS */
		const char *status = no_fds ? "ERROR" : "PASS";
		const char *reason = no_fds ? "cannot start a worker: Too many open files" : "";
		for (int i = 0; i < NCASES; i++)
			if (!recs[i] || strcmp(field(recs[i], "status"), status) ||
			    strcmp(field(recs[i], "reason"), reason))
				_exit(101);
		_exit(counted);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* No spawner (not a descriptor to spare): every case is still reported,
 * as an ERROR saying why. */
static void test_no_spawner_reports_every_case(void **state)
{
	(void)state;
	assert_int_equal(child_run(1, 0), NCASES);
}

/* SIGCHLD ignored by whoever started netrepro (it survives exec): the
 * spawner must still get its workers' exit statuses. */
static void test_ignored_sigchld_does_not_hang(void **state)
{
	(void)state;
	assert_int_equal(child_run(0, 1), NCASES);
}

/* The most workers alive at once in a run of NCASES cases with -j jobs:
 * -j bounds the workers, exits included, not just the cases running. */
static int most_at_once(int jobs)
{
	json_t *recs[NCASES];
	assert_int_equal(pipe(running_fd), 0);
	run(jobs, 20, NCASES, work_count, recs);
	for (int i = 0; i < NCASES; i++)
		assert_string_equal(field(recs[i], "status"), "PASS");
	free_recs(recs, NCASES);
	close(running_fd[1]);
	char buf[64];
	ssize_t len = read(running_fd[0], buf, sizeof buf);
	close(running_fd[0]);
	assert_int_equal(len, 2 * NCASES);
	int now = 0, most = 0;
	for (ssize_t i = 0; i < len; i++) {
		now += buf[i] == '+' ? 1 : -1;
		most = now > most ? now : most;
	}
	assert_int_equal(now, 0);
	return most;
}

static void test_jobs_1_one_at_a_time(void **state)
{
	(void)state;
	assert_int_equal(most_at_once(1), 1);
}

static void test_jobs_2_two_at_a_time(void **state)
{
	(void)state;
	assert_int_equal(most_at_once(2), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pass_keeps_steps),
		cmocka_unit_test(test_exit_status_after_result_is_error),
		cmocka_unit_test(test_signal_before_result_is_error),
		cmocka_unit_test(test_exit_before_result_is_error),
		cmocka_unit_test(test_hang_is_timeout),
		cmocka_unit_test(test_record_in_time_is_not_timeout),
		cmocka_unit_test(test_no_spawner_reports_every_case),
		cmocka_unit_test(test_ignored_sigchld_does_not_hang),
		cmocka_unit_test(test_jobs_1_one_at_a_time),
		cmocka_unit_test(test_jobs_2_two_at_a_time),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
