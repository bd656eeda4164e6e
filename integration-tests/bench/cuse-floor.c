/*
 * cuse-floor: the smallest CUSE server that speaks ashmem's ioctl shapes, built on libfuse3.
 *
 * It proves a kernel's CUSE works without the daemon (the `kernel` suite), and it is the
 * cost floor for benchmarks: every request gets a constant answer, so whatever the daemon
 * costs above this is the daemon's own.
 *
 *   cuse-floor DEVNAME [--readers=N] [--broker=PATH] [libfuse options, e.g. -f -s -d]
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
 *
 * --broker=PATH makes it the reference of ashmemd's whole protocol (ashmemd.h), the floor of the
 * region cycle with its mmap: every open file keeps its name and size, GET_SIZE answers the size,
 * GET_PROT_MASK all of PROT_READ|WRITE|EXEC, and ASHMEMD_IOC_GET_TOKEN creates the file's memfd on
 * first use and answers a one-shot token, which one broker thread trades for the memfd on the
 * Unix stream socket PATH (request and reply as in ashmemd.h, the memfd by SCM_RIGHTS). The
 * preload library maps such a device with ASHMEMD_BROKER=PATH. No checks beyond what the
 * exchange itself needs: no prot mask, no purging, no owner of a token (its cost is ashmemd's).
 */
#define _GNU_SOURCE
#define FUSE_USE_VERSION 35
#include <cuse_lowlevel.h>
#include <fuse_lowlevel.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../native-headers/ashmem_abi.h"
#include "../../native-headers/ashmemd.h"

#define FLOOR_IO_RESULT 42

/* ---- reference mode (--broker): a region per open file, tokens, the broker ---- */

static const char *g_broker; /* NULL: the floor, constant answers */

struct ref_file {
	pthread_mutex_t lock;
	char name[ASHMEM_NAME_LEN];
	uint64_t size;
	int memfd; /* -1 until the first GET_TOKEN */
	uint32_t token; /* the outstanding one, 0 when none */
};

/* token -> file; a slot is reused by the token 65,536 later (that one is long dead in a benchmark) */
#define TOKEN_SLOTS 65536
static struct ref_file *g_tokens[TOKEN_SLOTS];
static uint32_t g_next_token;
static pthread_mutex_t g_tokens_lock = PTHREAD_MUTEX_INITIALIZER;

static struct ref_file *ref_of(struct fuse_file_info *fi)
{
	return (struct ref_file *)(uintptr_t)fi->fh;
}

/* The answer to GET_TOKEN: errno as a negative value, 0 for a private mapping, else the token. */
static long ref_token(struct ref_file *f, unsigned long arg)
{
	if (!(arg & ASHMEMD_MAP_SHARED))
		return f->size ? 0 : -EINVAL;
	pthread_mutex_lock(&f->lock);
	long r = -EINVAL;
	if (f->size == 0)
		goto out;
	if (f->memfd < 0) {
		int fd = memfd_create(f->name[0] ? f->name : ASHMEM_NAME_DEF, MFD_CLOEXEC);
		if (fd < 0) {
			r = -errno;
			goto out;
		}
		if (ftruncate(fd, (off_t)f->size) != 0) {
			r = -errno;
			close(fd);
			goto out;
		}
		f->memfd = fd;
	}
	pthread_mutex_lock(&g_tokens_lock);
	if (f->token)
		g_tokens[f->token % TOKEN_SLOTS] = NULL;
	uint32_t t = ++g_next_token & 0x7fffffffu;
	if (t == 0)
		t = g_next_token = 1;
	f->token = t;
	g_tokens[t % TOKEN_SLOTS] = f;
	pthread_mutex_unlock(&g_tokens_lock);
	r = t;
out:
	pthread_mutex_unlock(&f->lock);
	return r;
}

static void floor_open(fuse_req_t req, struct fuse_file_info *fi)
{
	fi->fh = 0;
	if (g_broker) {
		struct ref_file *f = calloc(1, sizeof *f);
		if (!f) {
			fuse_reply_err(req, ENOMEM);
			return;
		}
		pthread_mutex_init(&f->lock, NULL);
		f->memfd = -1;
		fi->fh = (uintptr_t)f;
	}
	fuse_reply_open(req, fi);
}

static void floor_release(fuse_req_t req, struct fuse_file_info *fi)
{
	struct ref_file *f = ref_of(fi);
	if (f) {
		pthread_mutex_lock(&g_tokens_lock);
		if (f->token && g_tokens[f->token % TOKEN_SLOTS] == f)
			g_tokens[f->token % TOKEN_SLOTS] = NULL;
		pthread_mutex_unlock(&g_tokens_lock);
		if (f->memfd >= 0)
			close(f->memfd);
		pthread_mutex_destroy(&f->lock);
		free(f);
	}
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
	struct ref_file *f = ref_of(fi);

	switch (cmd) {
	case ASHMEM_SET_NAME:
		if (in_bufsz == 0) {
			retry(req, arg, ASHMEM_NAME_LEN, 0);
			return;
		}
		if (f) {
			size_t n = strnlen(in_buf, in_bufsz < ASHMEM_NAME_LEN ? in_bufsz : ASHMEM_NAME_LEN - 1);
			pthread_mutex_lock(&f->lock);
			memcpy(f->name, in_buf, n);
			f->name[n] = 0;
			pthread_mutex_unlock(&f->lock);
		}
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
		if (f) {
			pthread_mutex_lock(&f->lock);
			f->size = (uintptr_t)arg;
			pthread_mutex_unlock(&f->lock);
		}
		fuse_reply_ioctl(req, 0, NULL, 0);
		return;
	case ASHMEM_SET_PROT_MASK:
	case COMPAT_ASHMEM_SET_PROT_MASK:
		fuse_reply_ioctl(req, 0, NULL, 0);
		return;
	}
	if (f && cmd == ASHMEMD_IOC_GET_TOKEN) {
		long r = ref_token(f, (unsigned long)(uintptr_t)arg);
		if (r < 0)
			fuse_reply_err(req, (int)-r);
		else
			fuse_reply_ioctl(req, (int)r, NULL, 0);
	} else if (f && cmd == ASHMEM_GET_SIZE) {
		pthread_mutex_lock(&f->lock);
		int size = (int)f->size;
		pthread_mutex_unlock(&f->lock);
		fuse_reply_ioctl(req, size, NULL, 0);
	} else if (f && cmd == ASHMEM_GET_PROT_MASK) {
		fuse_reply_ioctl(req, PROT_READ | PROT_WRITE | PROT_EXEC, NULL, 0);
	} else if (_IOC_DIR(cmd) == _IOC_NONE)
		fuse_reply_ioctl(req, FLOOR_IO_RESULT, NULL, 0);
	else
		fuse_reply_err(req, ENOTTY);
}

