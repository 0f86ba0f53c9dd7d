/* Reading a run record back, with a message a person can act on. */
#include "report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

/* The message into err, made visible (a record's bytes may be anything:
 * jansson quotes the token it choked on) and cut at a character. */
static void say(char *err, size_t len, const char *msg)
{
	char *shown = text_dup(msg, TEXT_TERM);
	snprintf(err, len, "%s", shown ? shown : msg);
	err[utf8_whole(err, strlen(err))] = '\0';
	free(shown);
}

json_t *record_load(const char *path, char *err, size_t len)
{
	json_error_t je;
	char msg[1400];
	struct stat st;
	struct statvfs fs;
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0) {
		/* what a writer leaves on a full disk: not a malformed record */
		int full = statvfs(path, &fs) == 0 && fs.f_bavail == 0;
		snprintf(msg, sizeof msg, "%s: empty (0 bytes): the run that wrote it did not write its record%s", path,
			 full ? "; no space left on device: the file system holding it is full" : "");
		say(err, len, msg);
		return NULL;
	}
	json_t *rec = json_load_file(path, 0, &je);
	if (!rec) {
		snprintf(msg, sizeof msg, "%s:%d:%d: not a run record: %s", path, je.line, je.column, je.text);
		say(err, len, msg);
		return NULL;
	}
	const char *schema = json_string_value(json_object_get(rec, "schema"));
	const char *why = NULL;
	if (!json_is_object(rec) || !schema)
		why = "not a netrepro run record (no \"schema\")";
	else if (!strncmp(schema, "netrepro.run/", 13) && strcmp(schema, RECORD_SCHEMA))
		why = "written by a newer netrepro";
	else if (strcmp(schema, RECORD_SCHEMA))
		why = "not a netrepro run record";
	else if (!json_is_array(json_object_get(rec, "cases")) ||
		 !json_is_object(json_object_get(rec, "environment")))
		why = "a run record without cases or environment";
	if (why) {
		snprintf(msg, sizeof msg, "%s: %s (schema %.200s; this netrepro reads %s)", path, why,
			 schema ? schema : "none", RECORD_SCHEMA);
		say(err, len, msg);
		json_decref(rec);
		return NULL;
	}
	return rec;
}
