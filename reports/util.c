/* Small helpers the report writers share. */
#include "report.h"

#include <string.h>

const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

const char *run_label(const json_t *rec)
{
	return jstr(json_object_get(json_object_get(rec, "environment"), "kernel"), "release");
}

json_t *case_ids(json_t *const *recs, int n)
{
	json_t *ids = json_array(), *seen = json_object(), *c;
	size_t i;
	for (int r = 0; r < n; r++)
		json_array_foreach(json_object_get(recs[r], "cases"), i, c) {
			const char *id = jstr(c, "id");
			if (json_object_get(seen, id))
				continue;
			json_object_set_new(seen, id, json_true());
			json_array_append_new(ids, json_string(id));
		}
	json_decref(seen);
	return ids;
}

json_t *case_find(const json_t *rec, const char *id)
{
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(rec, "cases"), i, c)
		if (!strcmp(jstr(c, "id"), id))
			return c;
	return NULL;
}

const json_t **case_find_each(json_t *const *recs, int n, const char *id)
{
	const json_t **cs = calloc((size_t)(n > 0 ? n : 1), sizeof *cs);
	for (int r = 0; cs && r < n; r++)
		cs[r] = case_find(recs[r], id);
	return cs;
}

/* Steps match by file, line and loop position: the same question asked. */
static int same_step(const json_t *s, const json_t *t)
{
	return json_integer_value(json_object_get(s, "line")) == json_integer_value(json_object_get(t, "line")) &&
	       !strcmp(jstr(s, "iter"), jstr(t, "iter")) && !strcmp(jstr(s, "file"), jstr(t, "file"));
}

const json_t *case_step(const json_t *c, const json_t *step)
{
	size_t i;
	json_t *t;
	json_array_foreach(json_object_get(c, "steps"), i, t)
		if (same_step(step, t))
			return t;
	return NULL;
}

/* Recorded-only steps are shown, and listed by diff, but do not mark a
 * case as changed. */
int step_checked(const json_t *step)
{
	return record_step_status(step) != STEP_INFO;
}

/* A step of a that is checked (in a or in b) and answered otherwise in b. */
int both_picked(const json_t *s, const json_t *t)
{
	return json_is_true(json_object_get(s, "kernel_picks")) && json_is_true(json_object_get(t, "kernel_picks")) &&
	       !strcmp(jstr(s, "status"), "pass") && !strcmp(jstr(t, "status"), "pass");
}

static const json_t *differing_step(const json_t *a, const json_t *b)
{
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(a, "steps"), i, s) {
		const json_t *t = case_step(b, s);
		if ((step_checked(s) || (t && step_checked(t))) &&
		    (!t || (strcmp(jstr(s, "observed"), jstr(t, "observed")) && !both_picked(s, t))))
			return s;
	}
	return NULL;
}

int case_same_answers(const json_t *a, const json_t *b)
{
	if (!a || !b)
		return a == b;
	if (strcmp(jstr(a, "status"), jstr(b, "status")))
		return 0;
	return !differing_step(a, b) && !differing_step(b, a);
}

const json_t *case_differing_step(json_t *const *recs, int n, const char *id)
{
	for (int r = 0; r < n; r++)
		for (int o = 0; o < n; o++) {
			const json_t *a = case_find(recs[r], id), *b = case_find(recs[o], id);
			const json_t *s = a && b ? differing_step(a, b) : NULL;
			if (s)
				return s;
		}
	return NULL;
}

const char *step_observed_in(const json_t *rec, const char *id, const json_t *step)
{
	const json_t *c = case_find(rec, id);
	const json_t *t = c && step ? case_step(c, step) : NULL;
	return t ? jstr(t, "observed") : "-";
}

