/* KCIDB v5.3 (KernelCI's report schema): one checkout and one build per
 * record (the kernel that ran), one test per case. The environment goes in
 * the tests' environment.misc. Every id starts with the origin (default
 * "netrepro"; --kcidb-origin), as the schema asks. */
#include "report.h"
#include "sha256.h"

#include <ctype.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

/* An id built whole (never cut: two long ids must stay two), or NULL. */
static char *id_of(const char *a, const char *b, const char *c)
{
	char *id;
	return asprintf(&id, "%s:%s%s%s", a, b, c ? ":" : "", c ? c : "") < 0 ? NULL : id;
}

/* The record's "started" when it is a date and time KCIDB takes. */
static const char *start_time(const json_t *rec)
{
	const char *s = jstr(rec, "started");
	regex_t re;
	int ok = !regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$",
			  REG_EXTENDED | REG_NOSUB);
	if (ok) {
		ok = !regexec(&re, s, 0, NULL, 0);
		regfree(&re);
	}
	return ok ? s : NULL;
}

/* KCIDB has no TIMEOUT; MISS: the run never produced a result for it. */
static const char *kcidb_status(enum status st)
{
	static const char *const map[ST__COUNT + 1] = {
		[ST_PASS] = "PASS", [ST_FAIL] = "FAIL", [ST_ERROR] = "ERROR",
		[ST_TIMEOUT] = "ERROR", [ST_SKIP] = "SKIP", [ST__COUNT] = "MISS",
		/* the tested kernel is faulty; the issue and incident say which bug */
		[ST_KNOWN_BUG] = "FAIL",
	};
	return map[st];
}

/* KCIDB paths are dot-separated [a-zA-Z0-9_-] words: "seed/x[v=1]" becomes
 * "netrepro.seed.x.v_1". */
static void kcidb_path(const char *id, char *out, size_t len)
{
	size_t o = (size_t)snprintf(out, len, "netrepro.");
	int dot = 1;    /* the prefix's: never two in a row */
	for (const char *p = id; *p && o + 2 < len; p++) {
		int word = isalnum((unsigned char)*p) || *p == '-' || *p == '_';
		int sep = *p == '/' || *p == '[' || *p == ',';
		if (sep && !dot) {
			out[o++] = '.';
			dot = 1;
		} else if (!sep && *p != ']') {
			out[o++] = word ? *p : '_';
			dot = 0;
		}
	}
	while (o > 0 && out[o - 1] == '.')
		o--;
	out[o] = '\0';
}

static char *trace_text(const json_t *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	case_trace(f, c, "");
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	if (len > 16384)     /* an excerpt, as the field's name says */
		text[utf8_whole(text, 16384)] = '\0';
	return text;
}

/* A known kernel bug is a KCIDB issue (one per fix, whatever the run),
 * and each test that could show it an incident: present when the kernel
 * showed it, absent when it gave the correct answer. */
static void add_bugs(json_t *doc, const json_t *c, const char *test_id, const char *origin)
{
	const char *fix;
	json_t *state;
	json_object_foreach(json_object_get(c, "bugs"), fix, state) {
		char hex[2 * SHA256_LEN + 1], issue[300];
		sha256_hex(fix, strlen(fix), hex);
		snprintf(issue, sizeof issue, "%s:bug-%.16s", origin, hex);     /* origin: [a-z0-9_]+ */
		hex[16] = '\0';
		char *incident = id_of(test_id, hex, NULL);
		if (!incident)
			continue;
		json_t *issues = json_object_get(doc, "issues"), *is;
		size_t i;
		int known = 0;
		json_array_foreach(issues, i, is)
			known |= !strcmp(jstr(is, "id"), issue);
		if (!known) {
			json_t *o = json_pack("{s:s, s:i, s:s, s:s, s:{s:b}}", "id", issue, "version", 1,
					      "origin", origin, "comment", fix, "culprit", "code", 1);
			if (text_is_web_url(fix))
				json_object_set_new(o, "report_url", json_string(fix));
			json_array_append_new(issues, o);
		}
		json_array_append_new(json_object_get(doc, "incidents"),
			json_pack("{s:s, s:s, s:s, s:i, s:s, s:b}", "id", incident, "origin", origin,
				  "issue_id", issue, "issue_version", 1, "test_id", test_id,
				  "present", json_is_string(state) && !strcmp(json_string_value(state), "has")));
		free(incident);
	}
}

