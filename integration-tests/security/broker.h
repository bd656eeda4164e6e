/*
 * broker.h: the security programs' own client of ashmemd's mmap broker, written from the wire
 * format in native-headers/ashmemd.h (no preload library): tokens from ASHMEMD_IOC_GET_TOKEN,
 * raw requests (well-formed or not), replies with whatever descriptors came along, a client that
 * checks the daemon still serves, and the daemon's log (ASHMEMD_LOG) for refusal lines.
 */
#ifndef ASHMEMD_IT_BROKER_H
#define ASHMEMD_IT_BROKER_H

#include "../mapping/mapping.h"

#include <sys/random.h>

#define REPLY_SIZE ((int)sizeof(struct ashmemd_broker_reply))
#define BROKER_TIMEOUT_MS 20000

CHECK_HELPER const char *broker_path(void)
{
	const char *p = getenv("ASHMEMD_BROKER");
	return p && *p ? p : ASHMEMD_BROKER_DEFAULT;
}

/* A connected socket, or -errno. Connecting gives up after `timeout_s` (a full backlog). */
CHECK_HELPER int broker_try_connect(int timeout_s)
{
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	struct timeval tv = { timeout_s, 0 };
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", broker_path());
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;
		close(s);
		return -e;
	}
	return s;
}

CHECK_HELPER int broker_connect(void)
{
	int s = broker_try_connect(20);
	if (s < 0)
		FAIL("connect to the broker %s: %s", broker_path(), check_errname(-s));
	return s;
}

CHECK_HELPER void send_raw(int sock, const void *buf, size_t len)
{
	size_t off = 0;
	while (off < len) {
		ssize_t n = send(sock, (const char *)buf + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			FAIL("send to the broker: %s", check_errname(errno));
		off += (size_t)n;
	}
}

CHECK_HELPER void send_request(int sock, __u32 magic, __u32 token, __u32 r0, __u32 r1)
{
	struct ashmemd_broker_request req = { magic, token, { r0, r1 } };
	send_raw(sock, &req, sizeof(req));
}

/* What came back for one request. */
struct answer {
	int got;  /* reply bytes received */
	int eof;  /* the daemon closed the connection (before or after a reply) */
	int err;  /* errno of a failed receive, ETIMEDOUT when nothing came in time */
	int nfds; /* descriptors received, all kept in fds[] (the caller closes them) */
	int fds[8];
	int ctrunc;
	struct ashmemd_broker_reply rep;
};

/* Receives one reply (24 bytes) with its descriptors; stops early at EOF, error or timeout. */
CHECK_HELPER struct answer recv_answer(int sock, int timeout_ms)
{
	struct answer a;
	memset(&a, 0, sizeof(a));
	double end = mono_now() + timeout_ms / 1000.0;
	while (a.got < REPLY_SIZE) {
		int left = (int)((end - mono_now()) * 1000);
		struct pollfd p = { .fd = sock, .events = POLLIN };
		int pr = left > 0 ? poll(&p, 1, left) : 0;
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0) {
			a.err = pr == 0 ? ETIMEDOUT : errno;
			break;
		}
		union {
			struct cmsghdr h;
			char buf[CMSG_SPACE(8 * sizeof(int))];
		} u;
		struct iovec iov = { (char *)&a.rep + a.got, (size_t)(REPLY_SIZE - a.got) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
				     .msg_controllen = sizeof(u.buf) };
		ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			a.err = errno;
			break;
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
				continue;
			int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			for (int i = 0; i < k; i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				if (a.nfds < 8)
					a.fds[a.nfds++] = fd;
				else
					close(fd);
			}
		}
		if (mh.msg_flags & MSG_CTRUNC)
			a.ctrunc = 1;
		if (n == 0) {
			a.eof = 1;
			break;
		}
		a.got += (int)n;
	}
	return a;
}

/* After a reply: did the daemon close the connection within timeout_ms? */
CHECK_HELPER int closed_within(int sock, int timeout_ms)
{
	struct pollfd p = { .fd = sock, .events = POLLIN };
	double end = mono_now() + timeout_ms / 1000.0;
	for (;;) {
		int left = (int)((end - mono_now()) * 1000);
		if (left <= 0)
			return 0;
		int r = poll(&p, 1, left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return 0;
		char b[64];
		ssize_t n = recv(sock, b, sizeof(b), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && (errno == ECONNRESET || errno == EPIPE)))
			return 1;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return 1;
	}
}

CHECK_HELPER void close_answer_fds(struct answer *a)
{
	for (int i = 0; i < a->nfds; i++)
		close(a->fds[i]);
	a->nfds = 0;
}

CHECK_HELPER struct answer redeem(int sock, __u32 token)
{
	send_request(sock, ASHMEMD_BROKER_MAGIC, token, 0, 0);
	return recv_answer(sock, BROKER_TIMEOUT_MS);
}

