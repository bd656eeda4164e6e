/*
 * cuse-floor: the smallest CUSE server that speaks ashmem's ioctl shapes, built on libfuse3.
 *
 * It proves a kernel's CUSE works without the daemon (the `kernel` suite), and it is the
 * cost floor for benchmarks: every request gets a constant answer, so whatever the daemon
 * costs above this is the daemon's own.
 *
 *   cuse-floor DEVNAME [--readers=N] [libfuse options, e.g. -f -s -d]
 *
 * --readers=N serves the device with exactly N threads blocked in read(2) on the channel, as
 * ashmemd's reader threads do, instead of libfuse's loop (which starts and retires workers as
 * load changes): benchmarks then compare the same threading. It stops on SIGTERM, SIGINT or
 * SIGHUP with status 0.
 *
 * Answers: OPEN, RELEASE, READ (always 0 bytes, EOF), IOCTL. `_IO` commands return
 * FLOOR_IO_RESULT; the ashmem pointer commands go through the unrestricted retry exchange
 * (fetch or store the argument) and then return 0; the value commands SET_SIZE and
 * SET_PROT_MASK return 0; anything else ENOTTY. Every other request gets libfuse's ENOSYS
 * (for POLL that makes the kernel report readable and writable from then on).
 */
#define FUSE_USE_VERSION 35
#include <cuse_lowlevel.h>
#include <fuse_lowlevel.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../../native-headers/ashmem_abi.h"

#define FLOOR_IO_RESULT 42

static void floor_open(fuse_req_t req, struct fuse_file_info *fi)
{
	fi->fh = 0;
	fuse_reply_open(req, fi);
}

static void floor_release(fuse_req_t req, struct fuse_file_info *fi)
{
	(void)fi;
	fuse_reply_err(req, 0);
}

static void floor_read(fuse_req_t req, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)size;
	(void)off;
	(void)fi;
	fuse_reply_buf(req, NULL, 0);
}

/* One retry round: ask the kernel to copy `len` bytes in from, or out to, the caller's `arg`. */
static void retry(fuse_req_t req, void *arg, size_t len, int out)
{
	struct iovec iov = { .iov_base = arg, .iov_len = len };
	if (out)
		fuse_reply_ioctl_retry(req, NULL, 0, &iov, 1);
	else
		fuse_reply_ioctl_retry(req, &iov, 1, NULL, 0);
}

static void floor_ioctl(fuse_req_t req, int signed_cmd, void *arg, struct fuse_file_info *fi,
			unsigned int flags, const void *in_buf, size_t in_bufsz, size_t out_bufsz)
{
	unsigned int cmd = (unsigned int)signed_cmd;
	int compat = (flags & FUSE_IOCTL_COMPAT) != 0;
	(void)fi;
	(void)in_buf;

	switch (cmd) {
	case ASHMEM_SET_NAME:
		if (in_bufsz == 0)
			retry(req, arg, ASHMEM_NAME_LEN, 0);
		else
			fuse_reply_ioctl(req, 0, NULL, 0);
		return;
	case ASHMEM_GET_NAME:
		if (out_bufsz == 0)
			retry(req, arg, ASHMEM_NAME_LEN, 1);
		else
			fuse_reply_ioctl(req, 0, ASHMEM_NAME_DEF, sizeof(ASHMEM_NAME_DEF));
		return;
	case ASHMEM_PIN:
	case ASHMEM_UNPIN:
	case ASHMEM_GET_PIN_STATUS:
		if (in_bufsz == 0)
			retry(req, arg, sizeof(struct ashmem_pin), 0);
		else
			fuse_reply_ioctl(req, 0, NULL, 0);
		return;
	case ASHMEM_GET_FILE_ID:
	case COMPAT_ASHMEM_GET_FILE_ID: {
		size_t len = compat ? 4 : 8;
		static const char zero[8];
		if (out_bufsz == 0)
			retry(req, arg, len, 1);
		else
			fuse_reply_ioctl(req, 0, zero, len);
		return;
	}
	case ASHMEM_SET_SIZE:
	case COMPAT_ASHMEM_SET_SIZE:
	case ASHMEM_SET_PROT_MASK:
	case COMPAT_ASHMEM_SET_PROT_MASK:
		fuse_reply_ioctl(req, 0, NULL, 0);
		return;
	}
	if (_IOC_DIR(cmd) == _IOC_NONE)
		fuse_reply_ioctl(req, FLOOR_IO_RESULT, NULL, 0);
	else
		fuse_reply_err(req, ENOTTY);
}

static const struct cuse_lowlevel_ops floor_ops = {
	.open = floor_open,
	.release = floor_release,
	.read = floor_read,
	.ioctl = floor_ioctl,
};

static void *reader(void *arg)
{
	struct fuse_session *se = arg;
	struct fuse_buf buf = { .mem = NULL };
	for (;;) {
		int r = fuse_session_receive_buf(se, &buf);
		if (r == -EINTR || r == -EAGAIN)
			continue;
		if (r <= 0)
			break; /* 0: the connection was aborted (ENODEV) */
		fuse_session_process_buf(se, &buf);
	}
	free(buf.mem);
	/* the device is gone: wake the main thread so the process ends */
	kill(getpid(), SIGTERM);
	return NULL;
}

/* N fixed readers; the main thread only waits for a stop signal. */
static int serve_with_readers(int argc, char **argv, const struct cuse_info *ci, int readers)
{
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	int mt;
	struct fuse_session *se = cuse_lowlevel_setup(argc, argv, ci, &floor_ops, &mt, NULL);
	if (se == NULL)
		return 1;
	/* blocked before the readers exist, so they inherit it and only sigwait() sees the signals */
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	for (int i = 0; i < readers; i++) {
		pthread_t t;
		int e = pthread_create(&t, NULL, reader, se);
		if (e != 0) {
			fprintf(stderr, "cuse-floor: cannot start reader %d: %s\n", i + 1, strerror(e));
			return 1;
		}
	}
	int sig;
	sigwait(&stop, &sig);
	/* exiting closes the channel, which removes the device; readers blocked in read() go too */
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: %s DEVNAME [--readers=N] [libfuse options]\n", argv[0]);
		return 64;
	}
	int readers = 0;
	for (int i = 2; i < argc; i++) {
		if (strncmp(argv[i], "--readers=", 10) == 0) {
			char *end;
			long n = strtol(argv[i] + 10, &end, 10);
			if (*end || n < 1 || n > 64) {
				fprintf(stderr, "cuse-floor: --readers takes 1..64\n");
				return 64;
			}
			readers = (int)n;
			memmove(&argv[i], &argv[i + 1], (size_t)(argc - i) * sizeof argv[0]);
			argc--;
			i--;
		}
	}
	char devname[300];
	snprintf(devname, sizeof(devname), "DEVNAME=%s", argv[1]);
	const char *info[] = { devname };
	struct cuse_info ci = {
		.dev_info_argc = 1,
		.dev_info_argv = info,
		.flags = CUSE_UNRESTRICTED_IOCTL,
	};
	/* libfuse sees the program name followed by the options after DEVNAME. */
	argv[1] = argv[0];
	if (readers > 0)
		return serve_with_readers(argc - 1, argv + 1, &ci, readers);
	return cuse_lowlevel_main(argc - 1, argv + 1, &ci, &floor_ops, NULL);
}
