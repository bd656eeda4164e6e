/*
 * Broker tokens, spoken to the broker directly: a token is one-shot, lives a few seconds, and
 * is worth something only to the process whose thread asked for it with the device fd. Forged,
 * replayed, expired and stolen tokens get status EACCES and no descriptor; a process without the
 * device fd gets nothing however many tokens it tries, while the daemon goes on serving others.
 * Every refusal is one line in the daemon's log, at most a few per second, a flood summarised.
 */
#include "broker.h"

static void valid_token_gets_the_memfd(void)
{
	int fd = region(3 * PG, "sec-valid");
	__u32 t = token_or_fail(fd, 3 * PG, RW);
	int s = broker_connect();
	struct answer a = redeem(s, t);
	int mfd = CHECK_GRANTED(a, "a fresh token");
	CHECK(a.rep.size == 3 * PG && a.rep.prot_mask == RWX && a.rep.reserved == 0,
	      "reply: size %llu, mask %u, reserved %u", (unsigned long long)a.rep.size, a.rep.prot_mask,
	      a.rep.reserved);
	char link[256], path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	CHECK(n > 0, "readlink %s: %s", path, check_errname(errno));
	link[n] = 0;
	CHECK_STR(link, "/memfd:dev/ashmem/sec-valid (deleted)");
	CHECK((fcntl(mfd, F_GETFD) & FD_CLOEXEC) != 0, "the received memfd is not close-on-exec");
	unsigned char *p = MAP(3 * PG, RW, MAP_SHARED, mfd, 0);
	fill(p, 3 * PG, 81);
	unsigned char buf[3 * PG];
	CHECK_RET(read_full(fd, buf, sizeof(buf)), sizeof(buf));
	CHECK_PATTERN(buf, sizeof(buf), 81, 0, "read() of the region after writes through the memfd");
	/* the connection serves further requests */
	struct answer b = redeem(s, token_or_fail(fd, PG, PROT_READ));
	close(CHECK_GRANTED(b, "a second token on the same connection"));
	CHECK_OK(close(mfd));
	CHECK_OK(close(s));
	CHECK_OK(close(fd));
}

/* GET_TOKEN applies the driver's mmap checks; a private request needs no token. */
static void get_token_applies_mmap_checks(void)
{
	int fd = open_dev();
	CHECK_ERRNO(get_token(fd, PG, RW), EINVAL); /* size 0 */
	CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, PG), 0);
	CHECK_ERRNO(get_token(fd, 2 * PG, RW), EINVAL);
	CHECK_ERRNO(ioctl(fd, ASHMEMD_IOC_GET_TOKEN, (unsigned long)ASHMEMD_MAP_ARG(0, RW, 1)), EINVAL);
	set_mask(fd, PROT_READ);
	CHECK_ERRNO(get_token(fd, PG, RW), EPERM);
	CHECK_RET(ioctl(fd, ASHMEMD_IOC_GET_TOKEN, (unsigned long)ASHMEMD_MAP_ARG(1, PROT_READ, 0)), 0);
#if __SIZEOF_LONG__ == 8
	CHECK_ERRNO(ioctl(fd, ASHMEMD_IOC_GET_TOKEN, (1UL << 32) | ASHMEMD_MAP_ARG(1, PROT_READ, 1)), EINVAL);
#endif
	CHECK_OK(close(fd));
}

static void forged_tokens_eacces(void)
{
	int fd = region(PG, NULL);
	token_or_fail(fd, PG, RW); /* an outstanding token the forgeries are unlikely to hit */
	fresh_second();
	long mark = log_mark();
	int s = broker_connect();
	for (int i = 0; i < 3; i++) {
		struct answer a = redeem(s, random_token());
		CHECK_REFUSED(a, EACCES, "a random token");
	}
	/* the refusals did not cost the connection */
	struct answer ok = redeem(s, token_or_fail(fd, PG, RW));
	close(CHECK_GRANTED(ok, "a real token after forged ones"));
	CHECK_LOG_LINES(mark, "refused a token", 3);
	CHECK_LOG_LINES(mark, "unknown token", 3);
	CHECK_OK(close(s));
	CHECK_OK(close(fd));
	good_client_served("after forged tokens");
}

