/* guest: run cases on another kernel, in a QEMU guest booted from an
 * initramfs we write ourselves. No 9p, no virtiofs: everything the run needs
 * travels in the initramfs, and the record comes back on a serial port of its
 * own (ttyS1), gzipped and base64 between two marker lines, so kernel
 * messages (which go to ttyS0) cannot mix into it. An emulated UART is slow
 * (a megabyte takes seconds under TCG), so what crosses it is small: a
 * short line as each case ends, then the compressed record. */
#ifndef NETREPRO_GUEST_H
#define NETREPRO_GUEST_H

#include <jansson.h>
#include <stddef.h>

#include "scheduler.h"

#define GUEST_ERRLEN 512

/* A kernel to boot: a Debian flavour fetched into the cache, or an image the
 * user built, with the modules the cases need. */
struct kernel {
	char name[128];         /* label and record file name: "6.1.0-50-amd64" */
	char image[4096];       /* vmlinuz / bzImage */
	char moddir[4096];      /* lib/modules/<release>, or "" (built in) */
	int host;               /* "host": no guest, the running kernel */
	char error[512];        /* why this kernel cannot run, when it cannot */
};

/* spec: "host", a Debian flavour ("6.12.117+deb12-amd64": the package
 * linux-image-<spec> is fetched into cache, once, with apt-get download or,
 * when the archive no longer has it, from snapshot.debian.org;
 * "FLAVOUR=VERSION" pins the version), or
 * "PATH[:MODULES_DIR]" to a kernel image. Returns 0; -1 for a spec that
 * cannot be right (err says why); 1 when a Debian kernel could not be
 * fetched (err says why; k->name is set, so the run can report it). */
int kernel_resolve(const char *spec, const char *cache, struct kernel *k, char *err, size_t len);

/* mkdir -p; 0 or -1 with errno. */
int make_dirs(const char *path);

/* The modules to load for netrepro's cases, deps first, as paths; those the
 * kernel has built in are left out. A required module that is neither is an
 * error; the first *nrequired paths are the required ones, the rest may
 * fail to load without stopping the run. */
int kernel_modules(const struct kernel *k, char ***paths, int *n, int *nrequired, char *err, size_t len);

/* cpio "newc" archives, the initramfs format. */
struct cpio;
struct cpio *cpio_open(const char *path, char *err, size_t len);
int cpio_dir(struct cpio *c, const char *path);          /* and its parents */
int cpio_data(struct cpio *c, const char *path, const void *data, size_t n, unsigned mode);
int cpio_file(struct cpio *c, const char *path, const char *from, unsigned mode);
int cpio_close(struct cpio *c);                          /* writes the trailer */

/* Decodes base64 text (whitespace ignored); -1 on a bad character. */
long base64_decode(const char *in, size_t n, unsigned char *out);

/* What a guest is doing, for a progress line. */
enum guest_phase {
	GUEST_BOOTING,
	GUEST_RUNNING,          /* `done` cases over, `failed` of them not ok */
	GUEST_SENDING,          /* the run is over; the record is on its way */
};

struct guest_opts {
	const char *netrepro;   /* the binary to carry in */
	char **paths;           /* case files and folders, as given */
	int npaths;
	char **files;           /* every file the run reads (cases, fixtures), absolute */
	int nfiles;
	const char *accel;      /* "kvm" or "tcg" */
	double timeout_s;       /* the whole guest: boot, run, power off */
	double case_timeout_s;
	const char *workdir;    /* scratch space for the initramfs and logs */
	const char *out;        /* where the records go: a guest's captures land in OUT/<kernel>.captures/ */
	int cpus;               /* vCPUs, and the guest's `run -j` */
	/* Told, when not NULL, as the guest moves on: each case's end is
	 * streamed from the guest while it runs. */
	void (*progress)(void *arg, enum guest_phase phase, int done, int failed);
	void *progress_arg;
};

/* Boots k and runs the cases. Returns the guest's run record, or NULL with
 * why in err and the console's last lines in *console (caller frees). */
json_t *guest_run(const struct kernel *k, const struct guest_opts *o, char **console,
		  char *err, size_t len);

/* The matrix's line per kernel on a terminal (board.c): the children that
 * run the kernels tell, through one pipe, and the parent draws. */
struct board {
	const char *const *names;
	int n, width;
	char (*text)[160];      /* what each kernel's line says now */
	int fd[2];
	char buf[4096];         /* what was read of a line not yet whole */
	size_t len;
	struct progress shown;
};

/* A child's end: kernel `index` of the board, which runs ncases cases. */
struct board_tell {
	int fd, index, ncases;
};

int board_open(struct board *b, const char *const *names, int n);
/* Waits up to wait_ms for news, and redraws for each line of it. */
void board_read(struct board *b, int wait_ms);
/* Takes the lines off the screen. */
void board_close(struct board *b);
void board_tell(const struct board_tell *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A guest_opts progress callback; arg is a struct board_tell. */
void board_guest_progress(void *arg, enum guest_phase phase, int done, int failed);
/* The verdict of a kernel's record: its statuses counted, or the error. */
void board_done(const struct board_tell *t, json_t *rec, double wall_s);

/* 1 when KVM boots kernel k here (a short probe), else 0. */
int guest_kvm_works(const struct kernel *k, const struct guest_opts *o);

#endif
