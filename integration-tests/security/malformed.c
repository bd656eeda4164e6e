/*
 * Bad broker clients: a wrong magic (status EPROTO, then the daemon closes), a request cut short
 * and then silence (dropped after the daemon's partial-request timeout), garbage and request
 * floods, clients that never read their replies, and thousands of idle connections. None may
 * stop the daemon, each is logged without flooding the log, and a good client is served all
 * along.
 */
#include "broker.h"

#define PARTIAL_TIMEOUT_S 5.0 /* the broker's limit for a started request */

static void bad_magic_eproto_then_closed(void)
{
	static const __u32 magics[] = { 0xdeadbeefu, 0x414d4431u /* byte-swapped */, 0 };
	for (size_t i = 0; i < CHECK_COUNT(magics); i++) {
		fresh_second();
		long mark = log_mark();
		int s = broker_connect();
		send_request(s, magics[i], 1, 0, 0);
		struct answer a = recv_answer(s, BROKER_TIMEOUT_MS);
		CHECK_REFUSED(a, EPROTO, "a request with a bad magic");
		CHECK(closed_within(s, 5000), "the connection stays open after a malformed request");
		CHECK_LOG_LINES(mark, "malformed request", 1);
		CHECK_OK(close(s));
	}
	good_client_served("after bad magics");
}

static void reserved_fields_nonzero_eproto(void)
{
	int fd = region(PG, NULL);
	__u32 t = token_or_fail(fd, PG, RW);
	int s = broker_connect();
	send_request(s, ASHMEMD_BROKER_MAGIC, t, 0, 1);
	struct answer a = recv_answer(s, BROKER_TIMEOUT_MS);
	CHECK_REFUSED(a, EPROTO, "a request with reserved[1] set");
	CHECK(closed_within(s, 5000), "the connection stays open after a malformed request");
	CHECK_OK(close(s));
	s = broker_connect();
	send_request(s, ASHMEMD_BROKER_MAGIC, t, 7, 0);
	a = recv_answer(s, BROKER_TIMEOUT_MS);
	CHECK_REFUSED(a, EPROTO, "a request with reserved[0] set");
	CHECK_OK(close(s));
	CHECK_OK(close(fd));
	good_client_served("after bad reserved fields");
}

/* Numbers no token can be: refused (EPROTO or EACCES), never a descriptor. */
static void impossible_tokens_refused(void)
{
	static const __u32 tokens[] = { 0, 0x80000000u, 0xffffffffu };
	for (size_t i = 0; i < CHECK_COUNT(tokens); i++) {
		int s = broker_connect();
		struct answer a = redeem(s, tokens[i]);
		int nf = a.nfds;
		close_answer_fds(&a);
		CHECK(a.got == REPLY_SIZE && nf == 0 && (a.rep.status == EPROTO || a.rep.status == EACCES),
		      "token %#x: %d reply bytes, status %d, %d descriptors", tokens[i], a.got, a.rep.status, nf);
		CHECK_OK(close(s));
	}
	good_client_served("after impossible tokens");
}

/* Half a request, then silence: dropped after the timeout; others are served meanwhile. */
static void short_request_then_silence_dropped(void)
{
	fresh_second();
	long mark = log_mark();
	int s = broker_connect();
	__u32 half[2] = { ASHMEMD_BROKER_MAGIC, 12345 };
	send_raw(s, half, sizeof(half));
	double t0 = mono_now();
	good_client_served("while a half request is pending");
	CHECK(closed_within(s, (int)((PARTIAL_TIMEOUT_S + 10) * 1000)),
	      "a connection with half a request was not dropped within %.0f s", PARTIAL_TIMEOUT_S + 10);
	double waited = mono_now() - t0;
	fprintf(stderr, "half request dropped after %.1f s\n", waited);
	CHECK(waited >= PARTIAL_TIMEOUT_S - 0.5, "dropped after %.1f s, before the %.0f s timeout", waited,
	      PARTIAL_TIMEOUT_S);
	CHECK_LOG_LINES(mark, "incomplete request", 1);
	CHECK_OK(close(s));
	good_client_served("after a half request was dropped");
}

