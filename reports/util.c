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

void put_escaped(FILE *f, const char *s, const char *special)
{
	for (; *s; s++) {
		if (!strchr(special, *s)) {
			fputc(*s, f);
			continue;
		}
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '|': fputs("\\|", f); break;
		case '`': fputs("&#96;", f); break;
		default: fprintf(f, "&#%d;", (unsigned char)*s);
		}
	}
}
