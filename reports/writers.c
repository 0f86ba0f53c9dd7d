/* The report formats: one writer each, behind one interface. */
#include "report.h"

#include <string.h>

extern const struct report_writer report_markdown, report_html, report_junit,
	report_ktap, report_kcidb;

const struct report_writer *report_writer_find(const char *name)
{
	const struct report_writer *const all[] = {
		&report_markdown, &report_html, &report_junit, &report_ktap, &report_kcidb,
	};
	for (size_t i = 0; i < sizeof all / sizeof *all; i++)
		if (!strcmp(all[i]->name, name))
			return all[i];
	return NULL;
}
