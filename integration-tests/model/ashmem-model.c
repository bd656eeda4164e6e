/*
 * ashmem-model: an executable model of everything docs/ashmem-semantics.md says a caller can
 * see before a region's first mmap, served over CUSE with libfuse3. It exists to check the
 * conformance suite itself: the `model` suite runs the same conformance programs against it, so
 * a test that fails there is wrong (or asks for something CUSE cannot deliver), not the daemon.
 * It never maps anything, so every region stays in its "no backing file" state.
 *
 *   ashmem-model [--device NAME] [--mode OCTAL] [--runtime-dir DIR] [--log-level L] [--workers N]
 *
 * The options mirror ashmemd's so that ASHMEMD=ashmem-model drops in; only --device and --mode
 * do anything. Like ashmemd it creates /dev/NAME<boot_id> as an alias, logs "ready" once the
 * device exists, and exits 0 on SIGTERM.
 */
#define FUSE_USE_VERSION 35
#include <cuse_lowlevel.h>
#include <fuse_lowlevel.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../../native-headers/ashmem_abi.h"

#define CAP_SYS_ADMIN_BIT 21
#define PAGE 4096UL

struct area {
	char name[ASHMEM_NAME_LEN]; /* "" = no name: reported as "dev/ashmem" */
	unsigned long size;
	unsigned long prot_mask;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const char *devname = "ashmem";
static mode_t devmode = 0666;
static char alias[512];

/* Reads a whole small /proc file of the calling thread; 0 on success. */
static int read_proc(pid_t tid, const char *what, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)tid, what);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	return 0;
}

static int caller_has_sys_admin(pid_t tid)
{
	char buf[4096];
	if (tid <= 0 || read_proc(tid, "status", buf, sizeof(buf)) != 0)
		return 0;
	const char *p = strstr(buf, "\nCapEff:");
	if (!p)
		return 0;
	unsigned long long caps = strtoull(p + 8, NULL, 16);
	return (caps >> CAP_SYS_ADMIN_BIT) & 1;
}

static int caller_reads_imply_exec(pid_t tid)
{
	char buf[64];
	if (tid <= 0 || read_proc(tid, "personality", buf, sizeof(buf)) != 0)
		return 0;
	return (strtoul(buf, NULL, 16) & READ_IMPLIES_EXEC) != 0;
}

static void model_open(fuse_req_t req, struct fuse_file_info *fi)
{
	struct area *a = calloc(1, sizeof(*a));
	if (!a) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	a->prot_mask = PROT_READ | PROT_WRITE | PROT_EXEC;
	fi->fh = (uint64_t)(uintptr_t)a;
	fuse_reply_open(req, fi);
}

