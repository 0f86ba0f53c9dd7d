/* Status lines at the foot of a terminal: `run`'s "[3/8] seed/x", the
 * matrix's line per guest. Redrawn in place, each cut to the screen's width:
 * a line that wrapped would leave its second half behind at the next draw. */
#include "scheduler.h"
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

static int screen_width(void)
{
	struct winsize ws;
	return ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10 ? ws.ws_col - 1 : 79;
}

/* To the first of the lines on the screen, at its start. */
static void to_top(const struct progress *p)
{
	if (p->shown > 1)
		fprintf(stderr, "\033[%dA", p->shown - 1);
	fputc('\r', stderr);
}

void progress_draw(struct progress *p, const char *const *lines, int n)
{
	int width = screen_width();
	to_top(p);
	for (int i = 0; i < n; i++) {
		/* a case id or a guest's error may hold control characters: shown
		 * escaped, and cut at a character, never inside one */
		char *shown = text_dup(lines[i], TEXT_TERM);
		const char *s = shown ? shown : "";
		size_t len = strlen(s);
		fprintf(stderr, "%s\033[K%.*s", i ? "\n" : "", (int)utf8_whole(s, len < (size_t)width ? len : (size_t)width), s);
		free(shown);
	}
	if (n < p->shown)
		fputs("\033[J", stderr);   /* the lines no longer drawn */
	p->shown = n;
	fflush(stderr);
}

void progress_erase(struct progress *p)
{
	to_top(p);
	fputs(p->shown > 1 ? "\033[J" : "\033[K", stderr);
	p->shown = 0;
	fflush(stderr);
}
