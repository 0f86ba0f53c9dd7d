/* help: the command table, and everything written from it. */
#include "help.h"
#include "registry.h"
#include "report.h"

#include <string.h>
#include <time.h>

static const struct option_doc run_options[] = {
	{ "-j", "--jobs", "N", "cases at a time (default: the number of CPUs)" },
	{ "-k", "--match", "PATTERN", "only case ids matching PATTERN (a glob, or a substring)" },
	{ NULL, "--timeout", "S", "per-case timeout in seconds (default 30), reported as TIMEOUT" },
	{ NULL, "--step-timeout", "S", "bound on a step that can block (default 2)" },
	{ NULL, "--json", "FILE", "write the run record (JSON, schema netrepro.run/1)" },
	{ NULL, "--junit", "FILE", "write JUnit XML (as report --format junit would)" },
	{ NULL, "--allow-exec", NULL, "let cases run programs (exec); without it they SKIP. A program is "
	  "contained: root of a user namespace that is nobody (uid 65534) on the machine (rootless: the "
	  "user), alone in a PID namespace of its own; it sees and configures its host's network (ip, ss, "
	  "ping), the machine's files read-only, with /proc, /sys, /dev, /run and /tmp of its own; it "
	  "sees no other process, nor netrepro's environment beyond PATH, TERM, TZ and the locale, and "
	  "cannot mount, setns into another namespace or gain privileges" },
	{ NULL, "--captures", "DIR", "write each capture line's frames to DIR/CASE/HOST-IF.pcap "
	  "(default: captures/ next to the --json record; else none)" },
	{ NULL, "--strict", NULL, "a known kernel bug (KNOWN-BUG) makes the exit status 1 too" },
	{ NULL, "--in-place", NULL, "no namespaces: run the cases that need only one host's own stack "
	  "in this network namespace, changing nothing (WSL, containers), one at a time; the others "
	  "SKIP, saying why" },
	{ "-h", "--help", NULL, "this text" },
	{ NULL, NULL, NULL, NULL },
};

static const struct option_doc help_only[] = {
	{ "-h", "--help", NULL, "this text" },
	{ NULL, NULL, NULL, NULL },
};

static const struct option_doc report_options[] = {
	{ "-f", "--format", "F", "md, html, junit, ktap or kcidb" },
	{ "-o", "--output", "FILE", "write to FILE (default: standard output)" },
	{ "-k", "--match", "PATTERN", "only case ids matching PATTERN (a glob, or a substring), as run -k" },
	{ NULL, "--failed-only", NULL, "only cases that failed, errored or timed out (on any of the records)" },
	{ NULL, "--max-chars", "N", "md: write FILE.1.md, FILE.2.md, ... (needs -o FILE), each under N "
	  "characters (1000 or more), cut between cases" },
	{ NULL, "--kcidb-origin", "NAME", "kcidb: the origin, [a-z0-9_]+ (default netrepro; or $NETREPRO_KCIDB_ORIGIN)" },
	{ NULL, "--kcidb-tree", "NAME", "kcidb: the checkouts' tree_name (or $NETREPRO_KCIDB_TREE)" },
	{ NULL, "--kcidb-repo", "URL", "kcidb: the checkouts' git_repository_url, https://... (or $NETREPRO_KCIDB_REPO)" },
	{ NULL, "--kcidb-commit", "HASH", "kcidb: the checkouts' git_commit_hash, 40 lower-case hex digits "
	  "(or $NETREPRO_KCIDB_COMMIT)" },
	{ "-h", "--help", NULL, "this text" },
	{ NULL, NULL, NULL, NULL },
};

static const struct option_doc diff_options[] = {
	{ NULL, "--all", NULL, "list steps recorded without an expectation too (they never count)" },
	{ "-h", "--help", NULL, "this text" },
	{ NULL, NULL, NULL, NULL },
};

static const struct option_doc help_options[] = {
	{ NULL, "--markdown", NULL, "calls, options: the README's Markdown tables" },
	{ NULL, "--man", NULL, "the netrepro(1) man page (troff)" },
	{ NULL, "--man-case", NULL, "the netrepro-case(5) man page: the scenario language" },
	{ NULL, "--completion", "SHELL", "a completion script for bash or zsh" },
	{ "-h", "--help", NULL, "this text" },
	{ NULL, NULL, NULL, NULL },
};

