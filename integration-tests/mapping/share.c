/*
 * Shared mappings of one region across processes: fork (inherited mappings and new ones),
 * SCM_RIGHTS to a process that never had the fd, many regions at once staying distinct, and the
 * region's memory outliving every fd while mappings exist, then being freed by the daemon once
 * the last fd is closed.
 */
#include "mapping.h"

static void share_fork_both_directions(void)
{
	int fd = region(2 * PG, NULL);
	unsigned char *p = MAP_SH(fd, 2 * PG);
	int to_child[2], to_parent[2];
	CHECK_OK(pipe2(to_child, O_CLOEXEC));
	CHECK_OK(pipe2(to_parent, O_CLOEXEC));
	pid_t pid = fork_or_fail();
	if (pid == 0) {
		check_step_wait(to_child[0]);
		CHECK_PATTERN(p, PG, 51, 0, "child: the parent's write through the inherited mapping");
		unsigned char *mine = MAP(2 * PG, RW, MAP_SHARED, fd, 0); /* a mapping made after fork */
		CHECK_PATTERN(mine, PG, 51, 0, "child: the parent's write through a new mapping");
		fill(mine + PG, PG, 52);
		check_step_signal(to_parent[1]);
		_exit(0);
	}
	close(to_child[0]);
	close(to_parent[1]);
	fill(p, PG, 51);
	check_step_signal(to_child[1]);
	check_step_wait(to_parent[0]);
	CHECK_PATTERN(p + PG, PG, 52, 0, "parent: the child's write");
	check_child_ok(pid, "child");
	unsigned char *late = MAP(2 * PG, PROT_READ, MAP_SHARED, fd, 0);
	CHECK_PATTERN(late + PG, PG, 52, 0, "parent: the child's write through a new mapping");
	CHECK_OK(close(fd));
}

/* The receiver never had the fd before: it maps the same memory, both ways. */
static void share_scm_rights_unrelated_process(void)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid_t pid = fork_or_fail();
	if (pid == 0) {
		close(sv[0]);
		setsid();
		int fd = check_recv_fd(sv[1]);
		CHECK_RET(ioctl(fd, ASHMEM_GET_SIZE), 3 * PG);
		unsigned char *p = MAP(3 * PG, RW, MAP_SHARED, fd, 0);
		CHECK_PATTERN(p, 2 * PG, 53, 0, "receiver: the sender's content");
		fill(p + 2 * PG, PG, 54);
		CHECK_OK(close(fd));
		check_step_signal(sv[1]);
		check_step_wait(sv[1]); /* the sender checked */
		CHECK_PATTERN(p, PG, 55, 0, "receiver: the sender's later write");
		_exit(0);
	}
	close(sv[1]);
	int fd = region(3 * PG, "scm-shared");
	unsigned char *p = MAP_SH(fd, 3 * PG);
	fill(p, 2 * PG, 53);
	check_send_fd(sv[0], fd);
	CHECK_OK(close(fd)); /* the receiver holds the only fd now */
	check_step_wait(sv[0]);
	CHECK_PATTERN(p + 2 * PG, PG, 54, 0, "sender: the receiver's write");
	fill(p, PG, 55);
	check_step_signal(sv[0]);
	check_child_ok(pid, "receiver");
}

#define NREGIONS 16

static void share_16_regions_distinct(void)
{
	int fds[NREGIONS];
	unsigned char *maps[NREGIONS];
	for (int i = 0; i < NREGIONS; i++) {
		char name[32];
		snprintf(name, sizeof(name), "distinct-%d", i);
		fds[i] = region((size_t)(i + 1) * PG, name);
		maps[i] = MAP_SH(fds[i], (size_t)(i + 1) * PG);
	}
	for (int i = 0; i < NREGIONS; i++)
		fill(maps[i], (size_t)(i + 1) * PG, 100u + (unsigned)i);
	for (int i = 0; i < NREGIONS; i++) {
		char what[64];
		snprintf(what, sizeof(what), "region %d", i);
		CHECK_PATTERN(maps[i], (size_t)(i + 1) * PG, 100u + (unsigned)i, 0, what);
		unsigned char *again = MAP((size_t)(i + 1) * PG, PROT_READ, MAP_SHARED, fds[i], 0);
		CHECK_PATTERN(again, (size_t)(i + 1) * PG, 100u + (unsigned)i, 0, what);
		unsigned char buf[64];
		CHECK_RET(read(fds[i], buf, sizeof(buf)), sizeof(buf));
		CHECK_PATTERN(buf, sizeof(buf), 100u + (unsigned)i, 0, what);
		CHECK_OK(munmap(again, (size_t)(i + 1) * PG));
	}
	for (int i = 0; i < NREGIONS; i++)
		CHECK_OK(close(fds[i]));
	for (int i = 0; i < NREGIONS; i++)
		CHECK_PATTERN(maps[i], (size_t)(i + 1) * PG, 100u + (unsigned)i, 0, "after every close");
}

