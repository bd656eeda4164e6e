/*
 * Many map/unmap cycles, every answer checked, with no fd leak: neither in the daemon (its
 * /proc/PID/fd count, ASHMEMD_PID) nor in the client (/proc/self/fd). The cycles are shared out
 * among a few client processes (the VM has two CPUs); every process warms up first, so that the
 * daemon's lazily opened files exist, then the counts are taken, the cycles run, and the counts
 * are taken again while every client is still there.
 *
 * MAPPING_CYCLES: cycles in all (default 10000); MAPPING_WARMUP: warm-up cycles in all (500);
 * MAPPING_WORKERS: client processes (2).
 */
#include "mapping.h"

static long env_long(const char *name, long def)
{
	const char *s = getenv(name);
	return s && *s ? atol(s) : def;
}

/* open + SET_SIZE + mmap + touch + munmap + close */
static void region_cycle(long i, int unused)
{
	(void)unused;
	int fd = open(ashmem_dev(), O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0, "cycle %ld: open: %s", i, check_errname(errno));
	size_t size = PG * (size_t)(1 + (i & 3));
	CHECK(ioctl(fd, ASHMEM_SET_SIZE, (unsigned long)size) == 0, "cycle %ld: SET_SIZE: %s", i,
	      check_errname(errno));
	unsigned char *p = mmap(NULL, size, RW, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED, "cycle %ld: mmap: %s", i, check_errname(errno));
	CHECK(p[0] == 0 && p[size - 1] == 0, "cycle %ld: a new region is not zero", i);
	p[0] = (unsigned char)i;
	p[size - 1] = (unsigned char)(i >> 8);
	CHECK(p[0] == (unsigned char)i && p[size - 1] == (unsigned char)(i >> 8), "cycle %ld: write lost", i);
	CHECK(munmap(p, size) == 0, "cycle %ld: munmap: %s", i, check_errname(errno));
	CHECK(close(fd) == 0, "cycle %ld: close: %s", i, check_errname(errno));
}

/* mmap + touch + munmap of one open region: what a cycle wrote, the next one reads. */
static void map_cycle(long i, int fd)
{
	size_t size = 2 * PG;
	unsigned char *p = mmap(NULL, size, RW, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED, "cycle %ld: mmap: %s", i, check_errname(errno));
	unsigned char want = (unsigned char)(i ? i - 1 : 0);
	CHECK(p[PG + 1] == want, "cycle %ld: reads 0x%02x, the previous cycle wrote 0x%02x", i, p[PG + 1], want);
	p[PG + 1] = (unsigned char)i;
	CHECK(munmap(p, size) == 0, "cycle %ld: munmap: %s", i, check_errname(errno));
}

struct worker_report {
	long cycles;
	int fds_before, fds_after;
	double secs;
};

struct workers {
	int n;
	pid_t pids[16];
	int reaped[16];
	int status[16];
};

/*
 * Reads `count` records of `size` bytes from fd, written by the workers; returns how many came.
 * Stops early when a worker ended before writing its record (it failed: its reason is reported).
 */
static int collect(struct workers *ws, int fd, void *buf, size_t size, int count)
{
	int got = 0;
	while (got < count) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 200) > 0) {
			if (read(fd, (char *)buf + (size_t)got * size, size) != (ssize_t)size)
				break;
			got++;
			continue;
		}
		int ended = 0;
		for (int w = 0; w < ws->n; w++)
			if (!ws->reaped[w] && waitpid(ws->pids[w], &ws->status[w], WNOHANG) == ws->pids[w])
				ws->reaped[w] = ended = 1;
		if (ended)
			break;
	}
	return got;
}

static void reap_workers(struct workers *ws)
{
	for (int w = 0; w < ws->n; w++) {
		if (!ws->reaped[w] && waitpid(ws->pids[w], &ws->status[w], 0) == ws->pids[w])
			ws->reaped[w] = 1;
		int st = ws->status[w];
		CHECK(ws->reaped[w], "worker %d could not be reaped", w);
		CHECK(!WIFSIGNALED(st), "worker %d killed by signal %d (%s)", w, WTERMSIG(st), strsignal(WTERMSIG(st)));
		CHECK(WEXITSTATUS(st) == 0, "worker %d failed (exit status %d)", w, WEXITSTATUS(st));
	}
}