static const struct option_doc matrix_options[] = {
	{ NULL, "--kernel", "K", "a Debian flavour (6.1.0-50-amd64, fetched once; FLAVOUR=VERSION pins "
	  "a version, and a kernel gone from the archive is fetched from snapshot.debian.org, or "
	  "$NETREPRO_SNAPSHOT_URL), PATH[:MODULES] to a bzImage, or host; as many as wanted" },
	{ "-j", "--jobs", "N", "guests at a time" },
	{ "-o", "--out", "DIR", "records and reports (default build/matrix)" },
	{ NULL, "--cache", "DIR", "fetched kernels (default $XDG_CACHE_HOME/netrepro/kernels)" },
	{ NULL, "--accel", "auto|kvm|tcg", "how QEMU runs the guests (auto: kvm when it boots one, else tcg)" },
	{ NULL, "--timeout", "S", "per-case timeout in seconds inside a guest" },
	{ NULL, "--guest-timeout", "S", "the whole guest: boot, run, power off" },
	{ "-h", "--help", NULL, "this text" },
	{ NULL, NULL, NULL, NULL },
};

#define EXIT_RUN "0 all passed, skipped or known kernel bugs (KNOWN-BUG); 1 a case failed, errored " \
	"or timed out (or, with --strict, showed a known bug); 2 a usage or parse error (nothing ran), or " \
	"the record, --junit or KTAP could not be written (a full disk); " \
	"130 or 143 when stopped by SIGINT or SIGTERM (the record of what finished is written)"

const struct command_doc help_commands[] = {
	{ "run", "[OPTIONS] PATH...", "run the cases (files or folders of *.case); KTAP v1 on stdout",
	  "Each case runs in throw-away network namespaces (or, with --in-place, in this one), and every "
	  "step is recorded with what the kernel answered. A failing case's step trace is printed as "
	  "KTAP diagnostic lines.", run_options, EXIT_RUN },
	{ "check", "PATH...", "parse and validate only",
	  "Every error is FILE:LINE:COL: message.", help_only, "0 valid, 2 a parse error or a failed write" },
	{ "list", "PATH...", "one line per case id (variants expanded)", NULL, help_only,
	  "0, or 2 for a parse error or a failed write" },
	{ "env", "", "the environment fingerprint as JSON",
	  "Kernel, distro, hypervisor, WSL, container, seccomp, what this process may do, sysctls.",
	  help_only, "0" },
	{ "report", "--format F [-o FILE] [-k PATTERN] [--failed-only] [--max-chars N] [--kcidb-* V] RUN.json...",
	  "write a report of one or more run records",
	  "Several records (one per kernel or platform) are compared side by side.", report_options,
	  "0, 1 the report could not be written (a full disk), or 2 for a usage error (-k matching no case, "
	  "a --kcidb-* value KCIDB refuses) or a record that cannot be read" },
	{ "diff", "[--all] A.json B.json", "what differs between two runs",
	  "Statuses, checked steps, known kernel bugs, cases present in one record only, and an in-place "
	  "result against a namespace one.", diff_options,
	  "0 nothing differs, 1 something does (or the output could not be written), 2 usage" },
	{ "help", "[calls|options|COMMAND] [--markdown|--man|--man-case|--completion SHELL]",
	  "this text, a command's, every call or socket option a case may use, or a man page or "
	  "completion script", NULL, help_options, "0, or 2 for an unknown topic" },
	{ "matrix", "[--kernel K]... [-j N] [--out DIR] [--accel auto|kvm|tcg] PATH...",
	  "run the cases on each kernel K in a QEMU guest",
	  "Records and a case x kernel report (Markdown, HTML) go to DIR.", matrix_options,
	  "0 every case passed, skipped or was KNOWN-BUG on every kernel, 1 otherwise, 2 usage" },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};