/* Mappings keep the memory: usable after every fd is closed. */
static void share_mapping_outlives_every_fd(void)
{
	int fd = region(2 * PG, NULL);
	unsigned char *p = MAP_SH(fd, 2 * PG);
	fill(p, 2 * PG, 56);
	pid_t pid = fork_or_fail();
	if (pid == 0) {
		CHECK_OK(close(fd));
		CHECK_PATTERN(p, 2 * PG, 56, 0, "child after closing its fd");
		fill(p, PG, 57);
		_exit(0);
	}
	CHECK_OK(close(fd));
	check_child_ok(pid, "child");
	CHECK_PATTERN(p, PG, 57, 0, "parent after every fd is closed: the child's write");
	CHECK_PATTERN(p + PG, PG, 56, PG, "parent after every fd is closed");
}

static int daemon_holds(pid_t dpid, const char *target)
{
	return fds_linking_to(dpid, target);
}

/* The daemon drops its memfd at the last close, not before; mappings keep the memory. */
static void share_region_freed_after_last_close(void)
{
	pid_t dpid = daemon_pid();
	if (!dpid)
		SKIP("ASHMEMD_PID is not set: the daemon's fds cannot be looked at");
	char name[64], target[128];
	snprintf(name, sizeof(name), "freed-%d", (int)getpid());
	snprintf(target, sizeof(target), "/memfd:dev/ashmem/%s (deleted)", name);
	int fd = region(2 * PG, name);
	CHECK(daemon_holds(dpid, target) == 0, "the daemon holds %s before the first mmap", target);
	unsigned char *p = MAP_SH(fd, 2 * PG);
	fill(p, 2 * PG, 58);
	int n = daemon_holds(dpid, target);
	CHECK(n == 1, "the daemon holds %d fds of %s while the region is open (expected 1)", n, target);
	int d = CHECK_OK(dup(fd));
	CHECK_OK(close(fd));
	CHECK(daemon_holds(dpid, target) == 1, "the daemon dropped the memory while a dup is open");
	CHECK_OK(close(d));
	double end = mono_now() + 5;
	while ((n = daemon_holds(dpid, target)) != 0 && mono_now() < end)
		sleep_s(0.05);
	CHECK(n == 0, "the daemon still holds %d fds of %s 5 s after the last close", n, target);
	CHECK_PATTERN(p, 2 * PG, 58, 0, "the mapping after the region was freed");
	fill(p, PG, 59);
	CHECK_PATTERN(p, PG, 59, 0, "a write after the region was freed");
}

/* A region opened in one process and passed along lives until the last holder closes it. */
static void share_region_freed_after_last_close_across_processes(void)
{
	pid_t dpid = daemon_pid();
	if (!dpid)
		SKIP("ASHMEMD_PID is not set: the daemon's fds cannot be looked at");
	char name[64], target[128];
	snprintf(name, sizeof(name), "freed-x-%d", (int)getpid());
	snprintf(target, sizeof(target), "/memfd:dev/ashmem/%s (deleted)", name);
	int fd = region(PG, name);
	MAP_SH(fd, PG);
	int go[2], done[2];
	CHECK_OK(pipe2(go, O_CLOEXEC));
	CHECK_OK(pipe2(done, O_CLOEXEC));
	pid_t pid = fork_or_fail();
	if (pid == 0) {
		check_step_wait(go[0]);
		CHECK(daemon_holds(dpid, target) == 1, "child: the daemon dropped the region while the child holds it");
		CHECK_OK(close(fd));
		check_step_signal(done[1]);
		_exit(0);
	}
	close(go[0]);
	close(done[1]);
	CHECK_OK(close(fd));
	check_step_signal(go[1]);
	check_step_wait(done[0]);
	check_child_ok(pid, "child");
	int n;
	double end = mono_now() + 5;
	while ((n = daemon_holds(dpid, target)) != 0 && mono_now() < end)
		sleep_s(0.05);
	CHECK(n == 0, "the daemon still holds %s after both processes closed it", target);
}

/* A private mapping in one process is seen by nobody else. */
static void share_private_mapping_not_seen_by_others(void)
{
	int fd = region(PG, NULL);
	unsigned char *s = MAP_SH(fd, PG);
	int sync_[2];
	CHECK_OK(pipe2(sync_, O_CLOEXEC));
	pid_t pid = fork_or_fail();
	if (pid == 0) {
		unsigned char *priv = MAP(PG, RW, MAP_PRIVATE, fd, 0);
		memset(priv, 0xcc, PG);
		check_step_signal(sync_[1]);
		_exit(0);
	}
	close(sync_[1]);
	check_step_wait(sync_[0]);
	check_child_ok(pid, "child");
	CHECK_ZERO(s, PG, "shared mapping after another process wrote its private one");
	CHECK_OK(close(fd));
}

