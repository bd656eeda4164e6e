/*
 * check.h: what the harness's C programs share, in one header:
 *  - the small test framework (a tests[] table, CHECK_* macros, one child process per test);
 *  - helpers every program needs: the device path, opening it, die_errno();
 *  - passing one file descriptor over a Unix socket (SCM_RIGHTS).
 * Programs that are not test tables (helpers a suite drives) use only the helpers.
 *
 * Each test runs in its own child process, so a crash, a leaked fd or a changed personality in
 * one test cannot disturb the next. The program prints exactly one line per test on stdout:
 *
 *   pass NAME
 *   fail NAME REASON
 *   skip NAME REASON
 *
 * which is the result format of integration-tests/lib/suite.sh. Diagnostics go to stderr.
 * Usage: PROGRAM [--list] [NAME...]  (names select tests; default: all).
 * Environment: ASHMEM_DEV (default /dev/ashmem), CHECK_TIMEOUT_SCALE (multiplies timeouts).
 */
#ifndef ASHMEMD_IT_CHECK_H
#define ASHMEMD_IT_CHECK_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../native-headers/ashmem_abi.h"

#define CHECK_REASON_MAX 900
#define CHECK_HELPER __attribute__((unused)) static

struct check_test {
	const char *name;
	void (*fn)(void);
	int timeout_s; /* 0: the default */
};

#define CHECK_TEST(fn) { #fn, fn, 0 }
#define CHECK_TEST_T(fn, secs) { #fn, fn, (secs) }
#define CHECK_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int check_report_fd = -1; /* the running test's report pipe (in the child) */

/* "name.c:42" for messages: the file name without its directory. */
__attribute__((unused)) static const char *check_where(const char *file)
{
	const char *slash = strrchr(file, '/');
	return slash ? slash + 1 : file;
}

__attribute__((unused)) static const char *check_errname(int e)
{
	static char other[32];
	const char *n = e ? strerrorname_np(e) : "0";
	if (n)
		return n;
	snprintf(other, sizeof(other), "errno %d", e);
	return other;
}

/* Ends the current test: status 1 = fail, 77 = skip; the reason goes to the runner. */
__attribute__((unused, noreturn, format(printf, 2, 3))) static void check_end(int status, const char *fmt, ...)
{
	char msg[CHECK_REASON_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(msg) - 1)
		n = sizeof(msg) - 2;
	for (int i = 0; i < n; i++)
		if (msg[i] == '\n' || msg[i] == '\r')
			msg[i] = ' ';
	/* One line per report: a test's child processes may report into the same pipe first. */
	msg[n++] = '\n';
	if (check_report_fd >= 0 && write(check_report_fd, msg, (size_t)n) < 0)
		perror("check: report");
	_exit(status);
}

#define FAIL(...) check_end(1, __VA_ARGS__)
#define SKIP(...) check_end(77, __VA_ARGS__)

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			FAIL(__VA_ARGS__);                                                         \
	} while (0)

/* The call must succeed (not -1); yields its result. */
#define CHECK_OK(expr)                                                                    \
	({                                                                                \
		errno = 0;                                                                \
		long check_r_ = (long)(expr);                                             \
		if (check_r_ == -1)                                                       \
			FAIL("%s:%d: %s failed: %s", check_where(__FILE__), __LINE__,     \
			     #expr, check_errname(errno));                                \
		check_r_;                                                                 \
	})

/* The call must return exactly `want`. */
#define CHECK_RET(expr, want)                                                             \
	do {                                                                              \
		errno = 0;                                                                \
		long check_r_ = (long)(expr);                                             \
		int check_e_ = errno;                                                     \
		long check_w_ = (long)(want);                                             \
		if (check_r_ != check_w_)                                                 \
			FAIL("%s:%d: %s: expected %ld, got %ld%s%s", check_where(__FILE__), \
			     __LINE__, #expr, check_w_, check_r_,                         \
			     check_r_ == -1 ? " errno " : "",                             \
			     check_r_ == -1 ? check_errname(check_e_) : "");              \
	} while (0)

/* The call must fail with -1 and exactly errno `e`. */
#define CHECK_ERRNO(expr, e)                                                              \
	do {                                                                              \
		errno = 0;                                                                \
		long check_r_ = (long)(expr);                                             \
		int check_e_ = errno;                                                     \
		if (check_r_ != -1 || check_e_ != (e))                                    \
			FAIL("%s:%d: %s: expected -1 errno %s, got %ld%s%s",              \
			     check_where(__FILE__), __LINE__, #expr, check_errname(e),    \
			     check_r_, check_r_ == -1 ? " errno " : "",                   \
			     check_r_ == -1 ? check_errname(check_e_) : "");              \
	} while (0)

#define CHECK_STR(got, want)                                                              \
	do {                                                                              \
		const char *check_g_ = (got), *check_w_ = (want);                         \
		if (strcmp(check_g_, check_w_) != 0)                                      \
			FAIL("%s:%d: expected \"%.80s\", got \"%.80s\"",                  \
			     check_where(__FILE__), __LINE__, check_w_, check_g_);        \
	} while (0)

/* ---- helpers shared by the programs ---- */

/*
 * For the programs a suite drives (not test tables): "PROGRAM: MESSAGE: strerror(errno)" on
 * stderr, exit status 2.
 */
__attribute__((unused, noreturn, format(printf, 1, 2))) static void die_errno(const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", program_invocation_short_name);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, ": %s\n", strerror(e));
	va_end(ap);
	exit(2);
}

/* ---- passing a file descriptor (SCM_RIGHTS); each caller decides what a failure means ---- */

/* Sends fd with one data byte; 0, or -1 with errno. */
static inline int fdpass_send(int sock, int fd)
{
	char byte = 'f';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	memset(&ctl, 0, sizeof ctl);
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			      .msg_controllen = sizeof ctl.buf };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

/*
 * Receives one fd (close-on-exec); the fd, or -1 with errno: ENODATA when the peer closed
 * without sending, EPROTO when a byte came without an fd.
 */
static inline int fdpass_recv(int sock)
{
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			      .msg_controllen = sizeof ctl.buf };
	ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -1;
	if (n == 0) {
		errno = ENODATA;
		return -1;
	}
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
		errno = EPROTO;
		return -1;
	}
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof fd);
	return fd;
}

