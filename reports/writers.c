/* The report formats: one writer each, behind one interface; and a report
 * as pieces, for a writer whose output may be cut into parts. */
#include "report.h"

#include <errno.h>
#include <stdlib.h>
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

const struct report_opts *report_opts_default(void)
{
	static const struct report_opts defaults = { .kcidb_origin = "netrepro" };
	return &defaults;
}

void report_write(const struct report_writer *w, FILE *f, json_t *const *recs, int n,
		  const struct report_opts *o)
{
	if (w->write_opts)
		w->write_opts(f, recs, n, o ? o : report_opts_default());
	else
		w->write(f, recs, n);
}

int report_close(FILE *f, const char *name, const char *who)
{
	int was = errno, err = 0;
	if (fflush(f) != 0)
		err = errno;
	else if (ferror(f))
		err = was ? was : EIO;  /* a write failed before: its errno, as it left it */
	if (f != stdout && f != stderr && fclose(f) != 0 && !err)
		err = errno;
	if (!err)
		return 0;
	put_textf(stderr, TEXT_TERM, "%s: cannot write %s: %s\n", who, name, strerror(err));
	errno = err;
	return -1;
}

char *report_render(report_put_fn *fn, const void *arg, size_t *chars)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fn(f, arg);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	*chars = text_chars(buf, len);
	return buf;
}

void report_doc_add(struct report_doc *d, const char *head, const char *file, report_put_fn *fn,
		    report_put_fn *alt_fn, const void *arg)
{
	struct report_piece p = { .head = head, .file = file };
	p.text = report_render(fn, arg, &p.chars);
	p.alt = alt_fn ? report_render(alt_fn, arg, &p.alt_chars) : NULL;
	struct report_piece *grown = realloc(d->p, (size_t)(d->n + 1) * sizeof *d->p);
	if (grown)
		d->p = grown;
	if (!p.text || (alt_fn && !p.alt) || !grown) {
		d->oom = 1;
		free(p.text);
		free(p.alt);
		return;
	}
	d->p[d->n++] = p;
}

void report_doc_free(struct report_doc *d)
{
	for (int i = 0; i < d->n; i++) {
		free(d->p[i].text);
		free(d->p[i].alt);
	}
	free(d->p);
	*d = (struct report_doc){ 0 };
}

int report_doc_layout(const struct report_doc *d, long max, size_t top, struct report_place *pl,
		      int *oversize)
{
	json_t *files = json_object();      /* the files of the pieces in this part */
	size_t size = top;
	int part = 0, in_part = 0;
	*oversize = 0;
	for (int i = 0; i < d->n; i++) {
		const struct report_piece *p = &d->p[i];
		int alt = p->alt && p->file && json_object_get(files, p->file);
		int head = p->head && (!in_part || d->p[i - 1].head != p->head);
		size_t cost = (alt ? p->alt_chars : p->chars) + (head ? text_chars(p->head, strlen(p->head)) : 0);
		if (max && in_part && size + cost >= (size_t)max) {
			part++;     /* the piece again, first in a new part */
			size = top;
			in_part = 0;
			json_object_clear(files);
			i--;
			continue;
		}
		*oversize += max && size + cost >= (size_t)max;
		pl[i] = (struct report_place){ part, alt, head };
		size += cost;
		in_part = 1;
		if (p->file)
			json_object_set_new(files, p->file, json_true());
	}
	json_decref(files);
	return part + 1;
}

void report_doc_put(FILE *f, const struct report_doc *d, int i, const struct report_place *pl)
{
	if (pl[i].head)
		fputs(d->p[i].head, f);
	fputs(pl[i].alt ? d->p[i].alt : d->p[i].text, f);
}