const struct command_doc *help_command(const char *name)
{
	for (const struct command_doc *c = help_commands; name && c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/* text wrapped at width, each line after the first indented by indent. */
static void wrap(FILE *f, const char *text, size_t col, size_t indent, size_t width)
{
	while (*text) {
		size_t word = strcspn(text, " ");
		if (col > indent && col + 1 + word > width) {
			fprintf(f, "\n%*s", (int)indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', f);
			col++;
		}
		fprintf(f, "%.*s", (int)word, text);
		col += word;
		text += word;
		text += strspn(text, " ");
	}
	fputc('\n', f);
}

void help_usage(FILE *f)
{
	fprintf(f, "usage: netrepro COMMAND [OPTIONS] PATH...\n\n"
		   "Reproduce network behaviour in throw-away network namespaces and record\n"
		   "what the kernel answered, step by step.\n\ncommands:\n");
	for (const struct command_doc *c = help_commands; c->name; c++) {
		char head[128];
		snprintf(head, sizeof head, "  %s %s", c->name, c->synopsis);
		if (strlen(head) < 26)
			fprintf(f, "%-26s", head);
		else
			fprintf(f, "%s\n%26s", head, "");
		wrap(f, c->summary, 26, 26, 90);
	}
	fprintf(f, "\n`netrepro COMMAND --help` (or `netrepro help COMMAND`) tells more of each.\n");
}

void help_command_print(FILE *f, const struct command_doc *c)
{
	fprintf(f, "usage: netrepro %s%s%s\n\n", c->name, *c->synopsis ? " " : "", c->synopsis);
	wrap(f, c->summary, 0, 0, 78);
	if (c->text) {
		fputc('\n', f);
		wrap(f, c->text, 0, 0, 78);
	}
	if (c->options[0].longopt)
		fprintf(f, "\noptions:\n");
	for (const struct option_doc *o = c->options; o->longopt; o++) {
		char head[80];
		snprintf(head, sizeof head, "  %s%s%s%s%s", o->shortopt ? o->shortopt : "    ",
			 o->shortopt ? ", " : "", o->longopt, o->arg ? " " : "", o->arg ? o->arg : "");
		if (strlen(head) < 26)
			fprintf(f, "%-26s", head);
		else
			fprintf(f, "%s\n%26s", head, "");
		wrap(f, o->text, 26, 26, 90);
	}
	fprintf(f, "\nexit status: ");
	wrap(f, c->exit_status, 13, 0, 78);
}

/* troff: a backslash and a leading dot or quote are the only specials. */
static void troff(FILE *f, const char *s)
{
	for (const char *p = s; *p; p++) {
		if (*p == '\\')
			fputs("\\e", f);
		else if (*p == '-')
			fputs("\\-", f);
		else if ((*p == '.' || *p == '\'') && (p == s || p[-1] == '\n'))
			fprintf(f, "\\&%c", *p);
		else
			fputc(*p, f);
	}
}

static void man_header(FILE *f, const char *name, int section, const char *version)
{
	char date[32];
	time_t now = time(NULL);
	strftime(date, sizeof date, "%Y-%m-%d", gmtime(&now));
	fprintf(f, ".TH %s %d \"%s\" \"netrepro %s\" \"netrepro\"\n", name, section, date, version);
}

void help_man(FILE *f, const char *version)
{
	man_header(f, "NETREPRO", 1, version);
	fprintf(f, ".SH NAME\nnetrepro \\- reproduce network behaviour in throw-away network namespaces\n"
		   ".SH SYNOPSIS\n");
	for (const struct command_doc *c = help_commands; c->name; c++) {
		fprintf(f, ".B netrepro %s\n", c->name);
		if (*c->synopsis) {
			troff(f, c->synopsis);
			fputc('\n', f);
		}
		fprintf(f, ".br\n");
	}
	fprintf(f, ".SH DESCRIPTION\nA case file states socket calls and the answers a bug ticket expects; "
		   "netrepro builds the network the case needs in network namespaces joined by veth pairs, "
		   "replays the calls and records what the kernel answered, step by step, with the kernel and "
		   "platform it ran on. The language is in\n.BR netrepro-case (5).\n.SH COMMANDS\n");
	for (const struct command_doc *c = help_commands; c->name; c++) {
		fprintf(f, ".SS \"%s\"\n", c->name);
		troff(f, c->summary);
		fputc('\n', f);
		if (c->text) {
			fprintf(f, ".PP\n");
			troff(f, c->text);
			fputc('\n', f);
		}
		for (const struct option_doc *o = c->options; o->longopt; o++) {
			/* the tag on one line: \fB-j\fR, \fB--jobs\fR \fIN\fR */
			fprintf(f, ".TP\n");
			if (o->shortopt) {
				fprintf(f, "\\fB");
				troff(f, o->shortopt);
				fprintf(f, "\\fR, ");
			}
			fprintf(f, "\\fB");
			troff(f, o->longopt);
			fprintf(f, "\\fR");
			if (o->arg) {
				fprintf(f, " \\fI");
				troff(f, o->arg);
				fprintf(f, "\\fR");
			}
			fputc('\n', f);
			troff(f, o->text);
			fputc('\n', f);
		}
		fprintf(f, ".PP\nExit status: ");
		troff(f, c->exit_status);
		fputc('\n', f);
	}
	fprintf(f, ".SH FILES\n.TP\n.I PREFIX/share/netrepro/cases\nthe case library\n.TP\n"
		   ".I PREFIX/share/netrepro/fixtures\ntopology files a case may \\fBuse\\fR; a case's "
		   "folder and its parents are searched first\n.SH SEE ALSO\n.BR netrepro-case (5)\n");
}

void help_man_case(FILE *f, const char *version)
{
	man_header(f, "NETREPRO-CASE", 5, version);
	fprintf(f, ".SH NAME\nnetrepro-case \\- the scenario language of netrepro\n.SH DESCRIPTION\n"
		   "Line oriented, with # comments. Header lines: title, ref, use, vary, require. Topology "
		   "lines: host, link, bridge, addr, route, set, sysctl, netem, capture. Steps follow "
		   "\\fBon HOST\\fR, one a line:\n.PP\n.RS\n[NAME =] CALL(ARGS) [= EXPECTED [bug \"FIX\"] "
		   "[when COND] | ...]\n.RE\n.PP\nA topology line under \\fBon HOST\\fR is a step that "
		   "changes the network at that point. Blocks: repeat N, for NAME in A..B, if COND "
		   "[else], [N =] repeat until error, each closed by end; check COND; wait HOST:IF dad. "
		   "The README of netrepro describes each in full.\n.SH CALLS\n");
	for (const struct call_def *c = call_table; c->name; c++) {
		fprintf(f, ".TP\n.B ");
		troff(f, c->name);
		fprintf(f, "(");
		troff(f, c->written);
		fprintf(f, ")\n");
		troff(f, c->summary);
		fputc('\n', f);
	}
	fprintf(f, ".SH SOCKET OPTIONS\n");
	for (const struct sockopt_def *o = sockopt_table; o->name; o++) {
		fprintf(f, ".TP\n.B ");
		troff(f, o->name);
		fprintf(f, "\n");
		troff(f, o->summary);
		fputc('\n', f);
	}
	fprintf(f, ".SH SEE ALSO\n.BR netrepro (1)\n");
}

/* The words a shell may offer after the command. */
static void option_words(FILE *f, const struct command_doc *c)
{
	for (const struct option_doc *o = c->options; o->longopt; o++)
		fprintf(f, "%s%s%s", o == c->options ? "" : " ", o->shortopt ? o->shortopt : "",
			o->shortopt ? " " : "");
	for (const struct option_doc *o = c->options; o->longopt; o++)
		fprintf(f, " %s", o->longopt);
}

/* A zsh _arguments description: no brackets, colons or quotes in it. */
static void zsh_text(FILE *f, const char *s)
{
	for (int n = 0; *s && n < 60; s++, n++)
		fputc(strchr("[]:'\\", *s) ? ' ' : *s, f);
}

static const char kernels[] = "host 6.1.0-50-amd64 6.1.0-50-cloud-amd64 6.12.117+deb12-amd64";

int help_completion(FILE *f, const char *shell)
{
	if (shell && !strcmp(shell, "bash")) {
		fprintf(f, "# bash completion for netrepro (netrepro help --completion bash)\n"
			   "_netrepro() {\n"
			   "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
			   "    local cmd=${COMP_WORDS[1]} opts paths w\n"
			   "    if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
			   "        COMPREPLY=($(compgen -W \"");
		for (const struct command_doc *c = help_commands; c->name; c++)
			fprintf(f, "%s ", c->name);
		fprintf(f, "--help --version\" -- \"$cur\")); return\n    fi\n"
			   "    case $prev in\n"
			   "    -k|--match)\n"
			   "        for w in \"${COMP_WORDS[@]:2}\"; do [ -e \"$w\" ] && paths=\"$paths $w\"; done\n"
			   "        COMPREPLY=($(compgen -W \"$(netrepro list ${paths:-cases} 2>/dev/null)\" -- \"$cur\")); return;;\n"
			   "    --kernel) COMPREPLY=($(compgen -W \"%s\" -- \"$cur\")); return;;\n"
			   "    -f|--format) COMPREPLY=($(compgen -W \"md html junit ktap kcidb\" -- \"$cur\")); return;;\n"
			   "    --accel) COMPREPLY=($(compgen -W \"auto kvm tcg\" -- \"$cur\")); return;;\n"
			   "    --completion) COMPREPLY=($(compgen -W \"bash zsh\" -- \"$cur\")); return;;\n"
			   "    --captures|-o|--out|--cache) COMPREPLY=($(compgen -d -- \"$cur\")); return;;\n"
			   "    --json|--junit|--output) COMPREPLY=($(compgen -f -- \"$cur\")); return;;\n"
			   "    -j|--jobs|--timeout|--step-timeout|--guest-timeout) return;;\n"
			   "    esac\n    case $cmd in\n", kernels);
		for (const struct command_doc *c = help_commands; c->name; c++) {
			fprintf(f, "    %s) opts=\"", c->name);
			option_words(f, c);
			fprintf(f, "\";;\n");
		}
		fprintf(f, "    esac\n"
			   "    if [ \"$cmd\" = help ] && [ \"$COMP_CWORD\" -eq 2 ]; then\n"
			   "        opts=\"$opts calls options");
		for (const struct command_doc *c = help_commands; c->name; c++)
			fprintf(f, " %s", c->name);
		fprintf(f, "\"\n    fi\n"
			   "    if [[ $cur == -* ]] || [ \"$cmd\" = help ]; then\n"
			   "        COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
			   "    else\n"
			   "        COMPREPLY=($(compgen -f -- \"$cur\"))\n"
			   "    fi\n}\ncomplete -F _netrepro netrepro\n");
		return 0;
	}
	if (shell && !strcmp(shell, "zsh")) {
		fprintf(f, "#compdef netrepro\n# zsh completion for netrepro (netrepro help --completion zsh)\n"
			   "_netrepro_ids() { local -a ids; ids=(${(f)\"$(netrepro list cases 2>/dev/null)\"});"
			   " compadd -a ids; }\n"
			   "_netrepro() {\n    local -a commands\n    commands=(\n");
		for (const struct command_doc *c = help_commands; c->name; c++) {
			fprintf(f, "        '%s:", c->name);
			zsh_text(f, c->summary);
			fprintf(f, "'\n");
		}
		fprintf(f, "    )\n    if (( CURRENT == 2 )); then _describe 'command' commands; return; fi\n"
			   "    case $words[2] in\n");
		for (const struct command_doc *c = help_commands; c->name; c++) {
			fprintf(f, "    %s) _arguments", c->name);
			for (const struct option_doc *o = c->options; o->longopt; o++) {
				const char *action = !o->arg ? "" : !strcmp(o->longopt, "--match") ? ":PATTERN:_netrepro_ids"
					: !strcmp(o->longopt, "--kernel") ? ":K:(host 6.1.0-50-amd64 6.1.0-50-cloud-amd64 6.12.117+deb12-amd64)"
					: !strcmp(o->longopt, "--format") ? ":F:(md html junit ktap kcidb)"
					: !strcmp(o->longopt, "--completion") ? ":SHELL:(bash zsh)"
					: !strcmp(o->longopt, "--accel") ? ":ACCEL:(auto kvm tcg)"
					: strstr(o->arg, "FILE") ? ":FILE:_files" : strstr(o->arg, "DIR") ? ":DIR:_files -/" : ":VALUE:";
				if (o->shortopt)
					fprintf(f, " '(%s %s)'{%s,%s}'[", o->shortopt, o->longopt, o->shortopt, o->longopt);
				else
					fprintf(f, " '%s[", o->longopt);
				zsh_text(f, o->text);
				fprintf(f, "]%s'", action);
			}
			fprintf(f, " '*:path:_files';;\n");
		}
		fprintf(f, "    esac\n}\n_netrepro \"$@\"\n");
		return 0;
	}
	return -1;
}