/* The checkout: the kernel that ran, and where its source came from when
 * CI says so (--kcidb-tree, --kcidb-repo, --kcidb-commit). */
static json_t *checkout(const json_t *rec, const char *id, const struct report_opts *o)
{
	json_t *kernel = json_object_get(json_object_get(rec, "environment"), "kernel");
	json_t *co = json_pack("{s:s, s:s, s:s, s:b}", "id", id, "origin", o->kcidb_origin, "comment",
			       jstr(kernel, "version"), "valid", 1);
	const char *const known[][2] = {
		{ "tree_name", o->kcidb_tree }, { "git_repository_url", o->kcidb_repo },
		{ "git_commit_hash", o->kcidb_commit }, { "start_time", start_time(rec) },
	};
	for (size_t k = 0; k < sizeof known / sizeof *known; k++)
		if (known[k][1] && *known[k][1])
			json_object_set_new(co, known[k][0], json_string(known[k][1]));
	return co;
}

/* The test of case c of rec, in build build. */
static json_t *test_of(const json_t *rec, const json_t *c, const char *build, const char *origin)
{
	json_t *env = json_object_get(rec, "environment");
	char path[512], *log = trace_text(c);
	char *id = id_of(build, jstr(rec, "started"), jstr(c, "id"));
	kcidb_path(jstr(c, "id"), path, sizeof path);
	json_t *t = !id || !log ? NULL :
		json_pack("{s:s, s:s, s:s, s:s, s:s, s:s*, s:f, s:s, s:{s:s, s:O}, s:{s:s, s:O*, s:O*}}",
			  "id", id, "build_id", build, "origin", origin, "path", path,
			  "status", kcidb_status(record_case_status(c)), "start_time", start_time(rec),
			  "duration", json_real_value(json_object_get(c, "duration_s")), "log_excerpt", log,
			  "environment", "comment", jstr(json_object_get(env, "platform"), "distro"), "misc", env,
			  "misc", "case_id", jstr(c, "id"), "refs", json_object_get(c, "refs"),
			  "variant", json_object_get(c, "variant"));
	if (t && *jstr(c, "title"))
		json_object_set_new(t, "comment", json_string(jstr(c, "title")));
	free(log);
	free(id);
	return t;
}

static void add_run(json_t *doc, const json_t *rec, const struct report_opts *o)
{
	json_t *kernel = json_object_get(json_object_get(rec, "environment"), "kernel");
	const char *origin = o->kcidb_origin;
	char *checkout_id = id_of(origin, jstr(kernel, "release"), NULL);
	char *build = checkout_id ? id_of(checkout_id, jstr(kernel, "arch"), NULL) : NULL;
	if (!build) {
		free(checkout_id);
		return;
	}
	json_array_append_new(json_object_get(doc, "checkouts"), checkout(rec, checkout_id, o));
	char arch[64];
	size_t k = 0;
	for (const char *p = jstr(kernel, "arch"); *p && k + 1 < sizeof arch; p++)
		arch[k++] = isalnum((unsigned char)*p) ? (char)tolower((unsigned char)*p) : '_';
	arch[k] = '\0';
	json_array_append_new(json_object_get(doc, "builds"),
		json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", build, "checkout_id", checkout_id,
			  "origin", origin, "architecture", arch, "status", kcidb_status(ST_PASS),
			  "comment", jstr(kernel, "release")));
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(rec, "cases"), i, c) {
		json_t *t = test_of(rec, c, build, origin);
		json_array_append_new(json_object_get(doc, "tests"), t);
		if (t)
			add_bugs(doc, c, jstr(t, "id"), origin);
	}
	free(build);
	free(checkout_id);
}

static void write_kcidb_opts(FILE *f, json_t *const *recs, int n, const struct report_opts *o)
{
	json_t *doc = json_pack("{s:{s:i, s:i}, s:[], s:[], s:[], s:[], s:[]}", "version", "major", 5,
				"minor", 3, "checkouts", "builds", "tests", "issues", "incidents");
	for (int r = 0; r < n; r++)
		add_run(doc, recs[r], o);
	json_dumpf(doc, f, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	fputc('\n', f);
	json_decref(doc);
}

static void write_kcidb(FILE *f, json_t *const *recs, int n)
{
	write_kcidb_opts(f, recs, n, report_opts_default());
}

const struct report_writer report_kcidb = { "kcidb", "KCIDB v5.3 for KernelCI", write_kcidb, write_kcidb_opts };
