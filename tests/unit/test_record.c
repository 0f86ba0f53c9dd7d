/* Unit tests for the record module (reports/record.c, reports/sha256.c):
 * SHA-256 against the FIPS 180-4 / NIST example vectors, the data rule of a
 * step (whole up to 64 KiB, then the head and a digest), the statuses, and
 * the worker's lines into a case. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "sha256.h"

#define ABC448 "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
#define MILLION_A "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"

static void assert_hex(const void *data, size_t n, const char *want)
{
	char hex[2 * SHA256_LEN + 1];
	sha256_hex(data, n, hex);
	assert_string_equal(hex, want);
}

static void test_sha256_vectors(void **state)
{
	(void)state;
	assert_hex("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_hex("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_hex(ABC448, strlen(ABC448),
		   "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	char *a = malloc(1000000);
	assert_non_null(a);
	memset(a, 'a', 1000000);
	assert_hex(a, 1000000, MILLION_A);
	free(a);
}

static void digest_hex(struct sha256 *c, char hex[2 * SHA256_LEN + 1])
{
	unsigned char md[SHA256_LEN];
	sha256_final(c, md);
	for (int i = 0; i < SHA256_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* Any split of the message gives the same digest: one byte at a time, every
 * cut of the 448-bit message, and uneven chunks across block boundaries. */
static void test_sha256_streaming(void **state)
{
	(void)state;
	char hex[2 * SHA256_LEN + 1], whole[2 * SHA256_LEN + 1];
	struct sha256 c;
	size_t n = strlen(ABC448);
	sha256_hex(ABC448, n, whole);
	for (size_t cut = 0; cut <= n; cut++) {
		sha256_init(&c);
		sha256_update(&c, ABC448, cut);
		sha256_update(&c, ABC448 + cut, n - cut);
		digest_hex(&c, hex);
		assert_string_equal(hex, whole);
	}
	sha256_init(&c);
	for (size_t i = 0; i < n; i++)
		sha256_update(&c, ABC448 + i, 1);
	digest_hex(&c, hex);
	assert_string_equal(hex, whole);

	static const size_t chunks[] = { 1, 63, 64, 65, 127, 55, 56, 57, 1000, 4096 };
	char a[4096];
	memset(a, 'a', sizeof a);
	sha256_init(&c);
	for (size_t left = 1000000, k = 0; left; k++) {
		size_t take = chunks[k % 10] < left ? chunks[k % 10] : left;
		sha256_update(&c, a, take);
		left -= take;
	}
	digest_hex(&c, hex);
	assert_string_equal(hex, MILLION_A);
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void test_step_keys(void **state)
{
	(void)state;
	struct step_rec s = { .line = 19, .host = "a", .call = "bind(s4, 0.0.0.0:443)", .ret = -1,
			      .errno_name = "EADDRINUSE", .observed = "EADDRINUSE", .expected = "0",
			      .status = STEP_FAIL, .iter = "p=40003,#2", .detail = "" };
	json_t *j = record_step(&s);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "line")), 19);
	assert_string_equal(str(j, "host"), "a");
	assert_string_equal(str(j, "call"), "bind(s4, 0.0.0.0:443)");
	assert_int_equal(json_integer_value(json_object_get(j, "ret")), -1);
	assert_string_equal(str(j, "errno"), "EADDRINUSE");
	assert_string_equal(str(j, "observed"), "EADDRINUSE");
	assert_string_equal(str(j, "expected"), "0");
	assert_string_equal(str(j, "status"), "fail");
	assert_string_equal(str(j, "iter"), "p=40003,#2");
	assert_null(json_object_get(j, "detail"));
	assert_null(json_object_get(j, "data_len"));
	assert_int_equal(record_step_status(j), STEP_FAIL);
	json_decref(j);

	s = (struct step_rec){ .line = 3, .host = "a", .call = "x = socket(INET, DGRAM)",
			       .observed = "0", .status = STEP_INFO, .detail = "port 40001" };
	j = record_step(&s);
	assert_true(json_is_null(json_object_get(j, "errno")));
	assert_true(json_is_null(json_object_get(j, "expected")));
	assert_string_equal(str(j, "status"), "info");
	assert_null(json_object_get(j, "iter"));
	assert_string_equal(str(j, "detail"), "port 40001");
	json_decref(j);
}

