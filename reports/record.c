/* The run record: what ran, where, and what the kernel answered. Every
 * piece of it is put together here (see record.h). */
#include "record.h"
#include "sha256.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const status_names[ST__COUNT] = {
	[ST_PASS] = "PASS", [ST_FAIL] = "FAIL", [ST_ERROR] = "ERROR",
	[ST_SKIP] = "SKIP", [ST_TIMEOUT] = "TIMEOUT", [ST_KNOWN_BUG] = "KNOWN-BUG",
};

static const char *const step_status_names[] = {
	[STEP_INFO] = "info", [STEP_PASS] = "pass", [STEP_FAIL] = "fail", [STEP_KNOWN_BUG] = "known-bug",
};

const char *status_name(enum status st)
{
	return (unsigned)st < ST__COUNT ? status_names[st] : NULL;
}

int status_parse(const char *name, enum status *st)
{
	for (int i = 0; name && i < ST__COUNT; i++)
		if (!strcmp(status_names[i], name)) {
			*st = (enum status)i;
			return 0;
		}
	return -1;
}

enum status record_case_status(const json_t *c)
{
	enum status st;
	return status_parse(json_string_value(json_object_get(c, "status")), &st) ? ST__COUNT : st;
}

enum step_status record_step_status(const json_t *s)
{
	const char *name = json_string_value(json_object_get(s, "status"));
	for (size_t i = 0; name && i < sizeof step_status_names / sizeof *step_status_names; i++)
		if (!strcmp(step_status_names[i], name))
			return (enum step_status)i;
	return STEP_PASS;
}

/* The data rule of record_step(): the length always, the bytes whole up to
 * RECORD_DATA_MAX, else their head and a digest of all of them, so a large
 * answer still compares between runs without bloating the record. */
/* n bytes kept of a whole of whole bytes (whole <= n: all of them). */
static int put_data(json_t *j, const void *data, size_t n, size_t whole)
{
	size_t keep = n > RECORD_DATA_MAX ? RECORD_DATA_HEAD : n;
	char *text = malloc(DATA_ESCAPED_LEN(keep));
	if (!text)
		return -1;
	data_escape(data, keep, text, DATA_ESCAPED_LEN(keep));
	int rc = json_object_set_new(j, "data_len", json_integer((json_int_t)(whole > n ? whole : n))) |
		 json_object_set_new(j, "data", json_string(text));
	free(text);
	if (keep < n) {
		char hex[2 * SHA256_LEN + 1];
		sha256_hex(data, n, hex);
		rc |= json_object_set_new(j, "data_sha256", json_string(hex)) |
		      json_object_set_new(j, "data_truncated", json_true());
	}
	return rc;
}

