/* One QEMU guest: write its initramfs, boot it, read the record back. */
#include "guest.h"

#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MARK "NETREPRO-"
/* Where a guest's run writes its packet captures. */
#define GUEST_CAPTURES "/tmp/caps"

/* 'it''s' quoting for the init script. */
static void sh_quote(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++)
		fputs(*s == '\'' ? "'\\''" : (char[]){ *s, 0 }, f);
	fputc('\'', f);
}

/* What argv writes on stdout (no shell: paths go through as they are), or
 * NULL if it cannot be run or fails. */
static char *capture(char *const argv[], size_t *n)
{
	int p[2];
	*n = 0;
	if (pipe2(p, O_CLOEXEC) < 0)
		return NULL;
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(p[1], 1);
		dup2(null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	size_t cap = 1 << 16;
	char *buf = pid > 0 ? malloc(cap) : NULL;
	ssize_t got;
	while (buf && (got = read(p[0], buf + *n, cap - *n - 1)) > 0) {
		*n += (size_t)got;
		if (*n + 1 == cap)
			buf = realloc(buf, cap *= 2);
	}
	close(p[0]);
	int status = 1;
	if (pid > 0)
		waitpid(pid, &status, 0);
	if (!buf || !WIFEXITED(status) || WEXITSTATUS(status)) {
		free(buf);
		return NULL;
	}
	buf[*n] = '\0';
	return buf;
}

/* The binary and every shared object ldd says it loads, at their paths. */
static int add_binary(struct cpio *c, const char *bin, char *err, size_t len)
{
	size_t n;
	char *const ldd[] = { "ldd", (char *)bin, NULL };
	char *out = capture(ldd, &n);
	int rc = cpio_file(c, "/netrepro/netrepro", bin, 0755);
	for (char *line = out ? strtok(out, "\n") : NULL; line && !rc; line = strtok(NULL, "\n")) {
		char *path = strstr(line, "=> ");
		path = path ? path + 3 : line + strspn(line, " \t");
		if (*path != '/')
			continue;
		path[strcspn(path, " ")] = '\0';
		rc = cpio_file(c, path, path, 0755);
	}
	if (!out || rc)
		snprintf(err, len, "cannot pack %s and its libraries (ldd)", bin);
	free(out);
	return out && !rc ? 0 : -1;
}

/* Modules decompressed here: busybox insmod hands the kernel a buffer, and
 * not every kernel decompresses one. */
static int add_modules(struct cpio *c, char **mods, int n, int nrequired, FILE *init, char *err, size_t len)
{
	for (int i = 0; i < n; i++) {
		const char *m = mods[i], *base = strrchr(m, '/') ? strrchr(m, '/') + 1 : m;
		char dst[512];
		size_t sz = 0;
		const char *tool = strstr(m, ".ko.xz") ? "xz" : strstr(m, ".ko.zst") ? "zstd"
				 : strstr(m, ".ko.gz") ? "gzip" : "cat";
		char *const argv[] = { (char *)tool, strcmp(tool, "cat") ? "-dc" : "--", (char *)m, NULL };
		char *data = capture(argv, &sz);
		snprintf(dst, sizeof dst, "/modules/%02d-%.*s.ko", i, (int)strcspn(base, "."), base);
		if (!data || cpio_data(c, dst, data, sz, 0644) < 0) {
			free(data);
			snprintf(err, len, "cannot read module %s (%s)", m, tool);
			return -1;
		}
		free(data);
		if (i < nrequired)
			fprintf(init, "$B insmod %s || fail MODULE-FAILED %s\n", dst, base);
		else
			fprintf(init, "$B insmod %s 2>/dev/null || true\n", dst);
	}
	return 0;
}

static void write_init_head(FILE *f, const char *accel)
{
	fprintf(f, "#!/bin/busybox sh\n"
		   "B=/bin/busybox\n"
		   "$B mount -t proc proc /proc\n$B mount -t sysfs sys /sys\n"
		   "$B mount -t devtmpfs dev /dev\n"
		   "out=/dev/ttyS1\n"
		   "fail() { echo \"" MARK "$*\" > $out; $B tail -n 40 /tmp/err > $out 2>/dev/null;"
		   " echo \"" MARK "END\" > $out; $B poweroff -f; }\n"
		   "echo \"" MARK "BOOTED $($B cat /proc/uptime)\" > $out\n"
		   "export NETREPRO_ACCEL=%s HOME=/tmp PATH=/bin\n", accel);
}

/* The run, its KTAP read by awk for one short line per case on the record
 * port (the host's progress), then the record and the captures, gzipped:
 * the UART is what a guest's run spends most of its time on otherwise. */
static void write_init_run(FILE *f, const struct guest_opts *o)
{
	char cwd[4096];
	fprintf(f, "cd ");
	sh_quote(f, getcwd(cwd, sizeof cwd) ? cwd : "/");
	fprintf(f, " || fail RUN-FAILED cd\n{ /netrepro/netrepro run -j %d --timeout %g --json /tmp/run.json"
		" --captures " GUEST_CAPTURES, o->cpus > 0 ? o->cpus : 1, o->case_timeout_s);
	for (int i = 0; i < o->npaths; i++) {
		fputc(' ', f);
		sh_quote(f, o->paths[i]);
	}
	fprintf(f, " 2> /tmp/err; echo $? > /tmp/rc; } | $B awk '/^(not )?ok [0-9]/"
		   " { print \"" MARK "CASE \" ++n \" \" $1; fflush() }' > $out\n"
		   "rc=$($B cat /tmp/rc)\n"
		   "[ -s /tmp/run.json ] || fail RUN-FAILED rc=$rc\n"
		   "$B gzip -c /tmp/run.json > /tmp/run.gz || fail RUN-FAILED gzip\n"
		   "{ echo \"" MARK "RECORD-BEGIN rc=$rc\"; $B base64 /tmp/run.gz;"
		   " echo \"" MARK "RECORD-END $($B wc -c < /tmp/run.gz)\"; } > $out\n"
		   /* the packet captures, as one tar, after the record */
		   "if [ -d " GUEST_CAPTURES " ]; then $B tar -C " GUEST_CAPTURES " -cf - . | $B gzip -c > /tmp/caps.tar &&"
		   " { echo \"" MARK "CAPTURES-BEGIN\"; $B base64 /tmp/caps.tar;"
		   " echo \"" MARK "CAPTURES-END $($B wc -c < /tmp/caps.tar)\"; } > $out; fi\n"
		   "$B poweroff -f\n");
}

static int write_initramfs(const struct kernel *k, const struct guest_opts *o, const char *accel,
			   const char *path, char *err, size_t len)
{
	struct cpio *c = cpio_open(path, err, len);
	if (!c)
		return -1;
	char *init = NULL, **mods = NULL;
	size_t ilen = 0;
	int nmods = 0;
	FILE *f = open_memstream(&init, &ilen);
	write_init_head(f, accel);
	int nrequired = 0;
	int rc = kernel_modules(k, &mods, &nmods, &nrequired, err, len);
	if (!rc)
		rc = add_modules(c, mods, nmods, nrequired, f, err, len);
	write_init_run(f, o);
	fclose(f);
	for (int i = 0; i < nmods; i++)
		free(mods[i]);
	free(mods);
	char cwd[4096];
	const char *dirs[] = { "/proc", "/sys", "/dev", "/tmp", getcwd(cwd, sizeof cwd) ? cwd : "/" };
	for (size_t i = 0; !rc && i < sizeof dirs / sizeof *dirs; i++)
		rc = cpio_dir(c, dirs[i]);   /* the last: init runs the cases from there */
	/* what env_collect reports as the guest's distro */
	static const char os_release[] = "NAME=\"netrepro guest\"\nID=netrepro-guest\n"
					 "PRETTY_NAME=\"netrepro QEMU guest (busybox initramfs)\"\n";
	if (!rc && (cpio_data(c, "/init", init, ilen, 0755) < 0 ||
		    cpio_data(c, "/etc/os-release", os_release, sizeof os_release - 1, 0644) < 0 ||
		    cpio_file(c, "/bin/busybox", "/bin/busybox", 0755) < 0))
		rc = -1, snprintf(err, len, "cannot pack /bin/busybox (Debian's busybox-static)");
	if (!rc)
		rc = add_binary(c, o->netrepro, err, len);
	for (int i = 0; !rc && i < o->nfiles; i++)
		if (cpio_file(c, o->files[i], o->files[i], 0644) < 0)
			rc = -1, snprintf(err, len, "cannot pack %s", o->files[i]);
	free(init);
	if (cpio_close(c) < 0 && !rc)
		rc = -1, snprintf(err, len, "cannot write %s", path);
	return rc;
}

/* Starts QEMU; returns its pid. TCG translates on a thread per vCPU
 * (thread=multi), so a guest with the CPUs no other guest uses runs its
 * cases side by side, as `run -j` does on the host. */
static pid_t qemu_start(const struct kernel *k, const char *accel, int cpus, const char *initrd,
			const char *con, const char *rec)
{
	char serial0[4200], serial1[4200], smp[16], mem[16];
	snprintf(serial0, sizeof serial0, "file:%s", con);
	snprintf(serial1, sizeof serial1, "file:%s", rec);
	cpus = cpus > 0 ? cpus : 1;
	snprintf(smp, sizeof smp, "%d", cpus);
	snprintf(mem, sizeof mem, "%d", cpus > 2 ? 256 * cpus : 512);
	int tcg = !strcmp(accel, "tcg");
	char *argv[] = { "qemu-system-x86_64", "-accel", tcg ? "tcg,thread=multi" : (char *)accel,
			 "-cpu", tcg ? "max" : "kvm64", "-m", mem, "-smp", smp, "-display", "none",
			 "-nodefaults", "-no-reboot", "-kernel", (char *)k->image, "-initrd", (char *)initrd,
			 "-append", "console=ttyS0 panic=-1 oops=panic quiet loglevel=4 mitigations=off",
			 "-serial", serial0, "-serial", serial1, NULL };
	pid_t pid = fork();
	if (pid == 0) {
		/* QEMU's own complaints (a CPUID feature TCG lacks) go with the
		 * console log, not to the terminal */
		char log[4400];
		snprintf(log, sizeof log, "%s.qemu", con);
		prctl(PR_SET_PDEATHSIG, SIGKILL);   /* no guest outlives its run */
		int null = open("/dev/null", O_RDONLY), out = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(null, 0);
		dup2(out, 1);
		dup2(out, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 16, n = 0, got;
	char *buf = malloc(cap);
	while (f && buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (n + 1 == cap)
			buf = realloc(buf, cap *= 2);
	}
	if (f)
		fclose(f);
	if (buf)
		buf[n] = '\0';
	return buf;
}

static int file_has(const char *path, const char *needle)
{
	char *s = read_text(path);
	int found = s && strstr(s, needle);
	free(s);
	return found;
}

/* The record port read as it grows, while the guest runs: the lines its
 * init writes as it boots and as each case ends, told to o->progress. */
struct watch {
	const struct guest_opts *o;
	const char *path;
	int fd;
	enum guest_phase phase;
	int done, failed;
	char line[128];
	size_t n;
	int long_line;          /* base64, or nothing of ours */
};

static void watch_line(struct watch *w, const char *s)
{
	static const char booted[] = MARK "BOOTED", one[] = MARK "CASE ", sending[] = MARK "RECORD-BEGIN";
	if (!strncmp(s, booted, strlen(booted))) {
		w->phase = GUEST_RUNNING;
	} else if (!strncmp(s, one, strlen(one))) {
		w->done = atoi(s + strlen(one));
		w->failed += !!strstr(s + strlen(one), " not");
	} else if (!strncmp(s, sending, strlen(sending))) {
		w->phase = GUEST_SENDING;
	} else {
		return;
	}
	w->o->progress(w->o->progress_arg, w->phase, w->done, w->failed);
}

static void watch_read(struct watch *w)
{
	char buf[4096];
	ssize_t got;
	if (!w || !w->o->progress || w->phase == GUEST_SENDING)
		return;
	if (w->fd < 0 && (w->fd = open(w->path, O_RDONLY | O_CLOEXEC)) < 0)
		return;         /* QEMU has not made it yet */
	while ((got = read(w->fd, buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < got; i++) {
			if (buf[i] == '\n') {
				w->line[w->n] = '\0';
				if (!w->long_line)
					watch_line(w, w->line);
				w->n = 0;
				w->long_line = 0;
			} else if (w->n + 1 < sizeof w->line) {
				w->line[w->n++] = buf[i];
			} else {
				w->long_line = 1;
			}
		}
}

/* Waits for pid until deadline; kills it when a probe (booted_by > 0) sees
 * no boot marker by then. 0 exited, 1 killed at the deadline. */
static int qemu_wait(pid_t pid, double deadline, double booted_by, const char *rec,
		     struct watch *w, int *exit_status)
{
	int status;
	for (;;) {
		watch_read(w);
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid || (r < 0 && errno != EINTR)) {
			*exit_status = r == pid && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
			return 0;
		}
		double t = clock_now();
		if (booted_by > 0 && t > booted_by && !file_has(rec, MARK "BOOTED"))
			deadline = t;
		if (booted_by > 0 && t > booted_by)
			booted_by = 0;
		if (t >= deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return 1;
		}
		nanosleep(&(struct timespec){ 0, 20 * 1000000L }, NULL);
	}
}

/* The last lines of the console, for a record that says why, after what
 * QEMU itself said (it explains a kernel it could not load). */
static char *console_tail(const char *con, int lines)
{
	char qlog[4500];
	if (snprintf(qlog, sizeof qlog, "%s.qemu", con) >= (int)sizeof qlog)
		qlog[0] = '\0';
	char *q = read_text(qlog), *s = read_text(con);
	char *p = s + strlen(s);
	while (p > s && lines >= 0)
		if (*--p == '\n')
			lines--;
	p += *p == '\n';
	size_t n = strlen(q) + strlen(p) + 1;
	char *tail = malloc(n);
	snprintf(tail, n, "%s%s", q, p);
	free(q);
	free(s);
	return tail;
}

/* The text between MARK what-BEGIN and MARK what-END N in s, decoded: N
 * bytes into *out (allocated), or -1 when absent or damaged. */
static long marked_block(const char *s, const char *what, unsigned char **out)
{
	char begin_mark[64], end_mark[64];
	snprintf(begin_mark, sizeof begin_mark, MARK "%s-BEGIN", what);
	snprintf(end_mark, sizeof end_mark, MARK "%s-END ", what);
	const char *begin = strstr(s, begin_mark), *end = begin ? strstr(begin, end_mark) : NULL;
	const char *data = begin ? strchr(begin, '\n') : NULL;
	*out = NULL;
	if (!begin || !end || !data || ++data > end)
		return -1;
	*out = malloc((size_t)(end - data) + 1);
	long n = *out ? base64_decode(data, (size_t)(end - data), *out) : -1;
	if (n < 0 || n != atol(end + strlen(end_mark))) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return n;
}

/* Why a guest sent no record, from what it did send. */
static void no_record(const char *s, char *err, size_t len)
{
	const char *why = strstr(s, MARK "MODULE-FAILED") ? strstr(s, MARK "MODULE-FAILED")
			: strstr(s, MARK "RUN-FAILED");
	snprintf(err, len, "%s", why ? why + strlen(MARK) : strstr(s, MARK "BOOTED")
		 ? "the guest booted but sent no record" : "the guest did not boot");
	err[strcspn(err, "\r\n")] = '\0';
	const char *detail = why ? strchr(why, '\n') : NULL;
	if (detail && detail[1] && strncmp(detail + 1, MARK, strlen(MARK))) {
		size_t at = strlen(err);
		snprintf(err + at, len - at, ": %.*s", (int)strcspn(detail + 1, "\r\n"), detail + 1);
	}
}

/* n bytes of gzip, unpacked by the host's gzip through the file gz. */
static char *gunzip(const unsigned char *raw, long n, const char *gz, size_t *out)
{
	FILE *f = fopen(gz, "wb");
	int ok = f && fwrite(raw, 1, (size_t)n, f) == (size_t)n;
	if (f && fclose(f))
		ok = 0;
	char *const argv[] = { "gzip", "-dc", (char *)gz, NULL };
	char *text = ok ? capture(argv, out) : NULL;
	unlink(gz);
	return text;
}

static json_t *parse_record(const char *rec, const char *gz, char *err, size_t len)
{
	char *s = read_text(rec), *text = NULL;
	unsigned char *raw = NULL;
	long n = marked_block(s, "RECORD", &raw);
	size_t tlen = 0;
	json_t *j = NULL;
	json_error_t je;
	if (n < 0 && !strstr(s, MARK "RECORD-END "))
		no_record(s, err, len);
	else if (n < 0)
		snprintf(err, len, "the record came back damaged (its base64 or its length)");
	else if (!(text = gunzip(raw, n, gz, &tlen)))
		snprintf(err, len, "the record came back damaged (gzip cannot unpack its %ld bytes)", n);
	else if (!(j = json_loadb(text, tlen, 0, &je)))
		snprintf(err, len, "the record is not JSON: %s", je.text);
	free(text);
	free(raw);
	free(s);
	return j;
}

/* Each capture of the record: its file renamed from the guest's folder to
 * dir (relative to the record), or, when the files did not come back,
 * no file and a note saying so. */
static void rename_captures(json_t *rec, const char *dir, const char *why)
{
	size_t i, k, plen = strlen(GUEST_CAPTURES);
	json_t *c, *cap;
	json_array_foreach(json_object_get(rec, "cases"), i, c)
		json_array_foreach(json_object_get(c, "captures"), k, cap) {
			const char *file = json_string_value(json_object_get(cap, "file"));
			if (!file || strncmp(file, GUEST_CAPTURES, plen))
				continue;
			char *moved = NULL;
			if (why || asprintf(&moved, "%s%s", dir, file + plen) < 0) {
				json_object_set_new(cap, "file", json_null());
				json_object_set_new(cap, "note", json_string(why ? why : "out of memory"));
			} else {
				json_object_set_new(cap, "file", json_string(moved));
			}
			free(moved);
		}
}

/* The captures a guest sent after its record, unpacked into
 * OUT/<kernel>.captures/ with tar, and the record's names made to match. */
static void carry_captures(const char *serial, const struct guest_opts *o, const struct kernel *k, json_t *rec)
{
	char *s = read_text(serial), dir[PATH_MAX], tar[PATH_MAX * 2 + 16];
	unsigned char *raw = NULL;
	long n = s ? marked_block(s, "CAPTURES", &raw) : -1;
	const char *why = NULL;
	free(s);
	snprintf(dir, sizeof dir, "%s.captures", k->name);
	char where[PATH_MAX * 2];
	snprintf(where, sizeof where, "%s/%s", o->out ? o->out : ".", dir);
	snprintf(tar, sizeof tar, "%s.tar", where);
	FILE *f = n >= 0 ? fopen(tar, "wb") : NULL;
	if (n < 0)
		why = "the pcap files did not come back from the guest (none sent, or damaged on the serial line)";
	else if (!f || fwrite(raw, 1, (size_t)n, f) != (size_t)n)
		why = "the pcap files came back from the guest but could not be written";
	if (f && fclose(f) && !why)
		why = "the pcap files came back from the guest but could not be written";
	free(raw);
	if (!why) {
		char *const untar[] = { "tar", "-xf", tar, "-C", where, NULL };
		size_t got;
		char *said = NULL;
		if (make_dirs(where) < 0)
			why = "the pcap files came back from the guest but their folder could not be made";
		else if (!(said = capture(untar, &got)))
			why = "the pcap files came back from the guest but tar could not unpack them";
		free(said);
		unlink(tar);
	}
	rename_captures(rec, dir, why);
}

static void scratch(const struct guest_opts *o, const struct kernel *k, const char *what,
		    char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.%s", o->workdir, k->name, what);
}

json_t *guest_run(const struct kernel *k, const struct guest_opts *o, char **console,
		  char *err, size_t len)
{
	char initrd[4400], con[4400], rec[4400], gz[4400];
	scratch(o, k, "initrd", initrd, sizeof initrd);
	scratch(o, k, "record.gz", gz, sizeof gz);
	scratch(o, k, "console.log", con, sizeof con);
	scratch(o, k, "serial1.log", rec, sizeof rec);
	*console = NULL;
	if (write_initramfs(k, o, o->accel, initrd, err, len) < 0)
		return NULL;
	unlink(con);
	unlink(rec);
	double t0 = clock_now();
	pid_t pid = qemu_start(k, o->accel, o->cpus, initrd, con, rec);
	if (pid < 0) {
		snprintf(err, len, "cannot start qemu-system-x86_64: %s", strerror(errno));
		return NULL;
	}
	struct watch w = { .o = o, .path = rec, .fd = -1 };
	if (o->progress)
		o->progress(o->progress_arg, GUEST_BOOTING, 0, 0);
	int status = 0, killed = qemu_wait(pid, t0 + o->timeout_s, 0, rec, &w, &status);
	if (w.fd >= 0)
		close(w.fd);
	json_t *j = parse_record(rec, gz, err, len);
	if (!j && !killed && !file_has(rec, MARK "BOOTED")) {
		size_t at = strlen(err);
		snprintf(err + at, len - at, " (qemu exited with status %d after %.1f s)", status, clock_now() - t0);
	}
	if (killed && !j)
		snprintf(err, len, "the guest did not finish within %g s (%s)", o->timeout_s,
			 file_has(rec, MARK "BOOTED") ? "it booted" : "it never booted");
	if (!j)
		*console = console_tail(con, 25);
	else
		carry_captures(rec, o, k, j);
	if (j)
		json_object_set_new(j, "guest", json_pack("{s:s, s:s, s:f, s:i}", "accel", o->accel,
							  "kernel", k->name, "wall_s", clock_now() - t0,
							  "cpus", o->cpus > 0 ? o->cpus : 1));
	return j;
}

int guest_kvm_works(const struct kernel *k, const struct guest_opts *o)
{
	char initrd[4400], con[4400], rec[4400], err[GUEST_ERRLEN];
	if (access("/dev/kvm", R_OK | W_OK) < 0)
		return 0;
	scratch(o, k, "kvm-probe.initrd", initrd, sizeof initrd);
	scratch(o, k, "kvm-probe.console", con, sizeof con);
	scratch(o, k, "kvm-probe.serial1", rec, sizeof rec);
	struct guest_opts probe = *o;
	probe.npaths = 0;       /* boots, and stops at the run */
	if (write_initramfs(k, &probe, "kvm", initrd, err, sizeof err) < 0)
		return 0;
	unlink(rec);
	pid_t pid = qemu_start(k, "kvm", 1, initrd, con, rec);
	if (pid < 0)
		return 0;
	double t0 = clock_now();
	int status;
	qemu_wait(pid, t0 + 10, t0 + 3, rec, NULL, &status);
	return file_has(rec, MARK "BOOTED");
}