/* The fd passing above, for tests: a failure ends the test. */
CHECK_HELPER void check_send_fd(int sock, int fd)
{
	CHECK(fdpass_send(sock, fd) == 0, "sendmsg: %s", check_errname(errno));
}

CHECK_HELPER int check_recv_fd(int sock)
{
	int fd = fdpass_recv(sock);
	CHECK(fd >= 0, "recvmsg: no fd received: %s", check_errname(errno));
	return fd;
}

/* Two processes in step: a one-byte message over a pipe. */
CHECK_HELPER void check_step_signal(int fd)
{
	CHECK(write(fd, "s", 1) == 1, "pipe write: %s", check_errname(errno));
}

CHECK_HELPER void check_step_wait(int fd)
{
	char c;
	CHECK(read(fd, &c, 1) == 1, "pipe read: the other process is gone");
}

CHECK_HELPER const char *ashmem_dev(void)
{
	const char *d = getenv("ASHMEM_DEV");
	return d && *d ? d : "/dev/ashmem";
}

/* Opens the device the way libcutils does (O_RDWR|O_CLOEXEC) unless told otherwise. */
CHECK_HELPER int open_dev_flags(int flags)
{
	int fd = open(ashmem_dev(), flags);
	if (fd < 0)
		FAIL("open(%s, 0x%x): %s", ashmem_dev(), flags, check_errname(errno));
	return fd;
}

CHECK_HELPER int open_dev(void)
{
	return open_dev_flags(O_RDWR | O_CLOEXEC);
}

CHECK_HELPER size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/*
 * Two adjacent pages: the first read-write, the second inaccessible (PROT_NONE, or unmapped when
 * `unmap` is set). Returns the address of the boundary between them.
 */
CHECK_HELPER char *guarded_boundary(int unmap)
{
	size_t ps = page_size();
	char *p = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		FAIL("mmap: %s", check_errname(errno));
	if (unmap) {
		if (munmap(p + ps, ps) != 0)
			FAIL("munmap: %s", check_errname(errno));
	} else if (mprotect(p + ps, ps, PROT_NONE) != 0) {
		FAIL("mprotect: %s", check_errname(errno));
	}
	return p + ps;
}

/* An address that is never valid for a user pointer (top page, above every TASK_SIZE). */
CHECK_HELPER void *bad_high_pointer(void)
{
	return (void *)(uintptr_t)-4096;
}

/* A fresh open answers with the driver's initial state: the daemon is still serving. */
CHECK_HELPER void check_daemon_answers(void)
{
	int fd = open_dev();
	char name[ASHMEM_NAME_LEN];
	CHECK_RET(ioctl(fd, ASHMEM_GET_SIZE), 0);
	CHECK_RET(ioctl(fd, ASHMEM_GET_PROT_MASK), PROT_READ | PROT_WRITE | PROT_EXEC);
	CHECK_OK(ioctl(fd, ASHMEM_GET_NAME, name));
	CHECK_STR(name, ASHMEM_NAME_DEF);
	CHECK_OK(close(fd));
}

/* Waits for a child of a test and fails unless it exited with status 0. */
CHECK_HELPER void check_child_ok(pid_t pid, const char *what)
{
	int st;
	if (waitpid(pid, &st, 0) != pid)
		FAIL("%s: waitpid: %s", what, check_errname(errno));
	if (WIFSIGNALED(st))
		FAIL("%s: killed by signal %d (%s)", what, WTERMSIG(st), strsignal(WTERMSIG(st)));
	if (WEXITSTATUS(st) != 0)
		FAIL("%s: exited with status %d", what, WEXITSTATUS(st));
}

