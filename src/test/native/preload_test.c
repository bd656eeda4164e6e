/*
 * Tests of libashmemd-preload.so without a daemon.
 *
 *   preload_test --baseline   without the library: the kernel's and libc's own answers
 *   preload_test              with LD_PRELOAD: the same answers (the part that runs in both modes),
 *                             then the broker client against a fake broker written here, the
 *                             mprotect guards, and (where seccomp works) the whole mmap/lseek
 *                             slow path, with the device's ioctls answered by a SIGSYS handler
 *                             on a /dev/null descriptor.
 *
 * ASHMEMD_BROKER must name a socket path for the fake broker (set by the Makefile).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "ashmem_abi.h"
#include "ashmemd.h"
#include "ashmemd_client.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

static int checks, failures;
static long pagesz;
/* qemu-user leaks descriptors that do not fit a recvmsg control buffer (without MSG_CTRUNC) and
   lets mprotect succeed on unmapped 32-bit guest memory: the checks that see these skip under it */
static int under_qemu;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		checks++;                                                                          \
		if (!(cond)) {                                                                     \
			failures++;                                                                \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                       \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
		}                                                                                  \
	} while (0)

/* result r of a call expected to fail with want */
#define CHECK_ERR(failed, err, want, what)                                                         \
	CHECK((failed) && (err) == (want), "%s: want errno %d (%s), got %s errno %d (%s)", what,   \
	      want, strerror(want), (failed) ? "failure" : "success", err, strerror(err))

static void *map_expect_fail(const char *what, int want, void *addr, size_t len, int prot,
			     int flags, int fd, off_t off)
{
	errno = 0;
	void *p = mmap(addr, len, prot, flags, fd, off);
	int e = errno;
	CHECK_ERR(p == MAP_FAILED, e, want, what);
	if (p != MAP_FAILED)
		munmap(p, len);
	return p;
}

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own fd */
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* median time of n runs of fn(arg), in microseconds (the machine may be busy) */
static double median_us(int n, void (*fn)(void *), void *arg)
{
	double *t = malloc(n * sizeof *t);
	for (int i = 0; i < n; i++) {
		double t0 = now_us();
		fn(arg);
		t[i] = now_us() - t0;
	}
	qsort(t, n, sizeof *t, cmp_double);
	double m = t[n / 2];
	free(t);
	return m;
}

/* ================= part A: identical behaviour with and without the library ================= */

