/* Unit tests for the parser's work on large input: the lexer's token array
 * and the link-end index grow and search in bounded work, counted through
 * the counters they keep (grows, compares), not timed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lex.h"
#include "parse_int.h"

static int log2i(long n)
{
	int k = 0;
	while (n >>= 1)
		k++;
	return k;
}

/* unit, n times over, lexed: 0 or -1. */
static int lex_repeated(const char *unit, int n, struct line_toks *lt)
{
	size_t len = strlen(unit);
	char *line = malloc(len * (size_t)n + 1), err[256];
	assert_non_null(line);
	for (int i = 0; i < n; i++)
		memcpy(line + len * (size_t)i, unit, len);
	line[len * (size_t)n] = '\0';
	int col, rc = lex_line(line, NULL, lt, &col, err, sizeof err);
	free(line);
	return rc;
}

/* 300k tokens on one line: a slot a token took 300k reallocations (a
 * copy of the whole array each, under ASan); doubling takes ~15. */
static void test_long_line_grows_geometrically(void **state)
{
	(void)state;
	enum { N = 300000 };
	struct line_toks lt;
	assert_int_equal(lex_repeated("x,", N, &lt), 0);
	assert_int_equal(lt.n, 2 * N);
	assert_true(lt.grows <= 2 + log2i(2L * N));
	assert_true(lt.cap >= lt.n + 1);
	assert_null(lt.t[lt.n].text);   /* still closed by TOK_END */
	assert_int_equal(lt.t[lt.n].kind, TOK_END);
	lex_free(&lt);
}

/* 100k strings on one line: each used to get a buffer as long as the whole
 * line (10 GB allocated and cleared, in all); the right size each now. */
static void test_many_strings_on_a_line(void **state)
{
	(void)state;
	enum { N = 100000 };
	struct line_toks lt;
	assert_int_equal(lex_repeated("\"\" ", N, &lt), 0);
	assert_int_equal(lt.n, N);
	assert_int_equal(lt.t[N - 1].kind, TOK_STR);
	assert_int_equal(lt.t[N - 1].len, 0);
	lex_free(&lt);
}

/* A topology of 100k links over 16 hosts: sorting, a lookup per end and the
 * duplicate search stay within a few n log n comparisons, where comparing
 * every pair of ends would be 2e10. */
static void test_link_ends_work_is_n_log_n(void **state)
{
	(void)state;
	enum { LINKS = 100000 };
	struct topology t = { .links = calloc(LINKS, sizeof *t.links), .nlinks = LINKS };
	assert_non_null(t.links);
	for (int i = 0; i < LINKS; i++) {
		struct topo_link *l = &t.links[i];
		l->a = i % 16;
		l->b = (i + 1) % 16;
		snprintf(l->ifa, sizeof l->ifa, "a%d", i);
		snprintf(l->ifb, sizeof l->ifb, "b%d", i);
	}
	const struct topology *tops = &t;
	struct link_ends ix;
	assert_int_equal(link_ends_index(&ix, &tops, 1), 0);
	assert_int_equal(ix.n, 2 * LINKS);
	assert_null(link_ends_first_twin(&ix));
	for (int i = 0; i < LINKS; i++) {
		assert_true(link_ends_has(&ix, t.links[i].b, t.links[i].ifb));
		assert_false(link_ends_has(&ix, t.links[i].b, t.links[i].ifa));
	}
	long n = 2L * LINKS;
	assert_true(ix.compares < 8 * n * (log2i(n) + 1));
	link_ends_free(&ix);

	/* a twin: the later end, in file order, of the first name used twice */
	strcpy(t.links[70000].ifb, "a5000");
	t.links[70000].b = t.links[5000].a;
	strcpy(t.links[90000].ifa, "b10");
	t.links[90000].a = t.links[10].b;
	assert_int_equal(link_ends_index(&ix, &tops, 1), 0);
	const struct link_end *twin = link_ends_first_twin(&ix);
	assert_non_null(twin);
	assert_ptr_equal(twin->link, &t.links[70000]);
	assert_string_equal(twin->name, "a5000");
	link_ends_free(&ix);
	free(t.links);
}

static int load_links(const char *dir, const char *extra, char *err)
{
	enum { LINKS = 20000 };
	char path[64];
	snprintf(path, sizeof path, "%s/many.case", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "host a b\n");
	for (int i = 0; i < LINKS; i++)
		fprintf(f, "link a:e%d b:e%d\naddr a:e%d 10.%d.%d.1/30\n", i, i, i, i >> 8 & 255, i & 255);
	fprintf(f, "%son a\n  s = socket(INET, STREAM)\n", extra);
	fclose(f);
	struct case_file cf;
	int rc = case_load(path, "many", &cf, err);
	if (rc == 0) {
		assert_int_equal(cf.sc[0]->topo.nlinks, LINKS + (extra[0] != 0));
		case_file_free(&cf);
	}
	unlink(path);
	return rc;
}

/* The same through the parser: a case of 20k links and 20k addresses on
 * them loads (each address used to scan every link, each link end every
 * earlier one), and a repeated end is still named at its line. */
static void test_many_links_load(void **state)
{
	(void)state;
	char dir[] = "/tmp/netrepro-limits-XXXXXX", err[CASE_ERRLEN];
	assert_non_null(mkdtemp(dir));
	assert_int_equal(load_links(dir, "", err), 0);
	assert_int_equal(load_links(dir, "link a:x b:e7\n", err), -1);
	char want[128];
	snprintf(want, sizeof want, "%s/many.case:40002:1: host b already has an interface 'e7'", dir);
	assert_string_equal(err, want);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long_line_grows_geometrically),
		cmocka_unit_test(test_many_strings_on_a_line),
		cmocka_unit_test(test_link_ends_work_is_n_log_n),
		cmocka_unit_test(test_many_links_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
