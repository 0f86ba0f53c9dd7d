/* Unit tests for runner/sched/progress.c: status lines redrawn in place.
 * stderr goes to a file here, which has no width: lines are cut at 79. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scheduler.h"

/* What fn wrote on stderr. */
static char *stderr_of(void (*fn)(struct progress *), struct progress *p)
{
	static char buf[4096];
	FILE *f = tmpfile();
	assert_non_null(f);
	fflush(stderr);
	int saved = dup(2);
	dup2(fileno(f), 2);
	fn(p);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(f);
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void draw_two(struct progress *p)
{
	progress_draw(p, (const char *const[]){ "a  booting", "b  running 3/8" }, 2);
}

static void draw_one(struct progress *p)
{
	progress_draw(p, (const char *const[]){ "a  done" }, 1);
}

static void erase(struct progress *p)
{
	progress_erase(p);
}

static void test_lines_redrawn_in_place(void **state)
{
	(void)state;
	struct progress p = { 0 };
	assert_string_equal(stderr_of(draw_two, &p), "\r\033[Ka  booting\n\033[Kb  running 3/8");
	assert_int_equal(p.shown, 2);
	/* back up to the first line; the second, no longer drawn, cleared */
	assert_string_equal(stderr_of(draw_two, &p), "\033[1A\r\033[Ka  booting\n\033[Kb  running 3/8");
	assert_string_equal(stderr_of(draw_one, &p), "\033[1A\r\033[Ka  done\033[J");
	assert_int_equal(p.shown, 1);
	assert_string_equal(stderr_of(erase, &p), "\r\033[K");
	assert_int_equal(p.shown, 0);
}

static void test_two_lines_erased(void **state)
{
	(void)state;
	struct progress p = { 0 };
	stderr_of(draw_two, &p);
	assert_string_equal(stderr_of(erase, &p), "\033[1A\r\033[J");
}

static void draw_long(struct progress *p)
{
	char line[200];
	memset(line, 'x', sizeof line - 1);
	line[sizeof line - 1] = '\0';
	progress_draw(p, (const char *const[]){ line }, 1);
}

static void test_cut_to_the_width(void **state)
{
	(void)state;
	struct progress p = { 0 };
	assert_int_equal(strlen(stderr_of(draw_long, &p)), strlen("\r\033[K") + 79);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_redrawn_in_place),
		cmocka_unit_test(test_two_lines_erased),
		cmocka_unit_test(test_cut_to_the_width),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