static void model_release(fuse_req_t req, struct fuse_file_info *fi)
{
	free((struct area *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void model_read(fuse_req_t req, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct area *a = (struct area *)(uintptr_t)fi->fh;
	(void)size;
	(void)off;
	pthread_mutex_lock(&lock);
	unsigned long s = a->size;
	pthread_mutex_unlock(&lock);
	if (s == 0)
		fuse_reply_buf(req, NULL, 0);
	else
		fuse_reply_err(req, EBADF); /* no backing file: never mapped */
}

static void model_write(fuse_req_t req, const char *buf, size_t size, off_t off,
			struct fuse_file_info *fi)
{
	(void)buf;
	(void)size;
	(void)off;
	(void)fi;
	fuse_reply_err(req, EINVAL);
}

static void retry_in(fuse_req_t req, void *arg, size_t len)
{
	struct iovec iov = { arg, len };
	fuse_reply_ioctl_retry(req, &iov, 1, NULL, 0);
}

/*
 * SET_NAME like strncpy_from_user: first fetch only up to the end of the caller's page; if the
 * NUL is there, that is the string, and the next page is never touched. Otherwise fetch all 256
 * bytes, and let the kernel's EFAULT speak if they are not all readable.
 */
static void set_name(fuse_req_t req, struct area *a, void *arg, const char *in, size_t in_len)
{
	if (in_len == 0) {
		size_t to_page_end = PAGE - ((uintptr_t)arg & (PAGE - 1));
		retry_in(req, arg, to_page_end < ASHMEM_NAME_LEN ? to_page_end : ASHMEM_NAME_LEN);
		return;
	}
	const char *nul = memchr(in, '\0', in_len);
	if (!nul && in_len < ASHMEM_NAME_LEN) {
		retry_in(req, arg, ASHMEM_NAME_LEN);
		return;
	}
	size_t n = nul ? (size_t)(nul - in) : ASHMEM_NAME_LEN - 1;
	pthread_mutex_lock(&lock);
	memcpy(a->name, in, n);
	a->name[n] = '\0';
	pthread_mutex_unlock(&lock);
	fuse_reply_ioctl(req, 0, NULL, 0);
}

static void get_name(fuse_req_t req, struct area *a, void *arg, size_t out_len)
{
	if (out_len == 0) {
		struct iovec iov = { arg, ASHMEM_NAME_LEN };
		fuse_reply_ioctl_retry(req, NULL, 0, &iov, 1);
		return;
	}
	char name[ASHMEM_NAME_LEN];
	pthread_mutex_lock(&lock);
	strcpy(name, a->name[0] ? a->name : ASHMEM_NAME_DEF);
	pthread_mutex_unlock(&lock);
	fuse_reply_ioctl(req, 0, name, strlen(name) + 1); /* strlen+1 bytes, never more */
}

static void set_prot_mask(fuse_req_t req, struct area *a, unsigned long prot)
{
	int ret = 0;
	int implies_exec = (prot & PROT_READ) && caller_reads_imply_exec(fuse_req_ctx(req)->pid);
	pthread_mutex_lock(&lock);
	if ((a->prot_mask & prot) != prot)
		ret = -EINVAL;
	else
		a->prot_mask = implies_exec ? prot | PROT_EXEC : prot; /* added after the check */
	pthread_mutex_unlock(&lock);
	fuse_reply_ioctl(req, ret, NULL, 0);
}

static void model_ioctl(fuse_req_t req, int signed_cmd, void *arg, struct fuse_file_info *fi,
			unsigned int flags, const void *in_buf, size_t in_bufsz, size_t out_bufsz)
{
	struct area *a = (struct area *)(uintptr_t)fi->fh;
	unsigned int cmd = (unsigned int)signed_cmd;
	int compat = (flags & FUSE_IOCTL_COMPAT) != 0;
	unsigned long value = (unsigned long)(uintptr_t)arg;

	/* The driver's compat handler translates the 32-bit numbers and passes the rest through. */
	if (compat && cmd == COMPAT_ASHMEM_SET_SIZE)
		cmd = ASHMEM_SET_SIZE;
	else if (compat && cmd == COMPAT_ASHMEM_SET_PROT_MASK)
		cmd = ASHMEM_SET_PROT_MASK;
	else if (compat && cmd == COMPAT_ASHMEM_GET_FILE_ID)
		cmd = ASHMEM_GET_FILE_ID;

	switch (cmd) {
	case ASHMEM_SET_NAME:
		set_name(req, a, arg, in_buf, in_bufsz);
		return;
	case ASHMEM_GET_NAME:
		get_name(req, a, arg, out_bufsz);
		return;
	case ASHMEM_SET_SIZE:
		pthread_mutex_lock(&lock);
		a->size = value;
		pthread_mutex_unlock(&lock);
		fuse_reply_ioctl(req, 0, NULL, 0);
		return;
	case ASHMEM_GET_SIZE:
		pthread_mutex_lock(&lock);
		value = a->size;
		pthread_mutex_unlock(&lock);
		fuse_reply_ioctl(req, (int)value, NULL, 0);
		return;
	case ASHMEM_SET_PROT_MASK:
		set_prot_mask(req, a, value);
		return;
	case ASHMEM_GET_PROT_MASK:
		pthread_mutex_lock(&lock);
		value = a->prot_mask;
		pthread_mutex_unlock(&lock);
		fuse_reply_ioctl(req, (int)value, NULL, 0);
		return;
	case ASHMEM_PIN:
	case ASHMEM_UNPIN:
	case ASHMEM_GET_PIN_STATUS:
		/* The driver copies the struct first (EFAULT), then finds no backing file. */
		if (in_bufsz == 0)
			retry_in(req, arg, sizeof(struct ashmem_pin));
		else
			fuse_reply_err(req, EINVAL);
		return;
	case ASHMEM_PURGE_ALL_CACHES:
		if (!caller_has_sys_admin(fuse_req_ctx(req)->pid))
			fuse_reply_err(req, EPERM);
		else
			fuse_reply_ioctl(req, 0, NULL, 0); /* nothing is ever unpinned here */
		return;
	case ASHMEM_GET_FILE_ID:
		fuse_reply_err(req, EINVAL); /* no backing file, whatever the pointer */
		return;
	}
	fuse_reply_err(req, ENOTTY);
}

static void model_init_done(void *userdata)
{
	char path[300], id[64] = { 0 };
	(void)userdata;
	snprintf(path, sizeof(path), "/dev/%s", devname);
	if (chmod(path, devmode) != 0)
		fprintf(stderr, "ashmem-model: chmod %s: %s\n", path, strerror(errno));
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	if (f) {
		if (!fgets(id, sizeof(id), f))
			id[0] = '\0';
		fclose(f);
	}
	id[strcspn(id, "\n")] = '\0';
	snprintf(alias, sizeof(alias), "/dev/%s%s", devname, id);
	unlink(alias);
	if (symlink(devname, alias) != 0)
		fprintf(stderr, "ashmem-model: symlink %s: %s\n", alias, strerror(errno));
	printf("ashmem-model: ready: /dev/%s and %s\n", devname, alias);
	fflush(stdout);
}

static const struct cuse_lowlevel_ops model_ops = {
	.init_done = model_init_done,
	.open = model_open,
	.release = model_release,
	.read = model_read,
	.write = model_write,
	.ioctl = model_ioctl,
};

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		int has_value = i + 1 < argc;
		if (strcmp(argv[i], "--device") == 0 && has_value)
			devname = argv[++i];
		else if (strcmp(argv[i], "--mode") == 0 && has_value)
			devmode = (mode_t)strtoul(argv[++i], NULL, 8);
		else if ((strcmp(argv[i], "--runtime-dir") == 0 || strcmp(argv[i], "--log-level") == 0 ||
			  strcmp(argv[i], "--workers") == 0) && has_value)
			i++;
		else {
			fprintf(stderr, "ashmem-model: unknown argument %s\n", argv[i]);
			return 64;
		}
	}
	char info[300];
	snprintf(info, sizeof(info), "DEVNAME=%s", devname);
	const char *dev_info[] = { info };
	struct cuse_info ci = { .dev_info_argc = 1, .dev_info_argv = dev_info,
				.flags = CUSE_UNRESTRICTED_IOCTL };
	char *fargv[] = { argv[0], "-f", NULL };
	int r = cuse_lowlevel_main(2, fargv, &ci, &model_ops, NULL);
	if (alias[0])
		unlink(alias);
	return r;
}