static void replayed_token_eacces(void)
{
	int fd = region(PG, NULL);
	__u32 t = token_or_fail(fd, PG, RW);
	int s = broker_connect();
	struct answer a = redeem(s, t);
	close(CHECK_GRANTED(a, "first use"));
	fresh_second();
	long mark = log_mark();
	struct answer b = redeem(s, t);
	CHECK_REFUSED(b, EACCES, "the same token again");
	int s2 = broker_connect();
	struct answer c = redeem(s2, t);
	CHECK_REFUSED(c, EACCES, "the same token on a new connection");
	CHECK_LOG_LINES(mark, "token already used", 2);
	CHECK_OK(close(s));
	CHECK_OK(close(s2));
	CHECK_OK(close(fd));
	good_client_served("after a replayed token");
}

static void expired_token_eacces(void)
{
	int fd = region(PG, NULL);
	__u32 t = token_or_fail(fd, PG, RW);
	int s = broker_connect(); /* connected early: the connection is not what expires */
	const char *life = getenv("SECURITY_TOKEN_LIFETIME"); /* the daemon's --token-lifetime, in s */
	double wait = (life ? atof(life) : 30.0) + 1.0;
	sleep_s(wait);
	fresh_second();
	long mark = log_mark();
	struct answer a = redeem(s, t);
	CHECK_REFUSED(a, EACCES, "a token presented after its lifetime");
	CHECK_LOG_LINES(mark, "token expired", 1);
	/* a new token works on the same connection */
	struct answer b = redeem(s, token_or_fail(fd, PG, RW));
	close(CHECK_GRANTED(b, "a fresh token"));
	CHECK_OK(close(s));
	CHECK_OK(close(fd));
}

/* Process B, which never had the device fd, presents process A's token. */
static void stolen_token_eacces(void)
{
	int tp[2], done[2];
	CHECK_OK(pipe2(tp, O_CLOEXEC));
	CHECK_OK(pipe2(done, O_CLOEXEC));
	pid_t thief = fork_or_fail();
	if (thief == 0) {
		__u32 t;
		CHECK(read(tp[0], &t, sizeof(t)) == sizeof(t), "thief: no token came");
		int s = broker_connect();
		struct answer a = redeem(s, t);
		CHECK_REFUSED(a, EACCES, "thief presenting the owner's token");
		check_step_signal(done[1]);
		_exit(0);
	}
	close(tp[0]);
	close(done[1]);
	int fd = region(PG, NULL);
	__u32 t = token_or_fail(fd, PG, RW);
	fresh_second();
	long mark = log_mark();
	CHECK(write(tp[1], &t, sizeof(t)) == sizeof(t), "pipe: %s", check_errname(errno));
	check_step_wait(done[0]);
	check_child_ok(thief, "thief");
	CHECK_LOG_LINES(mark, "token belongs to another process", 1);
	/* presented once, the token is spent, even for its owner */
	int s = broker_connect();
	struct answer a = redeem(s, t);
	CHECK_REFUSED(a, EACCES, "the owner presenting its token after the thief");
	CHECK_OK(close(s));
	CHECK_OK(close(fd));
	good_client_served("after a stolen token");
}

/* A forked child holds the device fd too, but the token was the parent's. */
static void token_presented_by_forked_child_eacces(void)
{
	int fd = region(PG, NULL);
	__u32 t = token_or_fail(fd, PG, RW);
	pid_t pid = fork_or_fail();
	if (pid == 0) {
		int s = broker_connect();
		struct answer a = redeem(s, t);
		CHECK_REFUSED(a, EACCES, "a child presenting its parent's token");
		/* its own token is fine */
		struct answer b = redeem(s, token_or_fail(fd, PG, RW));
		close(CHECK_GRANTED(b, "the child's own token"));
		_exit(0);
	}
	check_child_ok(pid, "child");
	CHECK_OK(close(fd));
}

struct thread_token {
	int fd;
	long token;
	int err;
	int go[2]; /* the thread waits for this before it exits */
};