struct thread_job {
	int index;
	int rounds;
	char error[200];
};

static void *map_thread(void *arg)
{
	struct thread_job *job = arg;
	for (int r = 0; r < job->rounds && !job->error[0]; r++) {
		int fd = open(ashmem_dev(), O_RDWR | O_CLOEXEC);
		if (fd < 0 || ioctl(fd, ASHMEM_SET_SIZE, 2 * PG) != 0) {
			snprintf(job->error, sizeof(job->error), "thread %d round %d: open/SET_SIZE: %s", job->index,
				 r, check_errname(errno));
			break;
		}
		unsigned char *p = mmap(NULL, 2 * PG, RW, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			snprintf(job->error, sizeof(job->error), "thread %d round %d: mmap: %s", job->index, r,
				 check_errname(errno));
		} else {
			p[0] = (unsigned char)job->index;
			unsigned char b = 0;
			if (read(fd, &b, 1) != 1 || b != (unsigned char)job->index)
				snprintf(job->error, sizeof(job->error), "thread %d round %d: read() sees 0x%02x",
					 job->index, r, b);
			munmap(p, 2 * PG);
		}
		close(fd);
	}
	return NULL;
}

/* Threads of one process mapping at once, each mmap on a broker connection of its own. */
static void share_threads_map_concurrently(void)
{
	enum { THREADS = 8, ROUNDS = 40 };
	int fds_before = -1;
	/* a first mapping, so that the count below is taken in the same state as the threads' */
	int fd = region(PG, NULL);
	MAP_SH(fd, PG);
	CHECK_OK(close(fd));
	fds_before = count_fds(getpid());
	pthread_t th[THREADS];
	struct thread_job jobs[THREADS];
	for (int i = 0; i < THREADS; i++) {
		jobs[i] = (struct thread_job){ .index = i + 1, .rounds = ROUNDS };
		CHECK(pthread_create(&th[i], NULL, map_thread, &jobs[i]) == 0, "pthread_create");
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < THREADS; i++)
		CHECK(!jobs[i].error[0], "%s", jobs[i].error);
	int fds_after = count_fds(getpid());
	CHECK(fds_after == fds_before, "the process's fds went from %d to %d", fds_before, fds_after);
}

/*
 * A program that closes descriptors it does not know (as daemons do) and reuses the numbers: the
 * library writes only to the connection it opened within the same call, never to a number that
 * was the broker's before.
 */
static void share_broker_fd_number_reused(void)
{
	int fd = region(PG, NULL);
	MAP_SH(fd, PG);
	/* close everything but stdio, the test's report pipe and the region */
	for (int i = 3; i < 1024; i++)
		if (i != fd && i != check_report_fd)
			close(i);
	/* the lowest numbers, the earlier broker connection's among them, become sockets and pipes */
	int pairs[8][2];
	for (int i = 0; i < 8; i++) {
		if (i % 2)
			CHECK_OK(pipe(pairs[i]));
		else
			CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, pairs[i]));
	}
	unsigned char *p = MAP(PG, RW, MAP_SHARED, fd, 0);
	p[0] = 9;
	for (int i = 0; i < 8; i++) {
		for (int j = 0; j < 2; j++)
			CHECK(fcntl(pairs[i][j], F_GETFD) != -1, "fd %d of the program was closed by the library",
			      pairs[i][j]);
		int n = -1;
		CHECK(ioctl(pairs[i][i % 2 ? 0 : 1], FIONREAD, &n) == 0 && n == 0,
		      "%s %d/%d holds %d bytes the library meant for the broker", i % 2 ? "pipe" : "socket",
		      pairs[i][0], pairs[i][1], n);
		if (i % 2 == 0)
			CHECK(ioctl(pairs[i][0], FIONREAD, &n) == 0 && n == 0, "socket %d holds %d bytes", pairs[i][0], n);
	}
	CHECK_OK(close(fd));
}

static void share_daemon_still_answers(void)
{
	check_daemon_answers();
}

static const struct check_test tests[] = {
	CHECK_TEST(share_fork_both_directions),
	CHECK_TEST(share_scm_rights_unrelated_process),
	CHECK_TEST(share_16_regions_distinct),
	CHECK_TEST(share_mapping_outlives_every_fd),
	CHECK_TEST(share_region_freed_after_last_close),
	CHECK_TEST(share_region_freed_after_last_close_across_processes),
	CHECK_TEST(share_private_mapping_not_seen_by_others),
	CHECK_TEST(share_threads_map_concurrently),
	CHECK_TEST(share_broker_fd_number_reused),
	CHECK_TEST(share_daemon_still_answers),
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, tests, CHECK_COUNT(tests));
}
