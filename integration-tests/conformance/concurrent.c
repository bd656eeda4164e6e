/*
 * Several callers at once: processes and threads each working on their own areas, and threads
 * sharing one area, with every answer checked. Requests from different callers are in flight
 * together, so answers that go to the wrong caller or the wrong area show up here.
 */
#include "../lib/check.h"

#include <pthread.h>

/* open / SET_NAME (unique) / SET_SIZE / GET_NAME / GET_SIZE / close; returns the first error. */
static int churn(int worker, int iterations, char *err, size_t errlen)
{
	for (int i = 0; i < iterations; i++) {
		char name[ASHMEM_NAME_LEN], got[ASHMEM_NAME_LEN];
		unsigned long size = 4096UL * (unsigned long)(worker + 1) + (unsigned long)i;
		snprintf(name, sizeof(name), "w%d-i%d-%d", worker, i, (int)getpid());
		int fd = open(ashmem_dev(), O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			snprintf(err, errlen, "worker %d iteration %d: open: %s", worker, i, check_errname(errno));
			return 1;
		}
		long r1 = ioctl(fd, ASHMEM_SET_NAME, name);
		long r2 = ioctl(fd, ASHMEM_SET_SIZE, size);
		memset(got, 0, sizeof(got));
		long r3 = ioctl(fd, ASHMEM_GET_NAME, got);
		long r4 = ioctl(fd, ASHMEM_GET_SIZE);
		int e = errno;
		long r5 = close(fd);
		if (r1 != 0 || r2 != 0 || r3 != 0 || r4 != (long)size || r5 != 0 || strcmp(got, name) != 0) {
			snprintf(err, errlen,
				 "worker %d iteration %d: SET_NAME %ld, SET_SIZE %ld, GET_NAME %ld \"%.40s\" "
				 "(want \"%s\"), GET_SIZE %ld (want %lu), close %ld, errno %s",
				 worker, i, r1, r2, r3, got, name, r4, size, r5, check_errname(e));
			return 1;
		}
	}
	return 0;
}

static void concurrent_8_processes_x_500(void)
{
	enum { PROCS = 8, ITER = 500 };
	int pipes[PROCS][2];
	pid_t pids[PROCS];
	for (int w = 0; w < PROCS; w++) {
		CHECK_OK(pipe(pipes[w]));
		pids[w] = fork();
		CHECK(pids[w] >= 0, "fork: %s", check_errname(errno));
		if (pids[w] == 0) {
			char err[512] = "";
			int bad = churn(w, ITER, err, sizeof(err));
			if (bad && write(pipes[w][1], err, strlen(err)) < 0)
				_exit(3);
			_exit(bad);
		}
		close(pipes[w][1]);
	}
	int failures = 0;
	char first[600] = "";
	for (int w = 0; w < PROCS; w++) {
		int st;
		CHECK(waitpid(pids[w], &st, 0) == pids[w], "waitpid: %s", check_errname(errno));
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			char err[512] = "";
			ssize_t n = read(pipes[w][0], err, sizeof(err) - 1);
			err[n > 0 ? n : 0] = '\0';
			if (!failures++)
				snprintf(first, sizeof(first), "%s", err[0] ? err : "worker died");
		}
		close(pipes[w][0]);
	}
	CHECK(failures == 0, "%d of %d processes failed; first: %s", failures, PROCS, first);
}

struct worker {
	int id;
	int fd; /* shared-area mode when >= 0 */
	int iterations;
	char err[512];
	int bad;
};

static void *thread_churn(void *arg)
{
	struct worker *w = arg;
	w->bad = churn(w->id, w->iterations, w->err, sizeof(w->err));
	return NULL;
}

static void concurrent_4_threads_x_250(void)
{
	enum { THREADS = 4 };
	struct worker ws[THREADS];
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++) {
		ws[i] = (struct worker){ .id = 100 + i, .fd = -1, .iterations = 250 };
		CHECK(pthread_create(&t[i], NULL, thread_churn, &ws[i]) == 0, "pthread_create");
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < THREADS; i++)
		CHECK(!ws[i].bad, "%s", ws[i].err);
}

static void *thread_read_shared(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < w->iterations && !w->bad; i++) {
		char got[ASHMEM_NAME_LEN] = { 0 };
		long r1 = ioctl(w->fd, ASHMEM_GET_NAME, got);
		long r2 = ioctl(w->fd, ASHMEM_GET_SIZE);
		long r3 = ioctl(w->fd, ASHMEM_GET_PROT_MASK);
		if (r1 != 0 || strcmp(got, "shared-by-threads") != 0 || r2 != 24576 || r3 != PROT_READ) {
			snprintf(w->err, sizeof(w->err),
				 "thread %d iteration %d: GET_NAME %ld \"%.40s\", GET_SIZE %ld, GET_PROT_MASK %ld",
				 w->id, i, r1, got, r2, r3);
			w->bad = 1;
		}
	}
	return NULL;
}

/* Many requests on one open file at once. */
static void concurrent_threads_on_one_fd(void)
{
	enum { THREADS = 4 };
	int fd = open_dev();
	char name[ASHMEM_NAME_LEN] = "shared-by-threads";
	CHECK_RET(ioctl(fd, ASHMEM_SET_NAME, name), 0);
	CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, 24576UL), 0);
	CHECK_RET(ioctl(fd, ASHMEM_SET_PROT_MASK, (unsigned long)PROT_READ), 0);
	struct worker ws[THREADS];
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++) {
		ws[i] = (struct worker){ .id = i, .fd = fd, .iterations = 250 };
		CHECK(pthread_create(&t[i], NULL, thread_read_shared, &ws[i]) == 0, "pthread_create");
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < THREADS; i++)
		CHECK(!ws[i].bad, "%s", ws[i].err);
	CHECK_OK(close(fd));
}

static void concurrent_daemon_still_answers(void)
{
	check_daemon_answers();
}

static const struct check_test tests[] = {
	CHECK_TEST_T(concurrent_8_processes_x_500, 300),
	CHECK_TEST_T(concurrent_4_threads_x_250, 200),
	CHECK_TEST_T(concurrent_threads_on_one_fd, 200),
	CHECK_TEST(concurrent_daemon_still_answers),
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, tests, CHECK_COUNT(tests));
}