/* The reply must be a refusal with `want_status` and carry no descriptor. */
#define CHECK_REFUSED(a, want_status, what)                                                         \
	do {                                                                                        \
		struct answer *ca_ = &(a);                                                          \
		const char *cw_ = check_where(__FILE__);                                            \
		int nf_ = ca_->nfds;                                                                \
		close_answer_fds(ca_);                                                              \
		CHECK(ca_->got == REPLY_SIZE, "%s:%d: %s: no complete reply (%d bytes%s%s%s)", cw_, \
		      __LINE__, (what), ca_->got, ca_->eof ? ", connection closed" : "",            \
		      ca_->err ? ", " : "", ca_->err ? check_errname(ca_->err) : "");               \
		CHECK(ca_->rep.magic == ASHMEMD_BROKER_MAGIC, "%s:%d: %s: reply magic %#x", cw_,    \
		      __LINE__, (what), ca_->rep.magic);                                            \
		CHECK(nf_ == 0, "%s:%d: %s: the refusal carried %d descriptors", cw_, __LINE__,     \
		      (what), nf_);                                                                 \
		CHECK(ca_->rep.status == (want_status), "%s:%d: %s: status %d (%s), expected %s",   \
		      cw_, __LINE__, (what), ca_->rep.status,                                       \
		      ca_->rep.status > 0 ? check_errname(ca_->rep.status) : "granted",             \
		      check_errname(want_status));                                                  \
	} while (0)

/* The reply must grant exactly one descriptor; yields it. */
#define CHECK_GRANTED(a, what)                                                                      \
	({                                                                                          \
		struct answer *cg_ = &(a);                                                          \
		const char *cw_ = check_where(__FILE__);                                            \
		CHECK(cg_->got == REPLY_SIZE && cg_->rep.magic == ASHMEMD_BROKER_MAGIC,             \
		      "%s:%d: %s: no valid reply (%d bytes, magic %#x%s%s)", cw_, __LINE__, (what), \
		      cg_->got, cg_->rep.magic, cg_->err ? ", " : "",                               \
		      cg_->err ? check_errname(cg_->err) : "");                                     \
		CHECK(cg_->rep.status == 0, "%s:%d: %s: refused with status %d (%s)", cw_,          \
		      __LINE__, (what), cg_->rep.status, check_errname(cg_->rep.status));           \
		CHECK(cg_->nfds == 1 && !cg_->ctrunc, "%s:%d: %s: %d descriptors%s", cw_, __LINE__, \
		      (what), cg_->nfds, cg_->ctrunc ? " (truncated)" : "");                        \
		cg_->fds[0];                                                                        \
	})

/* A token for a MAP_SHARED mapping of len bytes with prot, or -1/errno. */
CHECK_HELPER long get_token(int fd, size_t len, int prot)
{
	unsigned long pages = (unsigned long)((len + PG - 1) / PG);
	return ioctl(fd, ASHMEMD_IOC_GET_TOKEN, (unsigned long)ASHMEMD_MAP_ARG(pages, prot, 1));
}

CHECK_HELPER __u32 token_or_fail(int fd, size_t len, int prot)
{
	errno = 0;
	long t = get_token(fd, len, prot);
	if (t <= 0)
		FAIL("GET_TOKEN(len %zu, prot %d): %ld errno %s", len, prot, t, check_errname(errno));
	return (__u32)t;
}

/* A random number that looks like a token: 1 .. 2^31 - 1. */
CHECK_HELPER __u32 random_token(void)
{
	__u32 t = 0;
	while (t == 0) {
		if (getrandom(&t, sizeof(t), 0) != sizeof(t))
			FAIL("getrandom: %s", check_errname(errno));
		t &= 0x7fffffffu;
	}
	return t;
}

/* The memfd of a fresh region of len bytes, through a token and a new broker connection. */
CHECK_HELPER int memfd_of(int fd, size_t len, int prot, struct ashmemd_broker_reply *rep)
{
	__u32 t = token_or_fail(fd, len, prot);
	int s = broker_connect();
	struct answer a = redeem(s, t);
	int mfd = CHECK_GRANTED(a, "redeeming a fresh token");
	if (rep)
		*rep = a.rep;
	close(s);
	return mfd;
}

/*
 * A well-behaved client, start to end: region, token, memfd, a shared mapping of it, content
 * seen through read() on the device. Fails the test when anything is off.
 */
CHECK_HELPER void good_client_served(const char *when)
{
	int fd = open(ashmem_dev(), O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0, "%s: good client: open: %s", when, check_errname(errno));
	CHECK(ioctl(fd, ASHMEM_SET_SIZE, 2 * PG) == 0, "%s: good client: SET_SIZE: %s", when, check_errname(errno));
	errno = 0;
	long t = get_token(fd, 2 * PG, RW);
	CHECK(t > 0, "%s: good client: GET_TOKEN: %ld errno %s", when, t, check_errname(errno));
	int s = broker_try_connect(20);
	CHECK(s >= 0, "%s: good client: connect: %s", when, check_errname(-s));
	struct answer a = redeem(s, (__u32)t);
	CHECK(a.got == REPLY_SIZE && a.rep.status == 0 && a.nfds == 1,
	      "%s: good client not served: %d reply bytes%s, status %d, %d fds%s%s", when, a.got,
	      a.eof ? " (connection closed)" : "", a.rep.status, a.nfds, a.err ? ", " : "",
	      a.err ? check_errname(a.err) : "");
	int mfd = a.fds[0];
	unsigned char *p = mmap(NULL, 2 * PG, RW, MAP_SHARED, mfd, 0);
	CHECK(p != MAP_FAILED, "%s: good client: mmap of the memfd: %s", when, check_errname(errno));
	fill(p, 2 * PG, 77);
	unsigned char buf[64];
	CHECK(read(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf), "%s: good client: read: %s", when,
	      check_errname(errno));
	CHECK(pattern_mismatch(buf, sizeof(buf), 77, 0) < 0, "%s: good client: read() does not see the mapping", when);
	munmap(p, 2 * PG);
	close(mfd);
	close(s);
	close(fd);
}