/* ---- the runner ---- */

__attribute__((unused)) static double check_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((unused)) static void check_print(const char *verdict, const char *name, const char *reason)
{
	if (reason && *reason)
		printf("%s %s %s\n", verdict, name, reason);
	else
		printf("%s %s\n", verdict, name);
	fflush(stdout);
}

/* Returns 0 for pass or skip, 1 for fail, -1 when the test's process could not be reaped. */
__attribute__((unused)) static int check_run_one(const struct check_test *t, int default_timeout)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) != 0) {
		perror("check: pipe");
		exit(2);
	}
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		perror("check: fork");
		exit(2);
	}
	if (pid == 0) {
		close(pfd[0]);
		check_report_fd = pfd[1];
		t->fn();
		_exit(0);
	}
	close(pfd[1]);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);

	double scale = 1.0;
	const char *s = getenv("CHECK_TIMEOUT_SCALE");
	if (s && atof(s) > 0)
		scale = atof(s);
	double deadline = check_now() + (t->timeout_s ? t->timeout_s : default_timeout) * scale;
	char reason[CHECK_REASON_MAX + 1];
	size_t len = 0;
	int st = 0, reaped = 0, timed_out = 0;
	/* Poll the pipe and the child: grandchildren may hold the pipe open, so EOF is no signal. */
	while (!reaped) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		poll(&p, 1, 50);
		ssize_t n;
		while (len < CHECK_REASON_MAX && (n = read(pfd[0], reason + len, CHECK_REASON_MAX - len)) > 0)
			len += (size_t)n;
		if (waitpid(pid, &st, WNOHANG) == pid)
			reaped = 1;
		else if (!timed_out && check_now() > deadline) {
			timed_out = 1;
			kill(pid, SIGKILL);
			deadline = check_now() + 10;
		} else if (timed_out && check_now() > deadline) {
			break;
		}
	}
	ssize_t n;
	while (len < CHECK_REASON_MAX && (n = read(pfd[0], reason + len, CHECK_REASON_MAX - len)) > 0)
		len += (size_t)n;
	reason[len] = '\0';
	close(pfd[0]);
	/* Reports are lines; join them, innermost (the child's) first. */
	while (len > 0 && reason[len - 1] == '\n')
		reason[--len] = '\0';
	char joined[2 * CHECK_REASON_MAX + 2];
	size_t j = 0;
	for (size_t i = 0; i < len; i++) {
		if (reason[i] == '\n') {
			joined[j++] = ';';
			joined[j++] = ' ';
		} else {
			joined[j++] = reason[i];
		}
	}
	joined[j] = '\0';

	char buf[sizeof(joined) + 128];
	if (!reaped) {
		check_print("fail", t->name,
			    "timed out and could not be killed (blocked in the kernel: is the daemon answering?)");
		return -1;
	}
	if (timed_out) {
		snprintf(buf, sizeof(buf), "timed out after %d s%s%s",
			 t->timeout_s ? t->timeout_s : default_timeout, len ? ": " : "", joined);
		check_print("fail", t->name, buf);
		return 1;
	}
	if (WIFSIGNALED(st)) {
		snprintf(buf, sizeof(buf), "killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
		check_print("fail", t->name, buf);
		return 1;
	}
	if (WEXITSTATUS(st) == 0) {
		check_print("pass", t->name, NULL);
		return 0;
	}
	if (WEXITSTATUS(st) == 77) {
		check_print("skip", t->name, len ? joined : "skipped");
		return 0;
	}
	check_print("fail", t->name, len ? joined : "failed without a reason");
	return 1;
}

/* Runs the selected tests; exit status 0 when all passed or skipped, 1 when any failed, 2 when
 * the runner itself could not go on. */
__attribute__((unused)) static int check_main(int argc, char **argv, const struct check_test *tests, size_t count)
{
	int failed = 0, selected_any = argc <= 1;
	if (argc == 2 && strcmp(argv[1], "--list") == 0) {
		for (size_t i = 0; i < count; i++)
			printf("%s\n", tests[i].name);
		return 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < count; i++) {
		int want = argc <= 1;
		for (int a = 1; a < argc; a++)
			if (strcmp(argv[a], tests[i].name) == 0)
				want = 1;
		if (!want)
			continue;
		selected_any = 1;
		double t0 = check_now();
		int r = check_run_one(&tests[i], 60);
		if (r < 0)
			return 2; /* something is stuck in the kernel; later tests would hang too */
		failed += r;
		fprintf(stderr, "check: %s took %.2f s\n", tests[i].name, check_now() - t0);
	}
	if (!selected_any) {
		fprintf(stderr, "check: no test matches\n");
		return 2;
	}
	return failed ? 1 : 0;
}

#endif