static void test_files(void)
{
	char path[] = "/tmp/ashmemd-preload-test-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0, "mkstemp: %s", strerror(errno));
	if (fd < 0)
		return;
	char *buf = calloc(3, pagesz);
	for (int i = 0; i < 3; i++)
		snprintf(buf + i * pagesz, 32, "file page %d", i);
	CHECK(write(fd, buf, 3 * pagesz) == 3 * pagesz, "write");

	char *p = mmap(NULL, 2 * pagesz, PROT_READ, MAP_SHARED, fd, pagesz);
	CHECK(p != MAP_FAILED && strcmp(p, "file page 1") == 0 && strcmp(p + pagesz, "file page 2") == 0,
	      "file mmap at an offset shows the file");
	if (p != MAP_FAILED)
		CHECK(munmap(p, 2 * pagesz) == 0, "munmap");

	p = mmap(NULL, pagesz, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK(p != MAP_FAILED, "private file mmap");
	if (p != MAP_FAILED) {
		strcpy(p, "changed");
		char back[16] = { 0 };
		CHECK(pread(fd, back, 11, 0) == 11 && strcmp(back, "file page 0") == 0,
		      "private mapping does not write through");
		munmap(p, pagesz);
	}
	map_expect_fail("file mmap, offset not page aligned", EINVAL, NULL, pagesz, PROT_READ, MAP_SHARED, fd, 100);
	map_expect_fail("file mmap, length 0", EINVAL, NULL, 0, PROT_READ, MAP_SHARED, fd, 0);
	map_expect_fail("file mmap, no map type", EINVAL, NULL, pagesz, PROT_READ, 0, fd, 0);
	map_expect_fail("mmap of a bad fd", EBADF, NULL, pagesz, PROT_READ, MAP_SHARED, 999, 0);

	int ro = open(path, O_RDONLY), wo = open(path, O_WRONLY);
	map_expect_fail("writable shared mmap of an O_RDONLY fd", EACCES, NULL, pagesz, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
	map_expect_fail("mmap of an O_WRONLY fd", EACCES, NULL, pagesz, PROT_READ, MAP_SHARED, wo, 0);
	p = mmap(NULL, pagesz, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
	CHECK(p != MAP_FAILED, "writable private mmap of an O_RDONLY fd");
	if (p != MAP_FAILED)
		munmap(p, pagesz);
	close(ro);
	close(wo);

	/* offsets past 4 GiB and the 64-bit entry points (mapping past EOF is allowed) */
	p = mmap64(NULL, pagesz, PROT_READ, MAP_SHARED, fd, (off64_t)1 << 33);
	CHECK(p != MAP_FAILED, "mmap64 at 8 GiB: %s", strerror(errno));
	if (p != MAP_FAILED)
		munmap(p, pagesz);
	errno = 0;
	p = mmap64(NULL, pagesz, PROT_READ, MAP_SHARED, fd, 4097);
	CHECK_ERR(p == MAP_FAILED, errno, EINVAL, "mmap64 unaligned");
	errno = 0;
	p = mmap64(NULL, pagesz, PROT_READ, MAP_SHARED, fd, -(off64_t)pagesz);
	/* libc refuses it on 32-bit; the 64-bit kernel sees pgoff + pages wrap */
	CHECK_ERR(p == MAP_FAILED, errno, sizeof(long) == 4 ? EINVAL : EOVERFLOW, "mmap64 negative offset");
	if (sizeof(off_t) == 4) {
		/* glibc reads a 32-bit off_t as unsigned: 0x80000000 is 2 GiB */
		p = mmap(NULL, pagesz, PROT_READ, MAP_SHARED, fd, (off_t)0x80000000u);
		CHECK(p != MAP_FAILED, "32-bit mmap at offset 0x80000000: %s", strerror(errno));
		if (p != MAP_FAILED)
			munmap(p, pagesz);
	}

	/* lseek */
	errno = 4242;
	CHECK(lseek(fd, 0, SEEK_SET) == 0 && errno == 4242, "lseek to 0 leaves errno alone");
	CHECK(lseek(fd, 100, SEEK_SET) == 100, "SEEK_SET");
	CHECK(lseek(fd, 10, SEEK_CUR) == 110, "SEEK_CUR");
	CHECK(lseek(fd, 0, SEEK_END) == 3 * pagesz, "SEEK_END");
	CHECK(lseek(fd, 5, SEEK_DATA) == 5, "SEEK_DATA");
	CHECK(lseek(fd, 5, SEEK_HOLE) == 3 * pagesz, "SEEK_HOLE");
	errno = 0;
	CHECK_ERR(lseek(fd, 3 * pagesz, SEEK_DATA) == -1, errno, ENXIO, "SEEK_DATA at the end");
	errno = 0;
	CHECK_ERR(lseek(fd, -1, SEEK_SET) == -1, errno, EINVAL, "negative SEEK_SET");
	errno = 0;
	CHECK_ERR(lseek(fd, 0, 77) == -1, errno, EINVAL, "bad whence");
	errno = 0;
	CHECK_ERR(lseek(999, 0, SEEK_SET) == -1, errno, EBADF, "lseek of a bad fd");
	off64_t big = (off64_t)3 << 30;
	CHECK(lseek64(fd, big, SEEK_SET) == big, "lseek64 to 3 GiB");
	CHECK(lseek64(fd, 0, SEEK_CUR) == big, "lseek64 SEEK_CUR at 3 GiB");
	if (sizeof(off_t) == 4) {
		errno = 0;
		CHECK_ERR(lseek(fd, 0, SEEK_CUR) == -1, errno, EOVERFLOW, "32-bit lseek past 2 GiB");
		errno = 0;
		CHECK(lseek(fd, -1, SEEK_CUR) == -1 && errno == EOVERFLOW, "32-bit negative relative seek");
	} else {
		CHECK(lseek(fd, 0, SEEK_CUR) == big, "lseek at 3 GiB");
	}
	close(fd);
	unlink(path);
	free(buf);
}

static void test_anonymous(void)
{
	char *p = mmap(NULL, 4 * pagesz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED && p[0] == 0, "anonymous private mmap");
	if (p == MAP_FAILED)
		return;
	memset(p, 'a', 4 * pagesz);
	char *q = mmap(p + pagesz, pagesz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(q == p + pagesz && q[0] == 0 && p[0] == 'a', "MAP_FIXED replaces one page");
	CHECK(mprotect(p, pagesz, PROT_READ) == 0, "mprotect");
	CHECK(mprotect(p, pagesz, PROT_READ | PROT_WRITE | PROT_EXEC) == 0, "mprotect RWX");
	errno = 0;
	CHECK_ERR(mprotect(p + 1, pagesz, PROT_READ) == -1, errno, EINVAL, "mprotect unaligned");
	errno = 0;
	CHECK_ERR(mremap(p, 4 * pagesz, 8 * pagesz, MREMAP_MAYMOVE) == MAP_FAILED, errno, EFAULT,
		  "mremap across several mappings");
	CHECK(munmap(p, 4 * pagesz) == 0, "munmap");
	p = mmap(NULL, 4 * pagesz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(p, 'a', 4 * pagesz);
	char *r = mremap(p, 4 * pagesz, 8 * pagesz, MREMAP_MAYMOVE);
	CHECK(r != MAP_FAILED && r[0] == 'a', "mremap grow");
	if (r != MAP_FAILED)
		p = r;
	errno = 0;
	CHECK_ERR(mremap(p + 1, pagesz, pagesz, 0) == MAP_FAILED, errno, EINVAL, "mremap unaligned");
	CHECK(munmap(p, 8 * pagesz) == 0, "munmap");
	if (!under_qemu) { /* 32-bit guests: qemu keeps the whole address space reserved */
		errno = 0;
		CHECK_ERR(mprotect(p, pagesz, PROT_READ) == -1, errno, ENOMEM, "mprotect of unmapped memory");
	}
	errno = 0;
	CHECK_ERR(munmap(p + 1, pagesz) == -1, errno, EINVAL, "munmap unaligned");
	map_expect_fail("anonymous mmap, length 0", EINVAL, NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	int *s = mmap(NULL, pagesz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(s != MAP_FAILED, "anonymous shared mmap");
	if (s != MAP_FAILED) {
		pid_t pid = fork();
		if (pid == 0) {
			*s = 77;
			_exit(0);
		}
		waitpid(pid, NULL, 0);
		CHECK(*s == 77, "anonymous shared memory is shared with a child");
		munmap(s, pagesz);
	}
}

static void test_pipe_socket_dir(void)
{
	int pfd[2];
	CHECK(pipe(pfd) == 0, "pipe");
	map_expect_fail("mmap of a pipe", ENODEV, NULL, pagesz, PROT_READ, MAP_SHARED, pfd[0], 0);
	map_expect_fail("private mmap of a pipe", ENODEV, NULL, pagesz, PROT_READ, MAP_PRIVATE, pfd[0], 0);
	errno = 0;
	CHECK_ERR(lseek(pfd[0], 0, SEEK_SET) == -1, errno, ESPIPE, "lseek of a pipe");
	errno = 0;
	CHECK_ERR(lseek64(pfd[1], 0, SEEK_CUR) == -1, errno, ESPIPE, "lseek64 of a pipe");
	close(pfd[0]);
	close(pfd[1]);

	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	map_expect_fail("mmap of a socket", ENODEV, NULL, pagesz, PROT_READ, MAP_SHARED, sv[0], 0);
	errno = 0;
	CHECK_ERR(lseek(sv[0], 0, SEEK_SET) == -1, errno, ESPIPE, "lseek of a socket");
	close(sv[0]);
	close(sv[1]);

	int d = open("/tmp", O_RDONLY | O_DIRECTORY);
	map_expect_fail("mmap of a directory", ENODEV, NULL, pagesz, PROT_READ, MAP_PRIVATE, d, 0);
	close(d);
}

static void test_char_devices(void)
{
	/* /dev/null: no mmap (ENODEV), lseek always 0, ENOTTY for unknown ioctls */
	int fd = open("/dev/null", O_RDWR);
	CHECK(fd >= 0, "open /dev/null");
	map_expect_fail("mmap /dev/null shared", ENODEV, NULL, pagesz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	map_expect_fail("mmap /dev/null private", ENODEV, NULL, pagesz, PROT_READ, MAP_PRIVATE, fd, 0);
	map_expect_fail("mmap /dev/null MAP_GROWSDOWN", ENODEV, NULL, pagesz, PROT_READ, MAP_PRIVATE | MAP_GROWSDOWN, fd, 0);
	map_expect_fail("mmap /dev/null length 0", EINVAL, NULL, 0, PROT_READ, MAP_SHARED, fd, 0);
	errno = 4242;
	CHECK(lseek(fd, 1234, SEEK_SET) == 0 && errno == 4242, "lseek /dev/null is 0, errno untouched");
	CHECK(lseek64(fd, (off64_t)5 << 32, SEEK_SET) == 0, "lseek64 /dev/null");
	CHECK(lseek(fd, 7, SEEK_END) == 0, "lseek /dev/null SEEK_END");
	close(fd);
	fd = open("/dev/null", O_RDONLY);
	map_expect_fail("writable shared mmap of O_RDONLY /dev/null", EACCES, NULL, pagesz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	map_expect_fail("read-only shared mmap of O_RDONLY /dev/null", ENODEV, NULL, pagesz, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);

	/* /dev/urandom answers unknown ioctls with EINVAL, like the daemon's own errors */
	fd = open("/dev/urandom", O_RDONLY);
	CHECK(fd >= 0, "open /dev/urandom");
	map_expect_fail("mmap /dev/urandom", ENODEV, NULL, pagesz, PROT_READ, MAP_PRIVATE, fd, 0);
	errno = 4242;
	CHECK(lseek(fd, 0, SEEK_CUR) == 0 && errno == 4242, "lseek /dev/urandom is 0");
	close(fd);

	/* /dev/zero has an mmap: the fast path, anonymous zero memory */
	fd = open("/dev/zero", O_RDWR);
	char *p = mmap(NULL, pagesz, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK(p != MAP_FAILED && p[0] == 0, "mmap /dev/zero");
	if (p != MAP_FAILED)
		munmap(p, pagesz);
	close(fd);
}

/* ================= the fake broker ================= */

enum {
	T_OK = 1,	/* status 0, memfd A (size A_SIZE, mask 7) */
	T_EACCES,	/* status EACCES */
	T_BADMAGIC,	/* wrong magic, with an fd */
	T_TWOFDS,	/* status 0 with two fds */
	T_HANGUP,	/* closes without answering */
	T_SPLIT,	/* the reply in three pieces */
	T_STATUS_FD,	/* status EPERM, with an fd */
	T_RO,		/* status 0, memfd B (sealed against writing, mask PROT_READ) */
	T_BADSTATUS,	/* status -5 */
	T_NOFD,		/* status 0 without an fd */
	T_PARTIAL,	/* 10 bytes, then closes */
	T_MANYFDS,	/* status 0 with 12 fds */
};

#define A_PAGES 3
#define A_EXTRA 100
#define B_PAGES 2

struct server_stats {
	int conns;
	int requests;
};
static struct server_stats *stats;
static pid_t server_pid = -1;

static int send_reply(int c, uint32_t magic, int32_t status, uint64_t size, uint32_t mask,
		      const int *fds, int nfds, size_t len)
{
	struct ashmemd_broker_reply rep = { magic, status, size, mask, 0 };
	struct iovec iov = { &rep, len ? len : sizeof rep };
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * 16)];
	} cb;
	struct msghdr mh = { 0 };
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfds) {
		mh.msg_control = cb.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	return sendmsg(c, &mh, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

static void serve(int c, int a, int b, long a_size, long b_size)
{
	for (;;) {
		struct ashmemd_broker_request req;
		size_t got = 0;
		while (got < sizeof req) {
			ssize_t n = read(c, (char *)&req + got, sizeof req - got);
			if (n <= 0)
				return;
			got += n;
		}
		__atomic_add_fetch(&stats->requests, 1, __ATOMIC_SEQ_CST);
		if (req.magic != ASHMEMD_BROKER_MAGIC) {
			send_reply(c, ASHMEMD_BROKER_MAGIC, EPROTO, 0, 0, NULL, 0, 0);
			continue;
		}
		int two[2] = { a, a }, many[12];
		for (int i = 0; i < 12; i++)
			many[i] = a;
		switch (req.token) {
		case T_OK:
			send_reply(c, ASHMEMD_BROKER_MAGIC, 0, a_size, 7, &a, 1, 0);
			break;
		case T_EACCES:
			send_reply(c, ASHMEMD_BROKER_MAGIC, EACCES, 0, 0, NULL, 0, 0);
			break;
		case T_BADMAGIC:
			send_reply(c, 0xdeadbeef, 0, a_size, 7, &a, 1, 0);
			break;
		case T_TWOFDS:
			send_reply(c, ASHMEMD_BROKER_MAGIC, 0, a_size, 7, two, 2, 0);
			break;
		case T_HANGUP:
			return;
		case T_SPLIT: {
			struct ashmemd_broker_reply rep = { ASHMEMD_BROKER_MAGIC, 0, a_size, 7, 0 };
			struct iovec iov = { &rep, 5 };
			union {
				struct cmsghdr h;
				char b[CMSG_SPACE(sizeof(int))];
			} cb;
			struct msghdr mh = { 0 };
			mh.msg_iov = &iov;
			mh.msg_iovlen = 1;
			mh.msg_control = cb.b;
			mh.msg_controllen = sizeof cb.b;
			struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(cm), &a, sizeof a);
			sendmsg(c, &mh, MSG_NOSIGNAL);
			usleep(20000);
			write(c, (char *)&rep + 5, 7);
			usleep(20000);
			write(c, (char *)&rep + 12, sizeof rep - 12);
			break;
		}
		case T_STATUS_FD:
			send_reply(c, ASHMEMD_BROKER_MAGIC, EPERM, 0, 0, &a, 1, 0);
			break;
		case T_RO:
			send_reply(c, ASHMEMD_BROKER_MAGIC, 0, b_size, PROT_READ, &b, 1, 0);
			break;
		case T_BADSTATUS:
			send_reply(c, ASHMEMD_BROKER_MAGIC, -5, 0, 0, NULL, 0, 0);
			break;
		case T_NOFD:
			send_reply(c, ASHMEMD_BROKER_MAGIC, 0, a_size, 7, NULL, 0, 0);
			break;
		case T_PARTIAL:
			send_reply(c, ASHMEMD_BROKER_MAGIC, 0, a_size, 7, &a, 1, 10);
			return;
		case T_MANYFDS:
			send_reply(c, ASHMEMD_BROKER_MAGIC, 0, a_size, 7, many, 12, 0);
			break;
		default:
			send_reply(c, ASHMEMD_BROKER_MAGIC, EACCES, 0, 0, NULL, 0, 0);
		}
	}
}

static long a_size, b_size;

static int server_start(const char *path)
{
	a_size = A_PAGES * pagesz + A_EXTRA;
	b_size = B_PAGES * pagesz;
	stats = mmap(NULL, sizeof *stats, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	unlink(path);
	if (bind(ls, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(ls, 128) < 0) {
		fprintf(stderr, "fake broker: bind %s: %s\n", path, strerror(errno));
		return -1;
	}
	server_pid = fork();
	if (server_pid == 0) {
		signal(SIGCHLD, SIG_IGN);
		int a = memfd_create("ashmemd-test-a", MFD_CLOEXEC | MFD_ALLOW_SEALING);
		int b = memfd_create("ashmemd-test-b", MFD_CLOEXEC | MFD_ALLOW_SEALING);
		ftruncate(a, a_size);
		ftruncate(b, b_size);
		pwrite(a, "region page 0", 14, 0);
		pwrite(a, "region page 1", 14, pagesz);
		pwrite(b, "read-only region", 17, 0);
		if (fcntl(b, F_ADD_SEALS, F_SEAL_FUTURE_WRITE | F_SEAL_SHRINK | F_SEAL_GROW) < 0)
			fprintf(stderr, "fake broker: F_SEAL_FUTURE_WRITE: %s\n", strerror(errno));
		for (;;) {
			int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
			if (c < 0)
				continue;
			__atomic_add_fetch(&stats->conns, 1, __ATOMIC_SEQ_CST);
			if (fork() == 0) {
				close(ls);
				serve(c, a, b, a_size, b_size);
				_exit(0);
			}
			close(c);
		}
	}
	close(ls);
	return server_pid > 0 ? 0 : -1;
}

static int conns(void)
{
	return __atomic_load_n(&stats->conns, __ATOMIC_SEQ_CST);
}

/* ================= part B: the client API ================= */

static int (*p_connect)(const char *);
static int (*p_exchange)(int, unsigned, struct ashmemd_broker_reply *);
static int (*p_fetch)(unsigned, struct ashmemd_broker_reply *);
static int (*p_get_memfd)(int, size_t, int, struct ashmemd_broker_reply *);
static int (*p_guard)(void *, size_t, unsigned);

static void check_region_a(int fd, const char *what)
{
	char *p = mmap(NULL, A_PAGES * pagesz + A_EXTRA, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED && strcmp(p, "region page 0") == 0 && strcmp(p + pagesz, "region page 1") == 0,
	      "%s: the memfd shows the region", what);
	if (p != MAP_FAILED)
		munmap(p, A_PAGES * pagesz + A_EXTRA);
	int fl = fcntl(fd, F_GETFD);
	CHECK(fl >= 0 && (fl & FD_CLOEXEC), "%s: the memfd is close-on-exec", what);
}

static void test_exchange(const char *path)
{
	int before = count_fds();
	struct ashmemd_broker_reply rep;
	struct {
		unsigned token;
		int want; /* 0: an fd */
		const char *what;
	} cases[] = {
		{ T_OK, 0, "valid token" },
		{ T_EACCES, -EACCES, "status EACCES" },
		{ T_BADMAGIC, -EPROTO, "bad magic (fd sent along is closed)" },
		{ T_TWOFDS, -EPROTO, "two fds" },
		{ T_MANYFDS, -EPROTO, "12 fds (truncated)" },
		{ T_STATUS_FD, -EPERM, "status EPERM with an fd" },
		{ T_SPLIT, 0, "reply in three pieces" },
		{ T_NOFD, -EPROTO, "status 0 without fd" },
		{ T_BADSTATUS, -EPROTO, "negative status" },
		{ T_PARTIAL, -EPROTO, "closed mid-reply" },
		{ T_HANGUP, -ECONNRESET, "closed before replying" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (under_qemu && cases[i].token == T_MANYFDS) {
			printf("info: qemu-user: truncated SCM_RIGHTS case skipped\n");
			continue;
		}
		int s = p_connect(path);
		CHECK(s >= 0, "connect: %s", strerror(-s));
		if (s < 0)
			return;
		memset(&rep, 0xa5, sizeof rep);
		int r = p_exchange(s, cases[i].token, &rep);
		if (cases[i].want == 0) {
			CHECK(r >= 0, "exchange %s: got %d (%s)", cases[i].what, r, strerror(-r));
			CHECK(rep.magic == ASHMEMD_BROKER_MAGIC && rep.status == 0 && rep.size == (uint64_t)a_size &&
				      rep.prot_mask == 7,
			      "exchange %s: reply fields", cases[i].what);
			if (r >= 0) {
				check_region_a(r, cases[i].what);
				close(r);
			}
		} else {
			CHECK(r == cases[i].want, "exchange %s: want %d, got %d", cases[i].what, cases[i].want, r);
		}
		close(s);
	}
	CHECK(p_connect("/nonexistent/ashmemd.sock") == -ENOENT, "connect to a missing socket");
	char longpath[200];
	memset(longpath, 'x', sizeof longpath - 1);
	longpath[sizeof longpath - 1] = 0;
	CHECK(p_connect(longpath) == -ENAMETOOLONG, "connect to a too long path");
	CHECK(count_fds() == before, "no descriptor leaked by exchanges (%d before, %d after)", before, count_fds());
}

struct thread_arg {
	int ok, n;
};

static void *fetch_loop(void *v)
{
	struct thread_arg *t = v;
	for (int i = 0; i < t->n; i++) {
		int fd = p_fetch(T_OK, NULL);
		if (fd >= 0) {
			t->ok++;
			close(fd);
		}
	}
	return NULL;
}

static void fetch_new(void *unused)
{
	(void)unused;
	close(p_fetch(T_OK, NULL));
}

/* The kinds of descriptor Android's zygote refuses at fork: sockets and memfds. */
static int sockets_and_memfds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	struct dirent *e;
	char path[64], link[256];
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
			continue;
		snprintf(path, sizeof path, "/proc/self/fd/%d", atoi(e->d_name));
		ssize_t k = readlink(path, link, sizeof link - 1);
		if (k < 0)
			continue;
		link[k] = 0;
		n += strncmp(link, "socket:", 7) == 0 || strncmp(link, "/memfd:", 7) == 0;
	}
	closedir(d);
	return n;
}

/* After any call returns the library holds nothing: every exchange has a connection of its own. */
static void test_no_kept_connection(void)
{
	int base = count_fds(), kinds = sockets_and_memfds();
	struct ashmemd_broker_reply rep;
	int c0 = conns();
	int fd = p_fetch(T_OK, &rep);
	CHECK(fd >= 0 && rep.size == (uint64_t)a_size, "fetch: %d", fd);
	if (fd >= 0) {
		check_region_a(fd, "fetch");
		CHECK(count_fds() == base + 1 && sockets_and_memfds() == kinds + 1,
		      "the memfd returned is the only new descriptor (%d new)", count_fds() - base);
		close(fd);
	}
	CHECK(count_fds() == base && sockets_and_memfds() == kinds, "nothing left after fetch and close");
	for (int i = 0; i < 5; i++) {
		fd = p_fetch(T_OK, NULL);
		CHECK(fd >= 0, "repeated fetch %d", i);
		close(fd);
	}
	CHECK(conns() == c0 + 6, "a connection per exchange (%d for 6)", conns() - c0);
	CHECK(count_fds() == base, "no descriptor kept by fetches (%d before, %d after)", base, count_fds());

	struct {
		unsigned token;
		int want;
		const char *what;
	} errs[] = {
		{ T_EACCES, -EACCES, "status EACCES" },
		{ T_STATUS_FD, -EPERM, "status EPERM with an fd" },
		{ T_BADMAGIC, -EPROTO, "bad magic with an fd" },
		{ T_TWOFDS, -EPROTO, "two fds" },
		{ T_PARTIAL, -EPROTO, "closed mid-reply" },
		{ T_NOFD, -EPROTO, "status 0 without an fd" },
		{ T_HANGUP, -ECONNRESET, "closed before replying" },
	};
	for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
		c0 = conns();
		int r = p_fetch(errs[i].token, NULL);
		CHECK(r == errs[i].want, "fetch, %s: want %d, got %d", errs[i].what, errs[i].want, r);
		CHECK(conns() == c0 + 1, "fetch, %s: one connection, no retry (%d)", errs[i].what, conns() - c0);
		CHECK(count_fds() == base && sockets_and_memfds() == kinds, "fetch, %s: nothing left open", errs[i].what);
	}

	/* a child forked between calls has nothing of the library to close or share */
	pid_t pid = fork();
	if (pid == 0) {
		int ok = count_fds() == base;
		for (int i = 0; i < 3; i++) {
			int f = p_fetch(T_OK, NULL);
			ok &= f >= 0;
			close(f);
		}
		_exit(ok && count_fds() == base ? 0 : 1);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "fetches in a forked child leave nothing open");
	CHECK(count_fds() == base, "nothing left in the parent after the child's fetches");

	/* concurrent threads, each on a connection of its own */
	c0 = conns();
	struct thread_arg ta[4];
	pthread_t th[4];
	for (int i = 0; i < 4; i++) {
		ta[i].ok = 0;
		ta[i].n = 100;
		pthread_create(&th[i], NULL, fetch_loop, &ta[i]);
	}
	int ok = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ok += ta[i].ok;
	}
	CHECK(ok == 400, "400 concurrent fetches from 4 threads (%d ok)", ok);
	CHECK(conns() == c0 + 400, "400 connections (%d)", conns() - c0);
	CHECK(count_fds() == base && sockets_and_memfds() == kinds, "no descriptor left by concurrent fetches (%d before, %d after)",
	      base, count_fds());

	/* what a connection per exchange costs (informational) */
	int s = p_connect(NULL);
	double kept = 0;
	if (s >= 0) {
		double t[300];
		for (int i = 0; i < 300; i++) {
			double t0 = now_us();
			close(p_exchange(s, T_OK, NULL));
			t[i] = now_us() - t0;
		}
		close(s);
		qsort(t, 300, sizeof t[0], cmp_double);
		kept = t[150];
	}
	printf("info: fake broker round trip (median) %.1f us with a new connection, %.1f us on an open one\n",
	       median_us(300, fetch_new, NULL), kept);
}

/* ============ the broker's default paths, in a mount namespace of their own ============ */

/* preload_test --default-path WANT, run below without ASHMEMD_BROKER: 0 or the connect errno */
static int default_path_main(int want)
{
	p_connect = (int (*)(const char *))dlsym(RTLD_DEFAULT, "ashmemd_broker_connect");
	p_fetch = (int (*)(unsigned, struct ashmemd_broker_reply *))dlsym(RTLD_DEFAULT, "ashmemd_fetch_memfd");
	if (!p_connect || !p_fetch)
		return 1;
	int base = count_fds();
	int s = p_connect(NULL);
	if (s >= 0)
		close(s);
	if (want) {
		if (s == -want)
			return 0;
		fprintf(stderr, "default path: connect gave %d, want %d\n", s, -want);
		return 1;
	}
	int fd = p_fetch(T_OK, NULL);
	if (s < 0 || fd < 0) {
		fprintf(stderr, "default path: connect %d, fetch %d\n", s, fd);
		return 1;
	}
	close(fd);
	return count_fds() == base ? 0 : 1;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	close(fd);
	return ok ? 0 : -1;
}

/* A private mount namespace (a user namespace too when not root); -1 when the system allows none. */
static int private_mounts(void)
{
	if (unshare(CLONE_NEWNS) < 0) {
		char map[64];
		uid_t uid = getuid();
		gid_t gid = getgid();
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
			return -1;
		snprintf(map, sizeof map, "0 %d 1", (int)uid);
		if (write_file("/proc/self/uid_map", map) < 0)
			return -1;
		write_file("/proc/self/setgroups", "deny");
		snprintf(map, sizeof map, "0 %d 1", (int)gid);
		if (write_file("/proc/self/gid_map", map) < 0)
			return -1;
	}
	return mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
}

/*
 * Without ASHMEMD_BROKER: /run/ashmemd/broker.sock, else (ENOENT) /dev/ashmemd/broker.sock, the
 * directory as Android containers see it; any other error of the first is the answer.
 */
static void test_default_paths(const char *path)
{
	if (under_qemu) {
		printf("info: qemu-user: default broker path checks skipped\n");
		return;
	}
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash) {
		printf("info: ASHMEMD_BROKER is not a path with a directory; default path checks skipped\n");
		return;
	}
	*slash = 0;
	struct {
		int run; /* 0 nothing at /run/ashmemd/broker.sock, 1 a socket nobody listens on */
		int dev; /* the fake broker's directory at /dev/ashmemd */
		int want;
		const char *what;
	} cases[] = {
		{ 0, 1, 0, "only /dev/ashmemd/broker.sock: used" },
		{ 1, 1, ECONNREFUSED, "a dead /run/ashmemd/broker.sock: its error, no fallback" },
		{ 0, 0, ENOENT, "neither" },
	};
	extern char **environ;
	char *env[256];
	int n = 0;
	for (char **e = environ; *e && n < 255; e++)
		if (strncmp(*e, "ASHMEMD_BROKER=", 15) != 0)
			env[n++] = *e;
	env[n] = NULL;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			if (private_mounts() < 0)
				_exit(77);
			if (mount("none", "/run", "tmpfs", 0, "mode=0755") < 0 ||
			    mount("none", "/dev", "tmpfs", 0, "mode=0755") < 0 || mkdir("/run/ashmemd", 0755) < 0 ||
			    mkdir("/dev/ashmemd", 0755) < 0)
				_exit(77);
			if (cases[i].dev && mount(dir, "/dev/ashmemd", NULL, MS_BIND, NULL) < 0)
				_exit(77);
			if (cases[i].run) {
				struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = "/run/ashmemd/broker.sock" };
				int d = socket(AF_UNIX, SOCK_STREAM, 0);
				if (bind(d, (struct sockaddr *)&sa, sizeof sa) < 0)
					_exit(77);
				close(d);
			}
			char want[16];
			snprintf(want, sizeof want, "%d", cases[i].want);
			char *argv[] = { "preload_test", "--default-path", want, NULL };
			execve("/proc/self/exe", argv, env);
			_exit(78);
		}
		int st = 0;
		waitpid(pid, &st, 0);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
			printf("info: no private mount namespace here; default broker path checks skipped\n");
			return;
		}
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "default broker path, %s (status 0x%x)", cases[i].what, st);
	}
}

static void protect_page(void *p)
{
	mprotect(p, pagesz, PROT_READ);
}

static void test_guards(void)
{
	size_t len = 4 * pagesz;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED, "mmap for guards");
	CHECK(p_guard(p + 1, pagesz, 0) == -EINVAL && p_guard(p, 0, 0) == -EINVAL, "guard argument checks");
	CHECK(p_guard(p, len, PROT_READ | PROT_WRITE) == 0, "guard RW");
	errno = 0;
	CHECK_ERR(mprotect(p, len, PROT_READ | PROT_EXEC) == -1, errno, EACCES, "mprotect adding PROT_EXEC");
	errno = 0;
	CHECK_ERR(mprotect(p + 3 * pagesz, 1, PROT_EXEC) == -1, errno, EACCES, "mprotect of the last page, length 1");
	CHECK(mprotect(p, len, PROT_READ) == 0 && mprotect(p, len, PROT_READ | PROT_WRITE) == 0,
	      "mprotect within the mask");
	CHECK(mprotect(p, len, PROT_NONE) == 0, "mprotect PROT_NONE");
	CHECK(mprotect(p, len, PROT_READ | PROT_WRITE) == 0, "back to RW");

	/* punch the second page out: the guard splits */
	CHECK(munmap(p + pagesz, pagesz) == 0, "munmap the middle");
	char *q = mmap(p + pagesz, pagesz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(q == p + pagesz, "map something else there");
	CHECK(mprotect(q, pagesz, PROT_READ | PROT_EXEC) == 0, "the new mapping is not guarded");
	errno = 0;
	CHECK_ERR(mprotect(p, pagesz, PROT_EXEC) == -1, errno, EACCES, "the head stays guarded");
	errno = 0;
	CHECK_ERR(mprotect(p + 2 * pagesz, 2 * pagesz, PROT_EXEC) == -1, errno, EACCES, "the tail stays guarded");

	/* mremap moves the guard */
	char *dst = mmap(NULL, 2 * pagesz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *m = mremap(p + 2 * pagesz, 2 * pagesz, 2 * pagesz, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	CHECK(m == dst, "mremap to a fixed address");
	errno = 0;
	CHECK_ERR(mprotect(m, 2 * pagesz, PROT_READ | PROT_EXEC) == -1, errno, EACCES, "the moved memory is guarded");
	char *back = mmap(p + 2 * pagesz, 2 * pagesz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(back == p + 2 * pagesz && mprotect(back, 2 * pagesz, PROT_READ | PROT_EXEC) == 0,
	      "the old place is free of the guard");
	char *g = mremap(m, 2 * pagesz, 3 * pagesz, MREMAP_MAYMOVE);
	CHECK(g != MAP_FAILED, "mremap grow");
	errno = 0;
	CHECK_ERR(mprotect(g + 2 * pagesz, pagesz, PROT_EXEC) == -1, errno, EACCES, "the grown part is guarded");
	CHECK(munmap(g, 3 * pagesz) == 0 && munmap(p, len) == 0, "munmap all");
	/* replacing through MAP_FIXED also drops a guard */
	char *r = mmap(NULL, pagesz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p_guard(r, pagesz, PROT_READ) == 0, "guard R");
	errno = 0;
	CHECK_ERR(mprotect(r, pagesz, PROT_READ | PROT_WRITE) == -1, errno, EACCES, "guard R refuses PROT_WRITE");
	CHECK(mmap(r, pagesz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == r &&
		      mprotect(r, pagesz, PROT_READ | PROT_WRITE) == 0,
	      "MAP_FIXED over a guarded page drops the guard");
	munmap(r, pagesz);

	/* a full table: the next guard is refused, unmapping frees every slot */
	size_t n = ASHMEMD_GUARD_SLOTS;
	char *big = mmap(NULL, (n + 1) * pagesz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int added = 0;
	for (size_t i = 0; i < n; i++)
		added += p_guard(big + i * pagesz, pagesz, PROT_READ) == 0;
	CHECK(added == (int)n, "%zu guards fit (%d)", n, added);
	CHECK(p_guard(big + n * pagesz, pagesz, PROT_READ) == -ENOMEM, "guard %zu is refused", n + 1);
	errno = 0;
	CHECK_ERR(mprotect(big + (n - 1) * pagesz, pagesz, PROT_WRITE) == -1, errno, EACCES, "last guard works");
	char *unguarded = big + n * pagesz;
	double full = median_us(1000, protect_page, unguarded);
	printf("info: mprotect (median) with %zu guards live: %.2f us\n", n, full);
	CHECK(munmap(big, (n + 1) * pagesz) == 0, "munmap the table");
	char *again = mmap(NULL, pagesz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p_guard(again, pagesz, PROT_READ) == 0, "slots are free again");
	munmap(again, pagesz);
	char *plain = mmap(NULL, pagesz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("info: mprotect (median) with no guard live: %.2f us\n", median_us(1000, protect_page, plain));
	munmap(plain, pagesz);
}

/* ============ part C: the slow path end to end, ioctls answered through seccomp ============ */

#if defined(__x86_64__) || defined(__i386__)
#define FAKE_FD 77
#define FAKE_RO_FD 78

/* volatile: written here, read by the SIGSYS handler in the middle of a system call */
static volatile struct {
	uint64_t size;
	unsigned mask;
	int mapped;
	int64_t pos;
	unsigned token;
	unsigned next_token; /* when not 0: what GET_TOKEN answers from its next call on */
	int tokens;
	int calls;
} fake;

static long fake_ioctl(unsigned long cmd, unsigned long arg)
{
	fake.calls++;
	if (cmd == ASHMEM_GET_SIZE)
		return (long)fake.size;
	if (cmd == ASHMEM_GET_PROT_MASK)
		return fake.mask;
	if (cmd == ASHMEMD_IOC_GET_TOKEN) {
		uint64_t pages = (arg >> ASHMEMD_MAP_PAGES_SHIFT) & ASHMEMD_MAP_MAX_PAGES;
		unsigned prot = arg & ASHMEMD_MAP_PROT_MASK;
		uint64_t aligned = (fake.size + pagesz - 1) & ~(uint64_t)(pagesz - 1);
		if (fake.size == 0 || pages * pagesz > aligned)
			return -EINVAL;
		if (prot & ~fake.mask)
			return -EPERM;
		fake.mapped = 1;
		if (!(arg & ASHMEMD_MAP_SHARED))
			return 0;
		long t = fake.token;
		fake.tokens++;
		if (fake.next_token) {
			fake.token = fake.next_token;
			fake.next_token = 0;
		}
		return t;
	}
	if (cmd == ASHMEMD_IOC_SEEK) {
		struct ashmemd_seek *s = (struct ashmemd_seek *)arg;
		int64_t n;
		if (fake.size == 0)
			return -EINVAL;
		if (!fake.mapped)
			return -EBADF;
		switch (s->whence) {
		case SEEK_SET: n = s->offset; break;
		case SEEK_CUR: n = fake.pos + s->offset; break;
		case SEEK_END: n = (int64_t)fake.size + s->offset; break;
		case SEEK_DATA:
			if (s->offset >= (int64_t)fake.size) return -ENXIO;
			n = s->offset;
			break;
		case SEEK_HOLE:
			if (s->offset >= (int64_t)fake.size) return -ENXIO;
			n = fake.size;
			break;
		default: return -EINVAL;
		}
		if (n < 0)
			return -EINVAL;
		fake.pos = n;
		s->offset = n;
		return 0;
	}
	return -ENOTTY;
}

static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)si;
	ucontext_t *uc = ctx;
#if defined(__x86_64__)
	greg_t *r = uc->uc_mcontext.gregs;
	r[REG_RAX] = fake_ioctl(r[REG_RSI], r[REG_RDX]);
#else
	greg_t *r = uc->uc_mcontext.gregs;
	r[REG_EAX] = fake_ioctl((unsigned long)r[REG_ECX], (unsigned long)r[REG_EDX]);
#endif
}

static int install_fake_device(void)
{
#if defined(__x86_64__)
	const unsigned arch = AUDIT_ARCH_X86_64;
#else
	const unsigned arch = AUDIT_ARCH_I386;
#endif
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ioctl, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, FAKE_FD, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, FAKE_RO_FD, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ASHMEMD_IOC_GET_TOKEN, 4, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ASHMEMD_IOC_SEEK, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ASHMEM_GET_SIZE, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ASHMEM_GET_PROT_MASK, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
	};
	struct sock_fprog prog = { sizeof f / sizeof f[0], f };
	struct sigaction sa = { 0 };
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSYS, &sa, NULL);
	int dn = open("/dev/null", O_RDWR), dr = open("/dev/null", O_RDONLY);
	if (dn < 0 || dr < 0 || dup2(dn, FAKE_FD) < 0 || dup2(dr, FAKE_RO_FD) < 0)
		return -1;
	close(dn);
	close(dr);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		return -1;
	fake.size = 12345;
	int ok = ioctl(FAKE_FD, ASHMEM_GET_SIZE, 0) == 12345;
	fake.size = 0;
	return ok ? 0 : -1;
}

static void device_cycle(void *unused)
{
	(void)unused;
	size_t len = A_PAGES * pagesz + A_EXTRA;
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, FAKE_FD, 0);
	munmap(m, len);
}

static void memfd_cycle(void *unused)
{
	(void)unused;
	size_t len = A_PAGES * pagesz + A_EXTRA;
	int m = memfd_create("x", MFD_CLOEXEC);
	ftruncate(m, len);
	char *q = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, m, 0);
	munmap(q, len);
	close(m);
}

static void test_slow_path(void)
{
	if (install_fake_device() < 0) {
		printf("info: seccomp traps unavailable here; slow-path tests skipped\n");
		return;
	}
	int base = count_fds(), kinds = sockets_and_memfds();
	int fd = FAKE_FD;
	/* size 0 */
	map_expect_fail("mmap, size 0", EINVAL, NULL, pagesz, PROT_READ, MAP_SHARED, fd, 0);
	errno = 0;
	CHECK_ERR(lseek(fd, 0, SEEK_SET) == -1, errno, EINVAL, "lseek, size 0");

	fake.size = a_size;
	fake.mask = 7;
	fake.token = T_OK;
	errno = 0;
	CHECK_ERR(lseek(fd, 0, SEEK_SET) == -1, errno, EBADF, "lseek before the first mmap");
	size_t len = A_PAGES * pagesz + A_EXTRA;
	map_expect_fail("mmap longer than the region", EINVAL, NULL, len + pagesz, PROT_READ, MAP_SHARED, fd, 0);
	map_expect_fail("mmap MAP_GROWSDOWN", EINVAL, NULL, pagesz, PROT_READ, MAP_PRIVATE | MAP_GROWSDOWN, fd, 0);
	errno = 4242;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED && errno == 4242, "shared mmap of the device: %s", strerror(errno));
	if (p == MAP_FAILED)
		return;
	CHECK(count_fds() == base && sockets_and_memfds() == kinds, "the mmap left no socket or memfd open");
	CHECK(strcmp(p, "region page 0") == 0 && strcmp(p + pagesz, "region page 1") == 0, "it shows the region");
	char *p2 = mmap(NULL, len, PROT_READ, MAP_SHARED_VALIDATE, fd, 0);
	CHECK(p2 != MAP_FAILED, "a second shared mapping (MAP_SHARED_VALIDATE)");
	if (p2 != MAP_FAILED) {
		strcpy(p + 2 * pagesz, "written through the first");
		CHECK(strcmp(p2 + 2 * pagesz, "written through the first") == 0, "both mappings share memory");
		munmap(p2, len);
	}
	char *off = mmap(NULL, pagesz, PROT_READ, MAP_SHARED, fd, pagesz);
	CHECK(off != MAP_FAILED && strcmp(off, "region page 1") == 0, "shared mmap at an offset");
	if (off != MAP_FAILED)
		munmap(off, pagesz);
	CHECK(mprotect(p, len, PROT_READ | PROT_EXEC) == 0, "mask 7: mprotect may add PROT_EXEC");
	munmap(p, len);

	char *anon = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *fixed = mmap(anon, len, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
	CHECK(fixed == anon && strcmp(fixed, "region page 0") == 0, "MAP_FIXED over existing memory");
	munmap(anon, len);

	char *priv = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK(priv != MAP_FAILED && priv[0] == 0 && priv[pagesz] == 0, "MAP_PRIVATE is zero-filled anonymous memory");
	if (priv != MAP_FAILED) {
		priv[0] = 1;
		munmap(priv, len);
	}

	struct ashmemd_broker_reply rep;
	int mfd = p_get_memfd(fd, len, PROT_READ | PROT_WRITE, &rep);
	CHECK(mfd >= 0 && rep.size == (uint64_t)a_size, "ashmemd_get_memfd: %d", mfd);
	if (mfd >= 0) {
		check_region_a(mfd, "get_memfd");
		close(mfd);
	}
	CHECK(p_get_memfd(fd, len + pagesz, PROT_READ, NULL) == -EINVAL, "ashmemd_get_memfd too long");

	/* the daemon changed between GET_TOKEN and the exchange: a new token, a new exchange */
	fake.token = T_HANGUP;
	fake.next_token = T_OK;
	fake.tokens = 0;
	int c0 = conns();
	char *again = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(again != MAP_FAILED && strcmp(again, "region page 0") == 0,
	      "a broker that closes unanswered: the mapping succeeds with a second token");
	CHECK(fake.tokens == 2 && conns() == c0 + 2, "two tokens, two connections (%d, %d)", fake.tokens, conns() - c0);
	if (again != MAP_FAILED)
		munmap(again, len);
	CHECK(count_fds() == base && sockets_and_memfds() == kinds, "the retried mmap left nothing open");
	fake.token = T_HANGUP;
	fake.tokens = 0;
	c0 = conns();
	map_expect_fail("a broker that always closes unanswered", ECONNRESET, NULL, pagesz, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(fake.tokens == 6 && conns() == c0 + 6, "bounded: 6 tokens, 6 connections (%d, %d)", fake.tokens,
	      conns() - c0);
	CHECK(count_fds() == base && sockets_and_memfds() == kinds, "the failed retries left nothing open");
	fake.token = T_EACCES;
	fake.tokens = 0;
	map_expect_fail("the broker refuses the token", EACCES, NULL, pagesz, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(fake.tokens == 6, "a refused token is asked for again, bounded (%d)", fake.tokens);
	fake.token = T_BADMAGIC;
	fake.tokens = 0;
	map_expect_fail("a malformed reply", EPROTO, NULL, pagesz, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(fake.tokens == 1, "a malformed reply is not retried (%d tokens)", fake.tokens);
	map_expect_fail("O_RDONLY fd, writable shared", EACCES, NULL, pagesz, PROT_READ | PROT_WRITE, MAP_SHARED, FAKE_RO_FD, 0);

	/* lseek */
	CHECK(lseek(fd, 100, SEEK_SET) == 100, "SEEK_SET");
	CHECK(lseek(fd, 10, SEEK_CUR) == 110, "SEEK_CUR");
	CHECK(lseek64(fd, 0, SEEK_END) == a_size, "SEEK_END");
	CHECK(lseek(fd, 5, SEEK_HOLE) == a_size, "SEEK_HOLE");
	errno = 0;
	CHECK_ERR(lseek(fd, a_size + 1, SEEK_DATA) == -1, errno, ENXIO, "SEEK_DATA past the end");
	errno = 4242;
	CHECK(lseek(fd, 0, SEEK_SET) == 0 && errno == 4242, "SEEK_SET 0 on the device");
	fake.size = (uint64_t)3 << 30;
	CHECK(lseek64(fd, 0, SEEK_END) == (off64_t)3 << 30, "lseek64 past 2 GiB");
	if (sizeof(off_t) == 4) {
		errno = 0;
		CHECK_ERR(lseek(fd, 0, SEEK_END) == -1, errno, EOVERFLOW, "32-bit lseek past 2 GiB");
	}

	/* prot mask PROT_READ: EPERM at mmap, EACCES at mprotect */
	fake.size = b_size;
	fake.mask = PROT_READ;
	fake.token = T_RO;
	map_expect_fail("writable mmap outside the mask", EPERM, NULL, pagesz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	map_expect_fail("exec mmap outside the mask", EPERM, NULL, pagesz, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	char *ro = mmap(NULL, b_size, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(ro != MAP_FAILED && strcmp(ro, "read-only region") == 0, "read-only shared mapping");
	if (ro != MAP_FAILED) {
		errno = 0;
		CHECK_ERR(mprotect(ro, b_size, PROT_READ | PROT_WRITE) == -1, errno, EACCES, "mprotect +W (the kernel, sealed memfd)");
		errno = 0;
		CHECK_ERR(mprotect(ro, b_size, PROT_READ | PROT_EXEC) == -1, errno, EACCES, "mprotect +X (the guard)");
		CHECK(mprotect(ro, b_size, PROT_NONE) == 0 && mprotect(ro, b_size, PROT_READ) == 0, "mprotect within the mask");
		CHECK(munmap(ro, b_size) == 0, "munmap");
		char *n = mmap(ro, b_size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		CHECK(n == ro && mprotect(n, b_size, PROT_READ | PROT_EXEC) == 0, "no guard left after munmap");
		munmap(n, b_size);
	}
	char *rp = mmap(NULL, b_size, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK(rp != MAP_FAILED && rp[0] == 0, "private read-only mapping");
	if (rp != MAP_FAILED) {
		errno = 0;
		CHECK_ERR(mprotect(rp, b_size, PROT_READ | PROT_WRITE) == -1, errno, EACCES, "private: mprotect +W (the guard)");
		munmap(rp, b_size);
	}
	fake.mask = 0;
	map_expect_fail("mask 0 refuses even PROT_READ", EPERM, NULL, pagesz, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(count_fds() == base && sockets_and_memfds() == kinds, "no descriptor left on the slow path (%d before, %d after)",
	      base, count_fds());

	/* the whole cycle against a plain memfd cycle (informational; traps inflate it) */
	fake.size = a_size;
	fake.mask = 7;
	fake.token = T_OK;
	double slow = median_us(300, device_cycle, NULL), plain = median_us(300, memfd_cycle, NULL);
	printf("info: (median) slow-path mmap+munmap %.1f us (ioctls emulated by signals), memfd create+map+unmap+close %.1f us\n",
	       slow, plain);
}

#else
static void test_slow_path(void)
{
	printf("info: no seccomp trap emulation for this architecture; slow-path tests skipped\n");
}
#endif

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--default-path") == 0)
		return default_path_main(atoi(argv[2]));
	int baseline = argc > 1 && strcmp(argv[1], "--baseline") == 0;
	under_qemu = getenv("ASHMEMD_TEST_QEMU") != NULL;
	pagesz = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IONBF, 0);

	void *lib_mmap = dlsym(RTLD_DEFAULT, "mmap");
	Dl_info di;
	int preloaded = lib_mmap && dladdr(lib_mmap, &di) && di.dli_fname && strstr(di.dli_fname, "libashmemd-preload");
	if (baseline) {
		CHECK(!preloaded, "baseline run without the library");
	} else {
		CHECK(preloaded, "mmap comes from libashmemd-preload.so (LD_PRELOAD)");
		if (!preloaded)
			return 1;
	}

	int fds0 = count_fds();
	test_files();
	test_anonymous();
	test_pipe_socket_dir();
	test_char_devices();
	CHECK(count_fds() == fds0, "no descriptor leaked by part A");
	printf("part A (same as without the library): %d checks, %d failures\n", checks, failures);

	if (!baseline) {
		int c0 = checks, f0 = failures;
		p_connect = (int (*)(const char *))dlsym(RTLD_DEFAULT, "ashmemd_broker_connect");
		p_exchange = (int (*)(int, unsigned, struct ashmemd_broker_reply *))dlsym(RTLD_DEFAULT, "ashmemd_broker_exchange");
		p_fetch = (int (*)(unsigned, struct ashmemd_broker_reply *))dlsym(RTLD_DEFAULT, "ashmemd_fetch_memfd");
		p_get_memfd = (int (*)(int, size_t, int, struct ashmemd_broker_reply *))dlsym(RTLD_DEFAULT, "ashmemd_get_memfd");
		p_guard = (int (*)(void *, size_t, unsigned))dlsym(RTLD_DEFAULT, "ashmemd_guard_range");
		CHECK(p_connect && p_exchange && p_fetch && p_get_memfd && p_guard, "client API exported");
		const char *path = getenv("ASHMEMD_BROKER");
		CHECK(path && *path, "ASHMEMD_BROKER is set");
		if (!path || !p_connect || server_start(path) < 0)
			return 1;
		int dn = open("/dev/null", O_RDWR);
		CHECK(p_get_memfd(dn, pagesz, PROT_READ, NULL) == -ENOTTY, "get_memfd of /dev/null");
		CHECK(p_get_memfd(dn, 0, PROT_READ, NULL) == -EINVAL, "get_memfd of length 0");
		close(dn);
		test_exchange(path);
		test_no_kept_connection();
		test_default_paths(path);
		test_guards();
		test_slow_path();
		printf("part B/C (broker client, guards, slow path): %d checks, %d failures\n", checks - c0, failures - f0);
		kill(server_pid, SIGKILL);
		waitpid(server_pid, NULL, 0);
		unlink(path);
	}
	printf("%s: %d checks, %d failures (%d-bit)\n", failures ? "FAILED" : "PASSED", checks, failures,
	       (int)sizeof(void *) * 8);
	return failures ? 1 : 0;
}
