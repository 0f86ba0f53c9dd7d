/* The matrix on a terminal: a line per kernel (booting, running 3/8,
 * done with its verdict), redrawn in place. Each kernel runs in a child
 * process; the children tell the parent on one pipe, a line each time
 * ("INDEX TEXT", shorter than PIPE_BUF, so lines never interleave), and the
 * parent draws. */
#include "guest.h"
#include "scheduler.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int board_open(struct board *b, const char *const *names, int n)
{
	*b = (struct board){ .names = names, .n = n, .fd = { -1, -1 } };
	b->text = calloc((size_t)n, sizeof *b->text);
	if (!b->text || pipe2(b->fd, O_CLOEXEC) < 0)
		return -1;
	fcntl(b->fd[0], F_SETFL, O_NONBLOCK);
	for (int i = 0; i < n; i++)
		snprintf(b->text[i], sizeof b->text[i], "waiting");
	for (int i = 0; i < n; i++)
		b->width = (int)strlen(names[i]) > b->width ? (int)strlen(names[i]) : b->width;
	return 0;
}

void board_tell(const struct board_tell *t, const char *fmt, ...)
{
	char line[256];
	int at = snprintf(line, sizeof line, "%d ", t->index);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line + at, sizeof line - (size_t)at - 1, fmt, ap);
	va_end(ap);
	size_t n = strlen(line);
	for (char *c = line; (c = strpbrk(c, "\r\n")); )
		*c = ' ';       /* one line each: the parent splits on newlines */
	line[n++] = '\n';
	if (t->fd >= 0 && write(t->fd, line, n) < 0)
		return;         /* the parent is gone: nobody to tell */
}

void board_guest_progress(void *arg, enum guest_phase phase, int done, int failed)
{
	const struct board_tell *t = arg;
	static const char *const said[] = {
		[GUEST_BOOTING] = "booting", [GUEST_SENDING] = "sending the record",
	};
	if (phase != GUEST_RUNNING)
		board_tell(t, "%s", said[phase]);
	else if (failed)
		board_tell(t, "running %d/%d, %d not ok", done, t->ncases, failed);
	else
		board_tell(t, "running %d/%d", done, t->ncases);
}

/* "done: 8 PASS", "done: 5 PASS, 1 FAIL, 2 SKIP", or why the guest failed. */
void board_done(const struct board_tell *t, json_t *rec, double wall_s)
{
	const char *why = json_string_value(json_object_get(json_object_get(rec, "guest"), "error"));
	if (why && *why) {
		board_tell(t, "failed: %s", why);
		return;
	}
	char counts[160] = "";
	const char *status;
	json_t *n;
	json_object_foreach(json_object_get(rec, "summary"), status, n)
		if (json_integer_value(n) > 0) {
			size_t at = strlen(counts);
			snprintf(counts + at, sizeof counts - at, "%s%lld %s", at ? ", " : "",
				 (long long)json_integer_value(n), status);
		}
	board_tell(t, "done in %.1f s: %s", wall_s, *counts ? counts : "no cases");
}

static void board_draw(struct board *b)
{
	const char **lines = calloc((size_t)b->n, sizeof *lines);
	char (*buf)[256] = calloc((size_t)b->n, sizeof *buf);
	for (int i = 0; lines && buf && i < b->n; i++) {
		snprintf(buf[i], sizeof buf[i], "  %-*s  %s", b->width, b->names[i], b->text[i]);
		lines[i] = buf[i];
	}
	if (lines && buf)
		progress_draw(&b->shown, lines, b->n);
	free(lines);
	free(buf);
}

void board_read(struct board *b, int wait_ms)
{
	struct pollfd pf = { .fd = b->fd[0], .events = POLLIN };
	if (poll(&pf, 1, wait_ms) <= 0)
		return;
	ssize_t got;
	while ((got = read(b->fd[0], b->buf + b->len, sizeof b->buf - b->len - 1)) > 0) {
		b->len += (size_t)got;
		b->buf[b->len] = '\0';
		char *s = b->buf, *nl;
		while ((nl = strchr(s, '\n'))) {
			*nl = '\0';
			char *text;
			long i = strtol(s, &text, 10);
			if (i >= 0 && i < b->n && *text == ' ') {
				snprintf(b->text[i], sizeof b->text[i], "%s", text + 1);
				board_draw(b);  /* every state shown, if only briefly */
			}
			s = nl + 1;
		}
		b->len -= (size_t)(s - b->buf);
		memmove(b->buf, s, b->len);
	}
}

void board_close(struct board *b)
{
	if (b->shown.shown)
		progress_erase(&b->shown);
	for (int i = 0; i < 2; i++)
		if (b->fd[i] >= 0)
			close(b->fd[i]);
	free(b->text);
	b->text = NULL;
}