static void *token_thread(void *arg)
{
	struct thread_token *tt = arg;
	errno = 0;
	long t = get_token(tt->fd, PG, RW);
	tt->err = errno;
	__atomic_store_n(&tt->token, t, __ATOMIC_RELEASE);
	if (tt->go[0] >= 0) {
		char c;
		if (read(tt->go[0], &c, 1) < 0)
			tt->err = errno;
	}
	return NULL;
}

/* A token is the process's, whichever of its threads asked for it. */
static void token_of_another_thread_ok(void)
{
	int fd = region(PG, NULL);
	struct thread_token tt = { .fd = fd };
	CHECK_OK(pipe2(tt.go, O_CLOEXEC));
	pthread_t th;
	CHECK(pthread_create(&th, NULL, token_thread, &tt) == 0, "pthread_create");
	double end = mono_now() + 20;
	while (__atomic_load_n(&tt.token, __ATOMIC_ACQUIRE) == 0 && mono_now() < end)
		sleep_s(0.01);
	CHECK(tt.token > 0, "GET_TOKEN in a thread: %ld errno %s", tt.token, check_errname(tt.err));
	int s = broker_connect();
	struct answer a = redeem(s, (__u32)tt.token);
	check_step_signal(tt.go[1]);
	pthread_join(th, NULL);
	close(CHECK_GRANTED(a, "a token another thread of this process got (thread still running)"));
	CHECK_OK(close(s));
	CHECK_OK(close(fd));
}

/* ...also once that thread has ended: the token is bound to the process, not the thread. */
static void token_after_its_thread_ended_ok(void)
{
	int fd = region(PG, NULL);
	struct thread_token tt = { .fd = fd, .go = { -1, -1 } };
	pthread_t th;
	CHECK(pthread_create(&th, NULL, token_thread, &tt) == 0, "pthread_create");
	pthread_join(th, NULL);
	CHECK(tt.token > 0, "GET_TOKEN in a thread: %ld errno %s", tt.token, check_errname(tt.err));
	int s = broker_connect();
	struct answer a = redeem(s, (__u32)tt.token);
	close(CHECK_GRANTED(a, "a token of this process whose issuing thread has exited"));
	CHECK_OK(close(s));
	CHECK_OK(close(fd));
}

/* Closing the device fd revokes the region's outstanding tokens. */
static void token_after_device_close_eacces(void)
{
	int fd = region(PG, NULL);
	__u32 t = token_or_fail(fd, PG, RW);
	CHECK_OK(close(fd));
	int s = broker_connect();
	struct answer a = redeem(s, t);
	CHECK_REFUSED(a, EACCES, "a token of a closed region");
	CHECK_OK(close(s));
}

/*
 * A process that never had a device fd guesses tokens while another process holds outstanding
 * ones and a third maps regions all along: no guess is ever granted, no descriptor ever comes,
 * the third is always served, and the log stays short (a few lines a second plus summaries).
 */