static json_t *data_step(const void *data, size_t n)
{
	struct step_rec s = { .line = 1, .host = "b", .call = "recv(c, 70000)", .ret = (long)n,
			      .observed = "...", .status = STEP_INFO,
			      .data = data, .data_len = n, .has_data = 1 };
	json_t *j = record_step(&s);
	assert_non_null(j);
	return j;
}

static void test_step_data_escaped(void **state)
{
	(void)state;
	json_t *j = data_step("hi\n\"\\\x00\xff~", 8);
	assert_int_equal(json_integer_value(json_object_get(j, "data_len")), 8);
	assert_string_equal(str(j, "data"), "hi\\n\\x22\\x5c\\x00\\xff~");
	json_decref(j);

	j = data_step("", 0);
	assert_int_equal(json_integer_value(json_object_get(j, "data_len")), 0);
	assert_string_equal(str(j, "data"), "");
	assert_null(json_object_get(j, "data_sha256"));
	assert_null(json_object_get(j, "data_truncated"));
	json_decref(j);
}

/* Exactly 64 KiB is kept whole; one byte more keeps 4 KiB and the digest
 * of all of it. Every byte escapes ('\0' is \x00), to check the buffer. */
static void test_step_data_limit(void **state)
{
	(void)state;
	char *buf = calloc(RECORD_DATA_MAX + 1, 1), hex[2 * SHA256_LEN + 1];
	assert_non_null(buf);
	json_t *j = data_step(buf, RECORD_DATA_MAX);
	assert_int_equal(json_integer_value(json_object_get(j, "data_len")), 65536);
	assert_int_equal(strlen(str(j, "data")), 4 * 65536);
	assert_null(json_object_get(j, "data_sha256"));
	assert_null(json_object_get(j, "data_truncated"));
	json_decref(j);

	memset(buf, 'x', RECORD_DATA_MAX + 1);
	buf[RECORD_DATA_MAX] = 'y';   /* only in the digest */
	j = data_step(buf, RECORD_DATA_MAX + 1);
	assert_int_equal(json_integer_value(json_object_get(j, "data_len")), 65537);
	assert_int_equal(strlen(str(j, "data")), 4096);
	assert_int_equal(strspn(str(j, "data"), "x"), 4096);
	sha256_hex(buf, RECORD_DATA_MAX + 1, hex);
	assert_string_equal(str(j, "data_sha256"), hex);
	assert_true(json_is_true(json_object_get(j, "data_truncated")));
	json_decref(j);
	free(buf);
}

static void test_data_escape_cut(void **state)
{
	(void)state;
	char buf[12];
	assert_int_equal(data_escape("abcdefghijkl", 12, buf, sizeof buf), 7);
	assert_string_equal(buf, "abcd...");
}

static void test_status_names(void **state)
{
	(void)state;
	static const char *const names[] = { "PASS", "FAIL", "ERROR", "SKIP", "TIMEOUT", "KNOWN-BUG" };
	enum status st;
	for (int i = 0; i < ST__COUNT; i++) {
		assert_string_equal(status_name((enum status)i), names[i]);
		assert_int_equal(status_parse(names[i], &st), 0);
		assert_int_equal(st, i);
	}
	assert_null(status_name(ST__COUNT));
	assert_int_equal(status_parse("pass", &st), -1);
	assert_int_equal(status_parse("known-bug", &st), -1);
	assert_int_equal(status_parse("", &st), -1);
	assert_int_equal(status_parse(NULL, &st), -1);
	assert_int_equal(record_case_status(NULL), ST__COUNT);
}

static json_t *a_case(void)
{
	static const char *const refs[] = { "https://example.invalid/1" };
	static const char *const names[] = { "v" }, *const values[] = { "0" };
	struct case_info ci = { .id = "t/x[v=0]", .file = "cases/t/x.case", .title = "x",
				.source = "on a\n", .refs = refs, .nrefs = 1,
				.variant_names = names, .variant_values = values, .nvariants = 1 };
	json_t *c = record_case(&ci);
	assert_non_null(c);
	return c;
}

