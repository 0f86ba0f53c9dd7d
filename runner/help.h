/* help: every command's documentation, in one table. The usage text,
 * `netrepro COMMAND --help`, the man pages (`help --man`, `help --man-case`)
 * and the shell completions (`help --completion bash|zsh`) are all written
 * from it, so none of them can drift from another. */
#ifndef NETREPRO_HELP_H
#define NETREPRO_HELP_H

#include <stdio.h>

struct option_doc {
	const char *shortopt;       /* "-j", or NULL */
	const char *longopt;        /* "--jobs" */
	const char *arg;            /* "N", or NULL for a flag */
	const char *text;
};

struct command_doc {
	const char *name;
	const char *synopsis;       /* what follows the command's name */
	const char *summary;        /* one line */
	const char *text;           /* a paragraph, or NULL */
	const struct option_doc *options;   /* ends with a NULL longopt */
	const char *exit_status;
};

/* The command named name, or NULL. */
const struct command_doc *help_command(const char *name);
extern const struct command_doc help_commands[];   /* ends with a NULL name */

/* `netrepro --help`: every command, a line or two each. */
void help_usage(FILE *f);
/* `netrepro COMMAND --help`. */
void help_command_print(FILE *f, const struct command_doc *c);
/* netrepro(1) and netrepro-case(5), troff. */
void help_man(FILE *f, const char *version);
void help_man_case(FILE *f, const char *version);
/* A completion script: "bash" or "zsh"; -1 for another shell. */
int help_completion(FILE *f, const char *shell);

#endif