/* A request may arrive in pieces, as long as it completes in time. */
static void split_request_completed_later_ok(void)
{
	int fd = region(PG, NULL);
	__u32 t = token_or_fail(fd, PG, RW);
	struct ashmemd_broker_request req = { ASHMEMD_BROKER_MAGIC, t, { 0, 0 } };
	int s = broker_connect();
	send_raw(s, &req, 5);
	sleep_s(1.0);
	send_raw(s, (char *)&req + 5, 6);
	sleep_s(0.5);
	send_raw(s, (char *)&req + 11, sizeof(req) - 11);
	struct answer a = recv_answer(s, BROKER_TIMEOUT_MS);
	close(CHECK_GRANTED(a, "a request sent in three pieces"));
	CHECK_OK(close(s));
	CHECK_OK(close(fd));
}

static void close_in_mid_request_harmless(void)
{
	for (int i = 0; i < 20; i++) {
		int s = broker_connect();
		__u32 half[2] = { ASHMEMD_BROKER_MAGIC, (__u32)i + 1 };
		send_raw(s, half, (size_t)(i % 8) + 1);
		CHECK_OK(close(s));
	}
	good_client_served("after clients left in mid-request");
}

/* Connections spewing random bytes, many at once, while a good client maps all along. */
static void garbage_flood_good_client_served(void)
{
	long mark = log_mark();
	int stop;
	pid_t good = start_good_client_loop(&stop);
	double t0 = mono_now();
	enum { PROCS = 4, CONNS = 24, BYTES = 64 * 1024 };
	pid_t kids[PROCS];
	for (int k = 0; k < PROCS; k++) {
		kids[k] = fork_or_fail();
		if (kids[k] == 0) {
			static unsigned char junk[BYTES];
			for (int c = 0; c < CONNS; c++) {
				if (getrandom(junk, sizeof(junk), 0) < 0)
					FAIL("getrandom: %s", check_errname(errno));
				int s = broker_connect();
				size_t off = 0;
				while (off < sizeof(junk)) {
					ssize_t n = send(s, junk + off, sizeof(junk) - off, MSG_NOSIGNAL);
					if (n <= 0)
						break; /* dropped: expected */
					off += (size_t)n;
				}
				close(s);
			}
			_exit(0);
		}
	}
	for (int k = 0; k < PROCS; k++)
		check_child_ok(kids[k], "garbage sender");
	double secs = mono_now() - t0;
	stop_good_client_loop(good, stop, 60);
	if (mark >= 0) {
		sleep_s(1.5);
		int lines = log_count(mark, "malformed request");
		fprintf(stderr, "garbage flood: %d connections in %.1f s, %d lines logged\n", PROCS * CONNS, secs, lines);
		CHECK(lines >= 1, "no malformed request logged for %d garbage connections", PROCS * CONNS);
		CHECK(lines <= 10 * ((int)secs + 3), "%d log lines for %d garbage connections in %.1f s", lines,
		      PROCS * CONNS, secs);
	}
	good_client_served("after the garbage flood");
}

/* Well-formed requests as fast as they go, replies never read: the daemon must not stall on it. */
static void unread_replies_flood_good_client_served(void)
{
	int stop;
	pid_t good = start_good_client_loop(&stop);
	int s = broker_connect();
	int fl = fcntl(s, F_GETFL);
	fcntl(s, F_SETFL, fl | O_NONBLOCK);
	struct ashmemd_broker_request req[64];
	long sent = 0;
	double end = mono_now() + 10;
	while (sent < 20000 && mono_now() < end) {
		for (int i = 0; i < 64; i++)
			req[i] = (struct ashmemd_broker_request){ ASHMEMD_BROKER_MAGIC, random_token(), { 0, 0 } };
		ssize_t n = send(s, req, sizeof(req), MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN) {
			sleep_s(0.01);
			continue;
		}
		if (n <= 0)
			break; /* the daemon gave up on us */
		sent += n / (ssize_t)sizeof(req[0]);
	}
	fprintf(stderr, "unread replies: %ld requests sent\n", sent);
	stop_good_client_loop(good, stop, 60);
	CHECK_OK(close(s));
	good_client_served("after a client that never read its replies");
}