/*
 * A child that runs good_client_served in a loop until `stop` becomes readable; it exits 0 after
 * at least one round and no failure. Returns its pid.
 */
CHECK_HELPER pid_t start_good_client_loop(int *stop_w)
{
	int p[2];
	CHECK_OK(pipe2(p, O_CLOEXEC));
	pid_t pid = fork_or_fail();
	if (pid == 0) {
		close(p[1]);
		long rounds = 0;
		for (;;) {
			struct pollfd pf = { .fd = p[0], .events = POLLIN };
			if (poll(&pf, 1, 0) > 0 && rounds > 0)
				break;
			char when[48];
			snprintf(when, sizeof(when), "concurrent round %ld", rounds + 1);
			good_client_served(when);
			rounds++;
		}
		fprintf(stderr, "good client: %ld rounds\n", rounds);
		_exit(0);
	}
	close(p[0]);
	*stop_w = p[1];
	return pid;
}

/* Stops the loop and checks it; a client stuck for `secs` is killed and reported. */
CHECK_HELPER void stop_good_client_loop(pid_t pid, int stop_w, double secs)
{
	close(stop_w);
	double end = mono_now() + secs;
	int st;
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			break;
		if (mono_now() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			FAIL("the concurrent good client was not served within %.0f s", secs);
		}
		sleep_s(0.05);
	}
	if (WIFSIGNALED(st))
		FAIL("the concurrent good client was killed by signal %d", WTERMSIG(st));
	CHECK(WEXITSTATUS(st) == 0, "the concurrent good client failed (exit status %d)", WEXITSTATUS(st));
}

/* ---- the daemon's log ---- */

CHECK_HELPER const char *daemon_log(void)
{
	const char *p = getenv("ASHMEMD_LOG");
	return p && *p ? p : NULL;
}

/* Where the log ends now, or -1 without a log. */
CHECK_HELPER long log_mark(void)
{
	struct stat st;
	const char *p = daemon_log();
	if (!p || stat(p, &st) != 0)
		return -1;
	return (long)st.st_size;
}

/* Whether line contains one of the '|'-separated alternatives of needle. */
CHECK_HELPER int line_matches(const char *line, const char *needle)
{
	char alt[256];
	for (const char *a = needle; *a;) {
		size_t n = strcspn(a, "|");
		snprintf(alt, sizeof(alt), "%.*s", (int)n, a);
		if (n && strstr(line, alt))
			return 1;
		a += n + (a[n] == '|');
	}
	return 0;
}

/* Lines after `mark` that contain `needle` (alternatives separated by '|'). */
CHECK_HELPER int log_count(long mark, const char *needle)
{
	const char *p = daemon_log();
	if (!p || mark < 0)
		return -1;
	FILE *f = fopen(p, "re");
	if (!f)
		return -1;
	fseek(f, mark, SEEK_SET);
	char line[4096];
	int n = 0;
	while (fgets(line, sizeof(line), f))
		if (line_matches(line, needle))
			n++;
	fclose(f);
	return n;
}

/* The broker's summary of the refusals it did not log one by one. */
#define LOG_SUMMARY "more refusals not logged|warnings suppressed"

/* Waits up to secs for at least `want` lines, then a little longer for any extra ones. */
CHECK_HELPER int log_wait_count(long mark, const char *needle, int want, double secs)
{
	double end = mono_now() + secs;
	int n;
	while ((n = log_count(mark, needle)) >= 0 && n < want && mono_now() < end)
		sleep_s(0.1);
	sleep_s(0.3);
	return log_count(mark, needle);
}

/* The log must have exactly `want` lines with `needle` since `mark` (skipped without a log). */
#define CHECK_LOG_LINES(mark, needle, want)                                                         \
	do {                                                                                        \
		if ((mark) >= 0) {                                                                  \
			int cl_ = log_wait_count((mark), (needle), (want), 5);                      \
			CHECK(cl_ == (want), "%s:%d: the daemon log has %d lines with \"%s\", expected %d", \
			      check_where(__FILE__), __LINE__, cl_, (needle), (want));              \
		}                                                                                   \
	} while (0)

/*
 * The broker logs at most a few refusals per second of CLOCK_MONOTONIC (the JVM's nanoTime):
 * start right after a second begins, so a test's few refusals all get their line.
 */
CHECK_HELPER void fresh_second(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	sleep_s(1.0 - (double)ts.tv_nsec / 1e9 + 0.02);
}

#endif