json_t *record_step(const struct step_rec *s)
{
	json_t *j = json_pack("{s:i, s:s, s:s, s:I, s:s?, s:s, s:s?, s:s}",
			      "line", s->line, "host", s->host, "call", s->call,
			      "ret", (json_int_t)s->ret, "errno", s->errno_name,
			      "observed", s->observed, "expected", s->expected,
			      "status", step_status_names[s->status <= STEP_KNOWN_BUG ? s->status : STEP_INFO]);
	int rc = !j;
	if (j && s->iter && *s->iter)
		rc |= json_object_set_new(j, "iter", json_string(s->iter));
	if (j && s->detail && *s->detail)
		rc |= json_object_set_new(j, "detail", json_string(s->detail));
	if (j && s->has_data)
		rc |= put_data(j, s->data, s->data_len, s->data_whole);
	if (j && s->kernel_picks)
		rc |= json_object_set_new(j, "kernel_picks", json_true());
	if (j && s->bug && s->bug_state != BUG_NONE)
		rc |= json_object_set_new(j, "bug", json_pack("{s:s, s:s, s:b}", "fix", s->bug,
				"state", s->bug_state == BUG_HAS ? "has" : "fixed", "in_range", s->bug_in_range));
	if (rc) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/* A JSON string even for bytes that are not UTF-8 (a file name): those
 * become '?', so a record is never lost to one odd byte. */
static json_t *text(const char *s)
{
	json_t *j = s ? json_string(s) : json_null();
	if (j)
		return j;
	char *copy = strdup(s);
	for (char *c = copy; c && *c; c++)
		if ((unsigned char)*c >= 0x80 || (unsigned char)*c < 0x20)
			*c = '?';
	j = copy ? json_string(copy) : NULL;
	free(copy);
	return j;
}

json_t *record_case(const struct case_info *ci)
{
	json_t *refs = json_array(), *variant = json_object();
	for (int i = 0; i < ci->nrefs; i++)
		json_array_append_new(refs, text(ci->refs[i]));
	for (int i = 0; i < ci->nvariants; i++)
		json_object_set_new(variant, ci->variant_names[i], text(ci->variant_values[i]));
	json_t *c = json_pack("{s:o, s:o, s:o, s:o, s:o, s:s, s:f, s:n, s:o, s:[]}",
			      "id", text(ci->id), "file", text(ci->file), "title", text(ci->title),
			      "refs", refs, "variant", variant, "status", status_name(ST_ERROR),
			      "duration_s", 0.0, "reason", "source", text(ci->source), "steps");
	if (c && ci->nondeterministic)
		json_object_set_new(c, "nondeterministic", json_true());
	return c;
}

void record_case_close(json_t *c, enum status st, const char *reason, double duration_s)
{
	json_object_set_new(c, "status", json_string(status_name(st)));
	if (reason)
		json_object_set_new(c, "reason", text(reason));
	json_object_set_new(c, "duration_s", json_real(duration_s));
}

static char *line_of(json_t *msg)
{
	char *s = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
	json_decref(msg);
	if (!s)
		return NULL;
	size_t len = strlen(s);
	char *line = realloc(s, len + 2);
	if (!line) {
		free(s);
		return NULL;
	}
	memcpy(line + len, "\n", 2);
	return line;
}

char *record_step_line(json_t *step)
{
	return line_of(json_pack("{s:o}", "step", step));
}

char *record_result_line(enum status st, const char *reason, long suppressed, json_t *extra)
{
	json_t *res = json_pack("{s:s, s:s?, s:I}", "status", status_name(st), "reason", reason,
				"suppressed", (json_int_t)suppressed);
	if (res && extra)
		json_object_update(res, extra);
	json_decref(extra);
	return res ? line_of(json_pack("{s:o}", "result", res)) : NULL;
}

int record_case_take_line(json_t *c, const char *line)
{
	json_t *msg = json_loads(line, 0, NULL), *v;
	int result = 0;
	if ((v = json_object_get(msg, "step")))
		json_array_append(json_object_get(c, "steps"), v);
	enum status st;
	v = json_object_get(msg, "result");
	if (v && !status_parse(json_string_value(json_object_get(v, "status")), &st)) {
		json_object_update(c, v);
		result = 1;
	}
	json_decref(msg);
	return result;
}

json_t *record_new(json_t *environment, const char *version)
{
	char started[32];
	time_t t = time(NULL);
	struct tm tm;
	strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	return json_pack("{s:s, s:{s:s, s:s}, s:s, s:f, s:o, s:[], s:{}}",
			 "schema", RECORD_SCHEMA, "tool", "name", "netrepro", "version", version,
			 "started", started, "duration_s", 0.0, "environment", environment,
			 "cases", "summary");
}

void record_add_case(json_t *rec, json_t *case_rec)
{
	json_array_append(json_object_get(rec, "cases"), case_rec);
}

void record_finish(json_t *rec, double duration_s)
{
	long long n[ST__COUNT + 1] = { 0 };
	json_t *summary = json_object(), *c;
	size_t i;
	json_array_foreach(json_object_get(rec, "cases"), i, c)
		n[record_case_status(c)]++;     /* an unknown status: n[ST__COUNT] */
	for (int st = 0; st < ST__COUNT; st++)
		json_object_set_new(summary, status_names[st], json_integer(n[st]));
	json_object_set_new(rec, "summary", summary);
	json_object_set_new(rec, "duration_s", json_real(duration_s));
}

long long record_count(const json_t *rec, enum status st)
{
	const char *name = status_name(st);
	json_t *summary = json_object_get(rec, "summary");
	return name ? (long long)json_integer_value(json_object_get(summary, name)) : 0;
}

int record_write(const json_t *rec, const char *path, char *err, size_t len)
{
	if (json_dump_file(rec, path, JSON_INDENT(1) | JSON_PRESERVE_ORDER) < 0) {
		snprintf(err, len, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int record_exit_status(const json_t *rec, int strict)
{
	return record_count(rec, ST_FAIL) || record_count(rec, ST_ERROR) ||
	       record_count(rec, ST_TIMEOUT) || (strict && record_count(rec, ST_KNOWN_BUG));
}

void record_interrupted(json_t *rec, const char *signal)
{
	json_object_set_new(rec, "interrupted", json_string(signal));
}
