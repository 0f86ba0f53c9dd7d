/* Reading a run record back, with a message a person can act on. */
#include "report.h"

#include <stdio.h>
#include <string.h>

json_t *record_load(const char *path, char *err, size_t len)
{
	json_error_t je;
	json_t *rec = json_load_file(path, 0, &je);
	if (!rec) {
		snprintf(err, len, "%s:%d:%d: not a run record: %s", path, je.line, je.column, je.text);
		return NULL;
	}
	const char *schema = json_string_value(json_object_get(rec, "schema"));
	const char *msg = NULL;
	if (!json_is_object(rec) || !schema)
		msg = "not a netrepro run record (no \"schema\")";
	else if (!strncmp(schema, "netrepro.run/", 13) && strcmp(schema, RECORD_SCHEMA))
		msg = "written by a newer netrepro";
	else if (strcmp(schema, RECORD_SCHEMA))
		msg = "not a netrepro run record";
	else if (!json_is_array(json_object_get(rec, "cases")) ||
		 !json_is_object(json_object_get(rec, "environment")))
		msg = "a run record without cases or environment";
	if (msg) {
		snprintf(err, len, "%s: %s (schema %s; this netrepro reads %s)", path, msg,
			 schema ? schema : "none", RECORD_SCHEMA);
		json_decref(rec);
		return NULL;
	}
	return rec;
}
