/* KCIDB v5.3 (KernelCI's report schema): one checkout and one build per
 * record (the kernel that ran), one test per case. The environment goes in
 * the tests' environment.misc. Every id starts with the origin (default
 * "netrepro"; --kcidb-origin), as the schema asks. */
#include "report.h"
#include "sha256.h"

#include <ctype.h>
#include <string.h>

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
	int dot = 0;
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
	case_trace(f, c, "");
	fclose(f);
	if (len > 16384)
		text[16384] = '\0';   /* an excerpt, as the field's name says */
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
		char hex[2 * SHA256_LEN + 1], issue[300], incident[1800];
		sha256_hex(fix, strlen(fix), hex);
		snprintf(issue, sizeof issue, "%s:bug-%.16s", origin, hex);
		snprintf(incident, sizeof incident, "%s:%.16s", test_id, hex);
		json_t *issues = json_object_get(doc, "issues"), *is;
		size_t i;
		int known = 0;
		json_array_foreach(issues, i, is)
			known |= !strcmp(jstr(is, "id"), issue);
		if (!known) {
			json_t *o = json_pack("{s:s, s:i, s:s, s:s, s:{s:b}}", "id", issue, "version", 1,
					      "origin", origin, "comment", fix, "culprit", "code", 1);
			if (!strncmp(fix, "https://", 8) || !strncmp(fix, "http://", 7))
				json_object_set_new(o, "report_url", json_string(fix));
			json_array_append_new(issues, o);
		}
		json_array_append_new(json_object_get(doc, "incidents"),
			json_pack("{s:s, s:s, s:s, s:i, s:s, s:b}", "id", incident, "origin", origin,
				  "issue_id", issue, "issue_version", 1, "test_id", test_id,
				  "present", !strcmp(json_string_value(state), "has")));
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
		{ "git_commit_hash", o->kcidb_commit }, { "start_time", jstr(rec, "started") },
	};
	for (size_t k = 0; k < sizeof known / sizeof *known; k++)
		if (known[k][1] && *known[k][1])
			json_object_set_new(co, known[k][0], json_string(known[k][1]));
	return co;
}

static void add_run(json_t *doc, const json_t *rec, const struct report_opts *o)
{
	json_t *env = json_object_get(rec, "environment");
	json_t *kernel = json_object_get(env, "kernel");
	const char *origin = o->kcidb_origin;
	char checkout_id[512], build[600];
	snprintf(checkout_id, sizeof checkout_id, "%s:%s", origin, jstr(kernel, "release"));
	snprintf(build, sizeof build, "%s:%s", checkout_id, jstr(kernel, "arch"));
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
		char path[512], id[1600];
		kcidb_path(jstr(c, "id"), path, sizeof path);
		snprintf(id, sizeof id, "%s:%s:%s", build, jstr(rec, "started"), jstr(c, "id"));
		char *log = trace_text(c);
		json_t *t = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:s, s:{s:s, s:O}, s:{s:s, s:O, s:O}}",
			"id", id, "build_id", build, "origin", origin, "path", path,
			"status", kcidb_status(record_case_status(c)), "start_time", jstr(rec, "started"),
			"duration", json_real_value(json_object_get(c, "duration_s")), "log_excerpt", log,
			"environment", "comment", jstr(json_object_get(env, "platform"), "distro"), "misc", env,
			"misc", "case_id", jstr(c, "id"), "refs", json_object_get(c, "refs"),
			"variant", json_object_get(c, "variant"));
		if (*jstr(c, "title"))
			json_object_set_new(t, "comment", json_string(jstr(c, "title")));
		json_array_append_new(json_object_get(doc, "tests"), t);
		add_bugs(doc, c, id, origin);
		free(log);
	}
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