/*
 * Thousands of idle connections from one unprivileged user (the socket is mode 0666): the
 * daemon must go on serving others, and serve normally again once they are gone.
 */
static void connection_flood_good_client_served(void)
{
	const char *e = getenv("SECURITY_CONNECTIONS");
	int want = e && *e ? atoi(e) : 5000;
	long mark = log_mark();
	int pipefd[2];
	CHECK_OK(pipe(pipefd));
	/* the flooder: an unprivileged user holding as many idle connections as it can get */
	pid_t flooder = fork_or_fail();
	if (flooder == 0) {
		close(pipefd[0]);
		struct rlimit rl = { (rlim_t)want + 64, (rlim_t)want + 64 };
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
			_exit(3);
		int n = 0;
		double t0 = mono_now(), last = t0;
		/* a full backlog may only mean the daemon accepts slowly: go on while connections get through */
		while (n < want && mono_now() < t0 + 60 && mono_now() < last + 3) {
			int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
			if (s < 0)
				break;
			struct sockaddr_un sa = { .sun_family = AF_UNIX };
			snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", broker_path());
			if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
				close(s);
				sleep_s(0.01);
				continue;
			}
			n++;
			last = mono_now();
		}
		if (write(pipefd[1], &n, sizeof(n)) != (ssize_t)sizeof(n))
			_exit(4);
		for (;;)
			pause();
	}
	close(pipefd[1]);
	int n = -1;
	ssize_t got = read(pipefd[0], &n, sizeof(n));
	close(pipefd[0]);
	if (got != (ssize_t)sizeof(n)) {
		kill(flooder, SIGKILL);
		waitpid(flooder, NULL, 0);
		CHECK(0, "the flooding child failed before opening its connections");
		return;
	}
	pid_t dpid = daemon_pid();
	fprintf(stderr, "connection flood: uid 65534 connected %d times (the daemon accepts at most its per-uid cap); "
			"daemon fds %d\n", n, dpid ? count_fds(dpid) : -1);
	/* a good client of another user, in its own process, must be served meanwhile */
	pid_t good = fork_or_fail();
	if (good == 0) {
		good_client_served("while another user holds thousands of idle connections");
		_exit(0);
	}
	int st;
	double end = mono_now() + 30;
	pid_t r;
	while ((r = waitpid(good, &st, WNOHANG)) == 0 && mono_now() < end)
		sleep_s(0.1);
	int served = r == good && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	if (r != good) {
		kill(good, SIGKILL);
		waitpid(good, &st, 0);
	}
	kill(flooder, SIGKILL);
	waitpid(flooder, NULL, 0);
	/* gone again: the daemon serves as before */
	sleep_s(2.0);
	good_client_served("after the idle connections were closed");
	if (mark >= 0) {
		int lines = log_count(mark, "broker");
		fprintf(stderr, "connection flood: %d broker log lines\n", lines);
		CHECK(lines <= 200, "%d broker log lines for %d connections", lines, n);
	}
	CHECK(served, "a good client was not served (%s) while another user held %d idle broker connections",
	      r != good ? "stuck for 30 s" : "it failed", n);
}

static void malformed_daemon_still_answers(void)
{
	check_daemon_answers();
	good_client_served("at the end");
}

static const struct check_test tests[] = {
	CHECK_TEST(bad_magic_eproto_then_closed),
	CHECK_TEST(reserved_fields_nonzero_eproto),
	CHECK_TEST(impossible_tokens_refused),
	CHECK_TEST(short_request_then_silence_dropped),
	CHECK_TEST(split_request_completed_later_ok),
	CHECK_TEST(close_in_mid_request_harmless),
	CHECK_TEST_T(garbage_flood_good_client_served, 120),
	CHECK_TEST_T(unread_replies_flood_good_client_served, 120),
	CHECK_TEST_T(connection_flood_good_client_served, 240),
	CHECK_TEST(malformed_daemon_still_answers),
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, tests, CHECK_COUNT(tests));
}
