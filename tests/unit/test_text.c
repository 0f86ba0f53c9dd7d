/* Unit tests for text from elsewhere (reports/text.c): each output kind's
 * escaping, UTF-8 cuts, the shell quoting of a command line, and the KTAP
 * line `run` prints for a case whose strings are hostile. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "report.h"

/* What fn writes, as a string the caller frees. */
#define CAPTURE(buf, call)                                                       \
	do {                                                                     \
		size_t len_;                                                     \
		FILE *f = open_memstream(&(buf), &len_);                         \
		assert_non_null(f);                                              \
		call;                                                            \
		assert_int_equal(fclose(f), 0);                                  \
	} while (0)

static void assert_text(const char *in, enum text_kind kind, const char *want)
{
	char *out = NULL;
	CAPTURE(out, put_text(f, in, kind));
	assert_string_equal(out, want);
	free(out);
}

static void test_control_characters_made_visible(void **state)
{
	(void)state;
	assert_text("a\nok 7 x\x1b[31m\r\t\x7f", TEXT_TERM, "a\\nok 7 x\\x1b[31m\\r\\t\\x7f");
	/* C1 controls, line separators and bidirectional overrides, as UTF-8 */
	assert_text("\xc2\x85|\xe2\x80\xa8|\xe2\x80\xae|\xef\xbb\xbf", TEXT_TERM, "\\x85|\\u2028|\\u202e|\\ufeff");
	/* not UTF-8: a stray continuation byte, an overlong '/', a cut character, a surrogate */
	assert_text("\x80|\xc0\xaf|\xe2\x80|\xed\xa0\x80", TEXT_TERM, "\\x80|\\xc0\\xaf|\\xe2\\x80|\\xed\\xa0\\x80");
	assert_text("é🐞 plain", TEXT_TERM, "é🐞 plain");
	assert_text(NULL, TEXT_TERM, "");
}

static void test_each_kind_escapes_its_own(void **state)
{
	(void)state;
	assert_text("a # b", TEXT_KTAP, "a \\x23 b");
	assert_text("<a href=\"x\" onclick='y'>&\n", TEXT_HTML, "&lt;a href=&quot;x&quot; onclick='y'&gt;&amp;\n");
	assert_text("\"]]>\n\t'\x1b", TEXT_XML_ATTR, "&quot;]]&gt;&#10;&#9;&apos;\\x1b");
	assert_text("]]>\n\x01", TEXT_XML_BODY, "]]&gt;\n\\x01");
	/* a '\' before a '|' cannot take its escape off */
	assert_text("a\\|b`*_[x](y) <i>&#\n", TEXT_MD, "a\\\\\\|b\\`\\*\\_\\[x](y) &lt;i&gt;&amp;\\#\\n");
	assert_text("a|b<c>\n", TEXT_MD_CODE, "a\\|b<c>\\n");
	assert_text("```\n\x1b\tx", TEXT_MD_BLOCK, "```\n\\x1b\tx");
}

static void test_utf8_whole(void **state)
{
	(void)state;
	const char *s = "aé🐞";   /* 1 + 2 + 4 bytes */
	size_t want[] = { 0, 1, 1, 3, 3, 3, 3, 7 };
	for (size_t n = 0; n < sizeof want / sizeof *want; n++)
		assert_int_equal(utf8_whole(s, n), want[n]);
}

static void test_textf(void **state)
{
	(void)state;
	char *out = NULL;
	CAPTURE(out, put_textf(f, TEXT_TERM, "%s: %d %lld %zu %.1f %5s%%\n", "a\nb", -3, 1LL << 40, (size_t)7,
			       2.25, "x"));
	assert_string_equal(out, "a\\nb: -3 1099511627776 7 2.2 x%\n");
	free(out);
}

static void assert_word(const char *in, int quoted, const char *want)
{
	char *out = NULL;
	CAPTURE(out, put_shell_word(f, in, quoted));
	assert_string_equal(out, want);
	free(out);
}

static void test_shell_words(void **state)
{
	(void)state;
	assert_word("cases/seed/x.case", 0, "cases/seed/x.case");
	assert_word("seed/x", 1, "'seed/x'");
	assert_word("", 0, "''");
	assert_word("x';./cases/evil.sh;'", 1, "'x'\\'';./cases/evil.sh;'\\'''");
	assert_word("$(id) `id` *", 0, "'$(id) `id` *'");
	assert_word("a\nb'\\\x1b", 0, "$'a\\x0ab\\'\\\\\\x1b'");
}

/* `run` prints each case through ktap_case: one line per result, whatever
 * the id, the title, a step or the reason holds. */
static void test_ktap_case_of_hostile_strings(void **state)
{
	(void)state;
	const char *evil = "x\nok 7 forged # SKIP \x1b[31mRED";
	json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:[{s:i, s:s, s:s, s:s, s:s, s:s, s:s}]}", "id", evil, "title",
			      evil, "status", "FAIL", "reason", evil, "steps", "line", 3, "host", evil, "call", evil,
			      "expected", evil, "observed", evil, "status", "fail", "detail", evil);
	assert_non_null(c);
	char *out = NULL;
	CAPTURE(out, ktap_case(f, 1, c));
	int results = 0;
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		assert_null(strchr(line, '\x1b'));
		if (line[0] == '#')
			continue;
		results++;
		assert_string_equal(line, "not ok 1 x\\nok 7 forged \\x23 SKIP \\x1b[31mRED");
	}
	assert_int_equal(results, 1);
	free(out);
	json_object_set_new(c, "status", json_string("<b>NEW</b>"));
	CAPTURE(out, ktap_case(f, 2, c));
	assert_non_null(strstr(out, "\nnot ok 2 x\\nok 7 forged \\x23 SKIP \\x1b[31mRED # ERROR status <b>NEW</b> x\\n"));
	free(out);
	json_decref(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_control_characters_made_visible),
		cmocka_unit_test(test_each_kind_escapes_its_own),
		cmocka_unit_test(test_utf8_whole),
		cmocka_unit_test(test_textf),
		cmocka_unit_test(test_shell_words),
		cmocka_unit_test(test_ktap_case_of_hostile_strings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
