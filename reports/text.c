/* Text from elsewhere, written safely. A case file travels with a bug
 * ticket and a run record comes back from CI: every string in them (an id,
 * a title, a sysctl's name, a status) may be written to attack what reads
 * the output, a terminal, a KTAP parser, a browser, a shell. Each output
 * kind is one table saying what its special characters become; what no
 * output may hold raw (control characters, bytes that are not UTF-8,
 * characters that reorder or break lines unseen) is made visible, as \n,
 * \x1b or \u202e, the same way everywhere. */
#include "report.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The length of the character at s (1..4) and its code point; 0 when s
 * does not start a well-formed one (a stray continuation byte, an overlong
 * form, a surrogate, a character cut short). */
static int utf8_char(const unsigned char *s, uint32_t *cp)
{
	static const struct { unsigned char mask, lead; int len; uint32_t min; } forms[] = {
		{ 0x80, 0x00, 1, 0 }, { 0xe0, 0xc0, 2, 0x80 }, { 0xf0, 0xe0, 3, 0x800 }, { 0xf8, 0xf0, 4, 0x10000 },
	};
	for (size_t k = 0; k < sizeof forms / sizeof *forms; k++) {
		if ((s[0] & forms[k].mask) != forms[k].lead)
			continue;
		uint32_t c = s[0] & (unsigned char)~forms[k].mask;
		for (int i = 1; i < forms[k].len; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (s[i] & 0x3f);
		}
		if (c < forms[k].min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return 0;
		*cp = c;
		return forms[k].len;
	}
	return 0;
}

size_t utf8_whole(const char *s, size_t n)
{
	size_t p = n;
	while (p > 0 && n - p < 4 && ((unsigned char)s[p - 1] & 0xc0) == 0x80)
		p--;
	if (p == 0 || ((unsigned char)s[p - 1] & 0xc0) != 0xc0)
		return n;       /* ends in ASCII, or in bytes that are no character anyway */
	unsigned char lead = (unsigned char)s[p - 1];
	size_t len = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
	return p - 1 + len > n ? p - 1 : n;
}

/* Characters no output shows raw: they move the cursor, end a line that a
 * reader takes for another, or reorder what is shown (Trojan Source). */
static int invisible(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
	       c == 0x2028 || c == 0x2029 || (c >= 0x2066 && c <= 0x2069) || c == 0xfeff;
}

/* Per kind, what an ASCII character becomes (NULL: itself, or made
 * visible when it is a control character). */
static const char *const escapes[TEXT__COUNT][128] = {
	[TEXT_KTAP] = { ['#'] = "\\x23" },
	/* '\'' as is: every attribute this writes is in "..." */
	[TEXT_HTML] = { ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;", ['\n'] = "\n", ['\t'] = "\t" },
	[TEXT_XML_ATTR] = { ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;", ['\''] = "&apos;",
			    ['\n'] = "&#10;", ['\t'] = "&#9;" },
	[TEXT_XML_BODY] = { ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['\n'] = "\n", ['\t'] = "\t" },
	/* entities work in Markdown text and in the HTML blocks around it
	 * alike (quotes are text in both: no tag starts without '<'); '[' is
	 * enough to stop a link; a '\' of the text is escaped, or it would
	 * take the escape off a '|' that follows it */
	[TEXT_MD] = { ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['\\'] = "\\\\", ['`'] = "\\`",
		      ['*'] = "\\*", ['_'] = "\\_", ['['] = "\\[", ['|'] = "\\|", ['#'] = "\\#", ['~'] = "\\~" },
	/* in a code span nothing is special but the '|' of a table */
	[TEXT_MD_CODE] = { ['|'] = "\\|" },
	[TEXT_MD_BLOCK] = { ['\n'] = "\n", ['\t'] = "\t" },
};

static void put_visible(FILE *f, uint32_t c)
{
	static const char *const names[32] = { ['\n'] = "\\n", ['\t'] = "\\t", ['\r'] = "\\r" };
	if (c < 32 && names[c])
		fputs(names[c], f);
	else if (c < 0x100)
		fprintf(f, "\\x%02x", (unsigned)c);
	else
		fprintf(f, "\\u%04x", (unsigned)c);
}

void put_text(FILE *f, const char *s, enum text_kind kind)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	while (*p) {
		uint32_t c;
		int len = utf8_char(p, &c);
		if (!len) {
			fprintf(f, "\\x%02x", *p++);    /* not UTF-8: the byte, shown */
			continue;
		}
		const char *to = c < 128 ? escapes[kind][c] : NULL;
		if (to)
			fputs(to, f);
		else if (invisible(c))
			put_visible(f, c);
		else
			fwrite(p, 1, (size_t)len, f);
		p += len;
	}
}

char *text_dup(const char *s, enum text_kind kind)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	put_text(f, s, kind);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Markdown that holds text from elsewhere. */
static int longest_backticks(const char *s)
{
	int run = 0, longest = 0;
	for (; *s; s++)
		longest = (run = *s == '`' ? run + 1 : 0) > longest ? run : longest;
	return longest;
}

static void backticks(FILE *f, int n)
{
	for (int i = 0; i < n; i++)
		fputc('`', f);
}

/* A code span whose fence is longer than any run of '`' in s (with a blank
 * inside when s starts or ends with one); '|' escaped, as a table wants. */
void md_code(FILE *f, const char *s)
{
	if (!*s)
		return;
	int fence = longest_backticks(s) + 1;
	size_t len = strlen(s);
	int pad = s[0] == '`' || s[len - 1] == '`';
	backticks(f, fence);
	fputs(pad ? " " : "", f);
	put_text(f, s, TEXT_MD_CODE);
	fputs(pad ? " " : "", f);
	backticks(f, fence);
}

/* text in a fenced block whose fence is longer than any run of '`' in it */
void md_fenced(FILE *f, const char *info, const char *text)
{
	int longest = longest_backticks(text);
	int fence = longest < 3 ? 3 : longest + 1;
	size_t len = strlen(text);
	backticks(f, fence);
	fprintf(f, "%s\n", info);
	put_text(f, text, TEXT_MD_BLOCK);
	fputs(len && text[len - 1] == '\n' ? "" : "\n", f);
	backticks(f, fence);
	fputc('\n', f);
}

/* A link only to an http(s) URL (or, rel, to a file next to the report);
 * anything else is text. */
void md_link(FILE *f, const char *url, int rel)
{
	if (text_is_web_url(url)) {
		fprintf(f, "<%s>", url);
	} else if (rel && text_is_file_path(url)) {
		fputc('[', f);
		put_text(f, url, TEXT_MD);
		fprintf(f, "](<%s>)", url);
	} else {
		md_code(f, url);
	}
}

/* Bytes a shell reads as themselves outside quotes, anywhere in a word
 * but the first. */
static const char shell_plain[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:=+,@%-";

void put_shell_word(FILE *f, const char *s, int quoted)
{
	const unsigned char *p = (const unsigned char *)s;
	int control = 0;
	for (; *p; p++)
		control |= *p < 0x20 || *p == 0x7f;
	if (!quoted && *s && strspn(s, shell_plain) == strlen(s)) {
		fputs(s, f);
	} else if (!control) {
		/* '...' takes everything as is but its own quote: '\'' */
		fputc('\'', f);
		for (p = (const unsigned char *)s; *p; p++)
			fputs(*p == '\'' ? "'\\''" : (char[]){ (char)*p, 0 }, f);
		fputc('\'', f);
	} else {
		/* $'...' (bash, zsh, ksh): a control character pasted from a
		 * ticket stays visible, not a raw newline or escape */
		fputs("$'", f);
		for (p = (const unsigned char *)s; *p; p++) {
			if (*p == '\'' || *p == '\\')
				fprintf(f, "\\%c", *p);
			else if (*p < 0x20 || *p >= 0x7f)
				fprintf(f, "\\x%02x", *p);
			else
				fputc(*p, f);
		}
		fputc('\'', f);
	}
}

int text_is_web_url(const char *s)
{
	if (strncmp(s, "https://", 8) && strncmp(s, "http://", 7))
		return 0;
	/* no byte that ends a link's target in HTML or Markdown */
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || strchr("<>\"'`\\()[]{}|^", *p))
			return 0;
	return 1;
}

int text_is_file_path(const char *s)
{
	/* no scheme (no ':'), no other host ("//x"), no option ("-x"), no way up */
	return *s && *s != '-' && strncmp(s, "//", 2) &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./-+=,@%") == strlen(s) &&
	       !strstr(s, "..");
}

/* One conversion of fmt (from its '%' to its letter, in spec) with its
 * argument from ap: strings through put_text, numbers as printf has them. */
static void put_one(FILE *f, enum text_kind kind, const char *spec, size_t len, va_list *ap)
{
	char conv = spec[len - 1];
	int longs = 0, size = 0;
	for (size_t i = 1; i < len - 1; i++) {
		longs += spec[i] == 'l';
		size |= spec[i] == 'z';
	}
	char one[32];
	snprintf(one, sizeof one, "%.*s", (int)len, spec);
	if (conv == 's')
		put_text(f, va_arg(*ap, const char *), kind);
	else if (conv == 'c')
		put_text(f, (char[]){ (char)va_arg(*ap, int), 0 }, kind);
	else if (strchr("fgeG", conv))
		fprintf(f, one, va_arg(*ap, double));
	else if (size)
		fprintf(f, one, va_arg(*ap, size_t));
	else if (longs >= 2)
		fprintf(f, one, va_arg(*ap, long long));
	else if (longs)
		fprintf(f, one, va_arg(*ap, long));
	else
		fprintf(f, one, va_arg(*ap, int));
}

void put_textf(FILE *f, enum text_kind kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	while (*fmt) {
		size_t lit = strcspn(fmt, "%");
		fwrite(fmt, 1, lit, f);
		fmt += lit;
		if (!*fmt)
			break;
		if (fmt[1] == '%') {
			fputc('%', f);
			fmt += 2;
			continue;
		}
		size_t len = 1 + strspn(fmt + 1, "-+ #0123456789.lhz");
		if (!fmt[len])
			break;
		put_one(f, kind, fmt, len + 1, &ap);
		fmt += len + 1;
	}
	va_end(ap);
}