static void guessing_without_device_fd_gets_nothing(void)
{
	const char *g = getenv("SECURITY_GUESSES");
	long guesses = g && *g ? atol(g) : 4000;
	int ready[2], res[2];
	CHECK_OK(pipe2(ready, O_CLOEXEC));
	CHECK_OK(pipe2(res, O_CLOEXEC));
	pid_t guesser = fork_or_fail(); /* before any device fd exists in this test */
	if (guesser == 0) {
		check_step_wait(ready[0]);
		int s = broker_connect();
		long refused = 0;
		for (long i = 0; i < guesses; i++) {
			struct answer a = redeem(s, random_token());
			int nf = a.nfds;
			close_answer_fds(&a);
			CHECK(nf == 0, "guess %ld came back with %d descriptors (status %d)", i, nf, a.rep.status);
			CHECK(a.got == REPLY_SIZE && a.rep.status == EACCES,
			      "guess %ld: %d reply bytes, status %d%s%s", i, a.got, a.rep.status, a.err ? ", " : "",
			      a.err ? check_errname(a.err) : "");
			refused++;
		}
		CHECK(write(res[1], &refused, sizeof(refused)) == sizeof(refused), "pipe");
		_exit(0);
	}
	close(ready[0]);
	close(res[1]);
	int fd = region(PG, NULL);
	for (int i = 0; i < 64; i++)
		token_or_fail(fd, PG, RW);
	int stop;
	pid_t good = start_good_client_loop(&stop);
	long mark = log_mark();
	double t0 = mono_now();
	check_step_signal(ready[1]);
	long refused = 0;
	if (read(res[0], &refused, sizeof(refused)) != sizeof(refused)) {
		kill(good, SIGKILL);
		waitpid(good, NULL, 0);
		check_child_ok(guesser, "guesser");
		FAIL("the guesser ended without a result");
	}
	double secs = mono_now() - t0;
	check_child_ok(guesser, "guesser");
	stop_good_client_loop(good, stop, 60);
	fprintf(stderr, "guessing: %ld refused in %.1f s\n", refused, secs);
	CHECK(refused == guesses, "%ld of %ld guesses refused", refused, guesses);
	if (mark >= 0) {
		sleep_s(1.5);
		int lines = log_count(mark, "refused a token");
		int summaries = log_count(mark, LOG_SUMMARY);
		int limit = 10 * ((int)secs + 3);
		fprintf(stderr, "guessing: %d refusal lines, %d summary lines\n", lines, summaries);
		CHECK(lines <= limit, "%d refusal lines in the log for %ld refusals in %.1f s (at most %d expected)",
		      lines, guesses, secs, limit);
		CHECK(lines >= 1, "no refusal logged at all for %ld refusals", guesses);
		if (secs >= 2.0)
			CHECK(summaries >= 1, "%ld refusals in %.1f s, %d logged, but no summary line", guesses,
			      secs, lines);
	}
	CHECK_OK(close(fd));
	good_client_served("after the guessing");
}

/* After a short burst of refusals and then silence, the summary of what was not logged shows. */
static void refusal_burst_summary_logged(void)
{
	if (log_mark() < 0)
		SKIP("ASHMEMD_LOG is not set");
	int s = broker_connect();
	for (int attempt = 0; attempt < 3; attempt++) {
		fresh_second();
		long mark = log_mark();
		struct timespec a0, a1;
		clock_gettime(CLOCK_MONOTONIC, &a0);
		for (int i = 0; i < 30; i++) {
			struct answer a = redeem(s, random_token());
			CHECK_REFUSED(a, EACCES, "a random token");
		}
		clock_gettime(CLOCK_MONOTONIC, &a1);
		if (a1.tv_sec != a0.tv_sec)
			continue; /* crossed into the next second: that summary would not tell */
		sleep_s(3.0);
		int lines = log_count(mark, "unknown token");
		int summaries = log_count(mark, LOG_SUMMARY);
		CHECK(lines == 10, "%d of 30 refusals within one second logged, expected 10", lines);
		CHECK(summaries == 1, "3 s after a burst of 30 refusals (10 logged) the log has %d summary lines, expected 1",
		      summaries);
		CHECK_OK(close(s));
		return;
	}
	SKIP("30 requests never fit within one second");
}

static void tokens_daemon_still_answers(void)
{
	check_daemon_answers();
	good_client_served("at the end");
}

static const struct check_test tests[] = {
	CHECK_TEST(valid_token_gets_the_memfd),
	CHECK_TEST(get_token_applies_mmap_checks),
	CHECK_TEST(forged_tokens_eacces),
	CHECK_TEST(replayed_token_eacces),
	CHECK_TEST(expired_token_eacces),
	CHECK_TEST(stolen_token_eacces),
	CHECK_TEST(token_presented_by_forked_child_eacces),
	CHECK_TEST(token_of_another_thread_ok),
	CHECK_TEST(token_after_its_thread_ended_ok),
	CHECK_TEST(token_after_device_close_eacces),
	CHECK_TEST_T(guessing_without_device_fd_gets_nothing, 180),
	CHECK_TEST(refusal_burst_summary_logged),
	CHECK_TEST(tokens_daemon_still_answers),
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, tests, CHECK_COUNT(tests));
}