static void run_workers(void (*cycle)(long, int), int one_region)
{
	long total = env_long("MAPPING_CYCLES", 10000), warm = env_long("MAPPING_WARMUP", 500);
	struct workers ws = { .n = (int)env_long("MAPPING_WORKERS", 2) };
	if (ws.n < 1)
		ws.n = 1;
	if (ws.n > 16)
		ws.n = 16;
	pid_t dpid = daemon_pid();
	int ready[2], go[2], done[2], release[2];
	CHECK_OK(pipe2(ready, O_CLOEXEC));
	CHECK_OK(pipe2(go, O_CLOEXEC));
	CHECK_OK(pipe2(done, O_CLOEXEC));
	CHECK_OK(pipe2(release, O_CLOEXEC));
	for (int w = 0; w < ws.n; w++) {
		ws.pids[w] = fork_or_fail();
		if (ws.pids[w] != 0)
			continue;
		close(ready[0]);
		close(go[1]);
		close(done[0]);
		close(release[1]);
		long n = total / ws.n + (w == 0 ? total % ws.n : 0);
		long nwarm = warm / ws.n;
		if (nwarm > n)
			nwarm = n;
		int fd = one_region ? region(2 * PG, "cycles") : -1;
		long i = 0;
		for (; i < nwarm; i++)
			cycle(i, fd);
		struct worker_report r = { n - nwarm, count_fds(getpid()), 0, 0 };
		check_step_signal(ready[1]);
		char c;
		CHECK(read(go[0], &c, 1) == 0, "worker %d: no start signal", w);
		double t0 = mono_now();
		for (; i < n; i++)
			cycle(i, fd);
		r.secs = mono_now() - t0;
		r.fds_after = count_fds(getpid());
		CHECK(write(done[1], &r, sizeof(r)) == sizeof(r), "worker %d: report: %s", w, check_errname(errno));
		CHECK(read(release[0], &c, 1) == 0, "worker %d: no end signal", w);
		if (fd >= 0)
			close(fd);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	close(done[1]);
	close(release[0]);

	/* every worker warmed up and waits: count, then let them run */
	char marks[16];
	int warmed = collect(&ws, ready[0], marks, 1, ws.n);
	int daemon_before = dpid ? count_fds(dpid) : -1;
	CHECK_OK(close(go[1]));
	struct worker_report reports[16];
	int got = warmed == ws.n ? collect(&ws, done[0], reports, sizeof(reports[0]), ws.n) : 0;
	/* the daemon may not have seen the last broker connections close yet: count again */
	int daemon_after = dpid ? count_fds(dpid) : -1;
	double end = mono_now() + 3;
	while (got == ws.n && dpid && daemon_after > daemon_before && mono_now() < end) {
		sleep_s(0.2);
		daemon_after = count_fds(dpid);
	}
	CHECK_OK(close(release[1]));
	reap_workers(&ws);
	CHECK(got == ws.n, "only %d of %d workers finished (%d warmed up)", got, ws.n, warmed);

	long cycles = 0;
	double secs = 0;
	for (int w = 0; w < got; w++) {
		cycles += reports[w].cycles;
		if (reports[w].secs > secs)
			secs = reports[w].secs;
		CHECK(reports[w].fds_after == reports[w].fds_before, "a client's fds went from %d to %d over %ld cycles",
		      reports[w].fds_before, reports[w].fds_after, reports[w].cycles);
	}
	fprintf(stderr, "cycles: %ld after the warm-up in %.1f s (%.0f/s) by %d processes; daemon fds %d -> %d\n",
		cycles, secs, secs > 0 ? (double)cycles / secs : 0.0, ws.n, daemon_before, daemon_after);
	if (dpid)
		CHECK(daemon_after <= daemon_before, "daemon fds went from %d to %d over %ld cycles", daemon_before,
		      daemon_after, cycles);
}

static void cycles_open_map_close(void)
{
	run_workers(region_cycle, 0);
}

static void cycles_map_unmap_one_fd(void)
{
	run_workers(map_cycle, 1);
}

static void cycles_daemon_still_answers(void)
{
	check_daemon_answers();
}

static const struct check_test tests[] = {
	CHECK_TEST_T(cycles_open_map_close, 900),
	CHECK_TEST_T(cycles_map_unmap_one_fd, 900),
	CHECK_TEST(cycles_daemon_still_answers),
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, tests, CHECK_COUNT(tests));
}