/* The worker's lines make the case; a result with a status we do not know
 * is no result. */
static void test_case_from_lines(void **state)
{
	(void)state;
	json_t *c = a_case();
	assert_int_equal(record_case_status(c), ST_ERROR);
	assert_true(json_is_null(json_object_get(c, "reason")));
	struct step_rec s = { .line = 2, .host = "a", .call = "c", .observed = "0", .status = STEP_PASS };
	char *line = record_step_line(record_step(&s));
	assert_non_null(line);
	assert_int_equal(line[strlen(line) - 1], '\n');
	assert_int_equal(record_case_take_line(c, line), 0);
	free(line);
	assert_int_equal(record_case_take_line(c, "{\"result\": {\"status\": \"NOT-A-STATUS\"}}"), 0);
	line = record_result_line(ST_FAIL, NULL, 7, NULL);
	assert_int_equal(record_case_take_line(c, line), 1);
	free(line);
	assert_int_equal(record_case_status(c), ST_FAIL);
	assert_int_equal(json_integer_value(json_object_get(c, "suppressed")), 7);
	assert_int_equal(json_array_size(json_object_get(c, "steps")), 1);
	record_case_close(c, ST_TIMEOUT, "no result within 1 s", 1.5);
	assert_string_equal(str(c, "status"), "TIMEOUT");
	assert_string_equal(str(c, "reason"), "no result within 1 s");
	json_decref(c);
}

/* What a worker adds to its result (captures) lands in the case; a
 * nondeterministic case says so from the start. */
static void test_result_extra(void **state)
{
	(void)state;
	json_t *c = a_case();
	assert_null(json_object_get(c, "nondeterministic"));
	json_decref(c);
	struct case_info ci = { .id = "x", .file = "x.case", .source = "", .nondeterministic = 1 };
	c = record_case(&ci);
	json_t *extra = json_pack("{s:[{s:s, s:s, s:i}]}", "captures",
				  "host", "a", "file", "cap/x/a-eth0.pcap", "frames", 3);
	char *line = record_result_line(ST_PASS, NULL, 0, extra);
	assert_int_equal(record_case_take_line(c, line), 1);
	free(line);
	assert_int_equal(record_case_status(c), ST_PASS);
	assert_true(json_is_true(json_object_get(c, "nondeterministic")));
	json_t *cap = json_array_get(json_object_get(c, "captures"), 0);
	assert_string_equal(json_string_value(json_object_get(cap, "file")), "cap/x/a-eth0.pcap");
	assert_int_equal(json_integer_value(json_object_get(cap, "frames")), 3);
	json_decref(c);
}

static void test_summary_and_exit_status(void **state)
{
	(void)state;
	json_t *rec = record_new(json_object(), "test");
	enum status sts[] = { ST_PASS, ST_PASS, ST_SKIP };
	for (size_t i = 0; i < 3; i++) {
		json_t *c = a_case();
		record_case_close(c, sts[i], NULL, 0);
		record_add_case(rec, c);
		json_decref(c);
	}
	record_finish(rec, 1);
	assert_int_equal(record_count(rec, ST_PASS), 2);
	assert_int_equal(record_count(rec, ST_SKIP), 1);
	assert_int_equal(record_count(rec, ST_TIMEOUT), 0);
	assert_int_equal(record_exit_status(rec, 0), 0);
	json_t *c = a_case();
	record_case_close(c, ST_TIMEOUT, NULL, 0);
	record_add_case(rec, c);
	json_decref(c);
	record_finish(rec, 1);
	assert_int_equal(record_count(rec, ST_TIMEOUT), 1);
	assert_int_equal(record_exit_status(rec, 0), 1);
	json_decref(rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_vectors),
		cmocka_unit_test(test_sha256_streaming),
		cmocka_unit_test(test_step_keys),
		cmocka_unit_test(test_step_data_escaped),
		cmocka_unit_test(test_step_data_limit),
		cmocka_unit_test(test_data_escape_cut),
		cmocka_unit_test(test_status_names),
		cmocka_unit_test(test_case_from_lines),
		cmocka_unit_test(test_result_extra),
		cmocka_unit_test(test_summary_and_exit_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