/* ---- the reference's broker: one thread, epoll, non-blocking sockets ---- */

struct conn {
	int fd;
	size_t got;
	struct ashmemd_broker_request req;
};

/* Answers one request; the token lock is held while the memfd is sent, so that RELEASE cannot
   close it under the send. Returns 0 when the reply went out whole. */
static int broker_reply(int sock, const struct ashmemd_broker_request *req)
{
	struct ashmemd_broker_reply rep = { .magic = ASHMEMD_BROKER_MAGIC };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} cbuf;
	struct iovec iov = { .iov_base = &rep, .iov_len = sizeof rep };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	pthread_mutex_lock(&g_tokens_lock);
	struct ref_file *f = req->magic == ASHMEMD_BROKER_MAGIC ? g_tokens[req->token % TOKEN_SLOTS] : NULL;
	if (req->magic != ASHMEMD_BROKER_MAGIC) {
		rep.status = EPROTO;
	} else if (!f || f->token != req->token || req->token == 0) {
		rep.status = EACCES; /* unknown, spent or replaced */
	} else {
		g_tokens[req->token % TOKEN_SLOTS] = NULL;
		f->token = 0;
		rep.size = f->size;
		rep.prot_mask = PROT_READ | PROT_WRITE | PROT_EXEC;
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof cbuf.buf;
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &f->memfd, sizeof(int));
	}
	ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	pthread_mutex_unlock(&g_tokens_lock);
	return n == (ssize_t)sizeof rep ? 0 : -1;
}

/* Reads and answers what the connection has; returns -1 once it is closed (and freed). */
static int broker_serve(int ep, struct conn *c)
{
	for (;;) {
		ssize_t n = read(c->fd, (char *)&c->req + c->got, sizeof c->req - c->got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			break;
		c->got += (size_t)n;
		if (c->got < sizeof c->req)
			continue;
		c->got = 0;
		if (broker_reply(c->fd, &c->req) != 0)
			break;
	}
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
	return -1;
}

static void *broker_loop(void *arg)
{
	int lfd = (int)(intptr_t)arg;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) != 0) {
		perror("cuse-floor: broker epoll");
		kill(getpid(), SIGTERM);
		return NULL;
	}
	for (;;) {
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, -1);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr) {
				broker_serve(ep, evs[i].data.ptr);
				continue;
			}
			int fd;
			while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
				struct conn *c = calloc(1, sizeof *c);
				if (!c) {
					close(fd);
					continue;
				}
				c->fd = fd;
				/* the request is usually there with the connection: answered in this round */
				struct epoll_event cev = { .events = EPOLLIN, .data.ptr = c };
				if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev) == 0)
					broker_serve(ep, c);
				else {
					close(fd);
					free(c);
				}
			}
		}
	}
	return NULL;
}

/* Listens on path and serves it from a thread of its own that takes no signals. */
static int broker_start(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path) {
		fprintf(stderr, "cuse-floor: --broker path too long\n");
		return -1;
	}
	strcpy(sa.sun_path, path);
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	unlink(path);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || chmod(path, 0666) != 0 ||
	    listen(lfd, 128) != 0) {
		fprintf(stderr, "cuse-floor: broker socket %s: %s\n", path, strerror(errno));
		return -1;
	}
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_t t;
	int e = pthread_create(&t, NULL, broker_loop, (void *)(intptr_t)lfd);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		fprintf(stderr, "cuse-floor: cannot start the broker: %s\n", strerror(e));
		return -1;
	}
	return 0;
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
		fprintf(stderr, "usage: %s DEVNAME [--readers=N] [--broker=PATH] [libfuse options]\n", argv[0]);
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
		} else if (strncmp(argv[i], "--broker=", 9) == 0 && argv[i][9]) {
			g_broker = argv[i] + 9;
		} else {
			continue;
		}
		memmove(&argv[i], &argv[i + 1], (size_t)(argc - i) * sizeof argv[0]);
		argc--;
		i--;
	}
	if (g_broker && broker_start(g_broker) != 0)
		return 1;
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
	int r = readers > 0 ? serve_with_readers(argc - 1, argv + 1, &ci, readers)
			    : cuse_lowlevel_main(argc - 1, argv + 1, &ci, &floor_ops, NULL);
	if (g_broker)
		unlink(g_broker);
	return r;
}