const char *env_sysctl(const json_t *rec, const char *key)
{
	json_t *v = json_object_get(json_object_get(json_object_get(rec, "environment"), "sysctl"), key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

size_t data_escape(const void *data, size_t n, char *buf, size_t len)
{
	const unsigned char *p = data;
	size_t o = 0;
	for (size_t i = 0; i < n && o + 8 < len; i++) {
		/* '"' and '\\' as \xHH: the text reads the same inside a quoted
		 * "expected" string and in every writer's own quoting */
		if (p[i] >= 32 && p[i] < 127 && p[i] != '"' && p[i] != '\\')
			buf[o++] = (char)p[i];
		else if (p[i] == '\n')
			o += (size_t)snprintf(buf + o, len - o, "\\n");
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", p[i]);
		if (i + 1 < n && o + 8 >= len) {
			o += (size_t)snprintf(buf + o, len - o, "...");
			break;
		}
	}
	buf[o] = '\0';
	return o;
}

void put_summary(FILE *f, const json_t *rec)
{
	fprintf(f, "%lld passed, %lld failed, %lld errors, %lld skipped, %lld timed out",
		record_count(rec, ST_PASS), record_count(rec, ST_FAIL), record_count(rec, ST_ERROR),
		record_count(rec, ST_SKIP), record_count(rec, ST_TIMEOUT));
	if (record_count(rec, ST_KNOWN_BUG))
		fprintf(f, ", %lld known kernel bugs", record_count(rec, ST_KNOWN_BUG));
}

json_t *bug_table(json_t *const *recs, int n)
{
	json_t *table = json_object();
	for (int r = 0; r < n; r++) {
		size_t i;
		json_t *c, *state;
		const char *fix;
		json_array_foreach(json_object_get(recs[r], "cases"), i, c)
			json_object_foreach(json_object_get(c, "bugs"), fix, state) {
				json_t *row = json_object_get(table, fix);
				if (!row) {
					row = json_array();
					for (int k = 0; k < n; k++)
						json_array_append_new(row, json_null());
					json_object_set_new(table, fix, row);
				}
				const char *was = json_string_value(json_array_get(row, (size_t)r));
				if (!was || !strcmp(json_string_value(state), "has"))
					json_array_set(row, (size_t)r, state);
			}
	}
	return table;
}

const char *bug_word(const json_t *state)
{
	const char *s = json_string_value(state);
	return !s ? "not applicable" : !strcmp(s, "has") ? "has it" : "fixed";
}

size_t text_chars(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char b = (unsigned char)s[i];
		n += (b & 0xc0) != 0x80;        /* a character's first byte */
		n += b >= 0xf0;                 /* outside the BMP: a surrogate pair */
	}
	return n;
}

static long long step_line(const json_t *s)
{
	return json_integer_value(json_object_get(s, "line"));
}

/* inner is a loop position inside outer ("p=1,#3" in "p=1"; "#9" in ""). */
static int iter_within(const char *inner, const char *outer)
{
	size_t n = strlen(outer);
	return strlen(inner) > n && !strncmp(inner, outer, n) && (!n || inner[n] == ',');
}

/* Steps are recorded as they end: a `repeat until` line after the calls of
 * its loop. Each step goes back over the steps just before it that are
 * below it in the file and inside its loop. */
static json_t *file_order(const json_t *steps)
{
	json_t *out = json_array(), *s;
	size_t i;
	json_array_foreach(steps, i, s) {
		size_t k = json_array_size(out);
		for (; k > 0; k--) {
			const json_t *t = json_array_get(out, k - 1);
			if (step_line(t) <= step_line(s) || !iter_within(jstr(t, "iter"), jstr(s, "iter")))
				break;
		}
		json_array_insert(out, k, s);
	}
	return out;
}

json_t *case_steps(json_t *const *recs, int n, const char *id)
{
	json_t *all = json_array();
	for (int r = 0; r < n; r++) {
		const json_t *c = case_find(recs[r], id);
		json_t *mine = c ? file_order(json_object_get(c, "steps")) : NULL, *s, *t;
		size_t i, j;
		json_array_foreach(mine, i, s) {
			int seen = 0;
			json_array_foreach(all, j, t)
				if ((seen = same_step(s, t)))
					break;
			if (seen)
				continue;
			size_t k = json_array_size(all);
			while (r && k > 0 && step_line(json_array_get(all, k - 1)) > step_line(s))
				k--;
			json_array_insert(all, k, s);
		}
		json_decref(mine);
	}
	return all;
}

int case_failed(const json_t *c)
{
	enum status st = record_case_status(c);
	return c && (st == ST_FAIL || st == ST_ERROR || st == ST_TIMEOUT);
}

static int case_rank(json_t *const *recs, int n, const char *id)
{
	int rank = 2;
	for (int r = 0; r < n; r++) {
		const json_t *c = case_find(recs[r], id);
		if (case_failed(c))
			return 0;
		if (record_case_status(c) == ST_KNOWN_BUG)
			rank = 1;
	}
	return rank;
}

json_t *case_ids_failures_first(json_t *const *recs, int n)
{
	json_t *ids = case_ids(recs, n), *sorted = json_array(), *id;
	for (int rank = 0; rank <= 2; rank++) {
		size_t i;
		json_array_foreach(ids, i, id)
			if (case_rank(recs, n, json_string_value(id)) == rank)
				json_array_append(sorted, id);
	}
	json_decref(ids);
	return sorted;
}

const char *run_tool_version(const json_t *rec)
{
	const char *v = jstr(json_object_get(rec, "tool"), "version");
	return *v ? v : "(unknown)";
}

void put_reproduce(FILE *f, const json_t *c)
{
	const char *file = jstr(c, "file");
	fputs("netrepro run -k ", f);
	put_shell_word(f, jstr(c, "id"), 1);   /* a pattern: quoted always */
	/* a file named "-x" is no option */
	fputs(*file == '-' ? " ./" : " ", f);
	put_shell_word(f, file, 0);
}
