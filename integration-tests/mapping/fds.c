/*
 * The preload library holds no descriptor of its own once a call has returned. Android's zygote
 * lists its open fds before every fork and aborts on one it does not know (an unnamed socket, a
 * /memfd: file), and a preloaded library lives on in the zygote. So after each mapping path
 * (shared, private, read-only mask, O_RDONLY device fd, the daemon's refusals, a refused token,
 * lseek, mprotect/munmap/mremap, fork, threads) /proc/self/fd must list exactly what it listed
 * before the call, and nothing the process did not open itself may point at a socket or a memfd.
 */
#include "mapping.h"

#define MAX_FDS 256

struct fd_list {
	int n;
	struct {
		int fd;
		char target[128];
	} e[MAX_FDS];
};

/* fds the process had before it ever called into the library (the harness's pipes and files) */
static struct fd_list inherited;

static void fd_list_take(struct fd_list *l)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		FAIL("opendir /proc/self/fd: %s", check_errname(errno));
	l->n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		int fd = atoi(e->d_name);
		if (fd == dirfd(d))
			continue;
		if (l->n == MAX_FDS)
			FAIL("more than %d fds open", MAX_FDS);
		char path[64];
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		ssize_t k = readlink(path, l->e[l->n].target, sizeof(l->e[l->n].target) - 1);
		l->e[l->n].target[k < 0 ? 0 : k] = 0;
		l->e[l->n++].fd = fd;
	}
	closedir(d);
}

static const char *fd_list_find(const struct fd_list *l, int fd)
{
	for (int i = 0; i < l->n; i++)
		if (l->e[i].fd == fd)
			return l->e[i].target;
	return NULL;
}

static int is_library_kind(const char *target)
{
	return strncmp(target, "socket:", 7) == 0 || strncmp(target, "/memfd:", 7) == 0;
}

/*
 * /proc/self/fd after `what` compared with `before`: no fd added or replaced, and no socket or
 * memfd that was not there when the process started. `own` is an fd the test itself opened
 * since `before` (-1 for none).
 */
static void fds_unchanged_own(const struct fd_list *before, const char *what, int own)
{
	struct fd_list now;
	fd_list_take(&now);
	for (int i = 0; i < now.n; i++) {
		int fd = now.e[i].fd;
		const char *t = now.e[i].target;
		if (fd == own)
			continue;
		const char *was = fd_list_find(before, fd);
		if (!was)
			FAIL("after %s: a new fd %d -> %s", what, fd, t);
		if (strcmp(was, t) != 0)
			FAIL("after %s: fd %d was %s, is now %s", what, fd, was, t);
		const char *at_start = fd_list_find(&inherited, fd);
		if (is_library_kind(t) && (!at_start || strcmp(at_start, t) != 0))
			FAIL("after %s: fd %d -> %s is a socket or memfd the test did not open", what, fd, t);
	}
	for (int i = 0; i < before->n; i++)
		if (!fd_list_find(&now, before->e[i].fd) && before->e[i].fd != own)
			FAIL("after %s: fd %d (%s) was closed behind the program's back", what, before->e[i].fd,
			     before->e[i].target);
}

#define FDS_UNCHANGED(before, what) fds_unchanged_own((before), (what), -1)

/* The first thing each test does: what the process holds before any call into the library. */
static void start(void)
{
	fd_list_take(&inherited);
	for (int i = 0; i < inherited.n; i++)
		if (strncmp(inherited.e[i].target, "/memfd:", 7) == 0)
			FAIL("the test starts with a memfd open (fd %d): run it on its own", inherited.e[i].fd);
}

/* mmap through the library, then the fd list. */
static unsigned char *map_checked(size_t len, int prot, int flags, int fd, off_t off, const char *what)
{
	struct fd_list before;
	fd_list_take(&before);
	unsigned char *p = MAP(len, prot, flags, fd, off);
	FDS_UNCHANGED(&before, what);
	return p;
}

static void unmap_checked(void *p, size_t len, const char *what)
{
	struct fd_list before;
	fd_list_take(&before);
	CHECK_OK(munmap(p, len));
	FDS_UNCHANGED(&before, what);
}

static void map_fails_checked(size_t len, int prot, int flags, int fd, int want, const char *what)
{
	struct fd_list before;
	fd_list_take(&before);
	CHECK_ERRNO(mmap(NULL, len, prot, flags, fd, 0) == MAP_FAILED ? -1 : 0, want);
	FDS_UNCHANGED(&before, what);
}

static void shared_mapping(void)
{
	start();
	int fd = region(3 * PG, "fds-shared");
	unsigned char *p = map_checked(3 * PG, RW, MAP_SHARED, fd, 0, "mmap MAP_SHARED");
	fill(p, 3 * PG, 61);
	unsigned char *q = map_checked(PG, PROT_READ, MAP_SHARED, fd, PG, "a second mmap MAP_SHARED at an offset");
	CHECK_PATTERN(q, PG, 61, PG, "the second mapping");
	unsigned char *v = map_checked(PG, PROT_READ, MAP_SHARED_VALIDATE, fd, 0, "mmap MAP_SHARED_VALIDATE");
	CHECK_PATTERN(v, PG, 61, 0, "the MAP_SHARED_VALIDATE mapping");
	unmap_checked(v, PG, "munmap");
	unmap_checked(q, PG, "munmap");
	unmap_checked(p, 3 * PG, "munmap");
	CHECK_OK(close(fd));
}

static void private_mapping(void)
{
	start();
	int fd = region(2 * PG, "fds-private");
	unsigned char *s = map_checked(2 * PG, RW, MAP_SHARED, fd, 0, "mmap MAP_SHARED");
	fill(s, 2 * PG, 62);
	unsigned char *p = map_checked(2 * PG, RW, MAP_PRIVATE, fd, 0, "mmap MAP_PRIVATE");
	CHECK_ZERO(p, 2 * PG, "the private mapping");
	unmap_checked(p, 2 * PG, "munmap of the private mapping");
	unmap_checked(s, 2 * PG, "munmap");
	CHECK_OK(close(fd));
}

static void read_only_mask(void)
{
	start();
	int fd = region(2 * PG, "fds-read-only");
	unsigned char *w = map_checked(2 * PG, RW, MAP_SHARED, fd, 0, "mmap MAP_SHARED before the mask");
	fill(w, 2 * PG, 63);
	unmap_checked(w, 2 * PG, "munmap");
	set_mask(fd, PROT_READ);
	unsigned char *r = map_checked(2 * PG, PROT_READ, MAP_SHARED, fd, 0, "mmap PROT_READ under mask PROT_READ");
	CHECK_PATTERN(r, 2 * PG, 63, 0, "the read-only mapping");
	map_fails_checked(PG, RW, MAP_SHARED, fd, EPERM, "mmap PROT_WRITE outside the mask");
	map_fails_checked(PG, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, EPERM, "mmap PROT_EXEC outside the mask, private");
	struct fd_list before;
	fd_list_take(&before);
	CHECK_ERRNO(mprotect(r, 2 * PG, RW), EACCES);
	FDS_UNCHANGED(&before, "mprotect +PROT_WRITE refused");
	CHECK_ERRNO(mprotect(r, 2 * PG, PROT_READ | PROT_EXEC), EACCES);
	FDS_UNCHANGED(&before, "mprotect +PROT_EXEC refused");
	unmap_checked(r, 2 * PG, "munmap");
	CHECK_OK(close(fd));
}

static void read_only_open(void)
{
	start();
	int ro = region_flags(2 * PG, "fds-rdonly-open", O_RDONLY | O_CLOEXEC);
	unsigned char *r = map_checked(2 * PG, PROT_READ, MAP_SHARED, ro, 0, "mmap PROT_READ of an O_RDONLY fd");
	CHECK_ZERO(r, 2 * PG, "the mapping of the O_RDONLY fd");
	map_fails_checked(PG, RW, MAP_SHARED, ro, EACCES, "writable mmap of an O_RDONLY fd");
	unsigned char *p = map_checked(PG, RW, MAP_PRIVATE, ro, 0, "writable private mmap of an O_RDONLY fd");
	p[0] = 1;
	unmap_checked(p, PG, "munmap");
	unmap_checked(r, 2 * PG, "munmap");
	CHECK_OK(close(ro));
}

/* The daemon's checks refuse the token: the broker is never reached. */
static void refused_by_daemon(void)
{
	start();
	int fd = open_dev();
	map_fails_checked(PG, RW, MAP_SHARED, fd, EINVAL, "mmap of a region of size 0");
	CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, (unsigned long)PG), 0);
	map_fails_checked(3 * PG, RW, MAP_SHARED, fd, EINVAL, "mmap longer than the region");
	map_fails_checked(3 * PG, RW, MAP_PRIVATE, fd, EINVAL, "private mmap longer than the region");
	set_mask(fd, 0);
	map_fails_checked(PG, PROT_READ, MAP_SHARED, fd, EPERM, "mmap under mask 0");
	CHECK_OK(close(fd));
}

/* The broker refuses a token, and hands out a memfd that then is the caller's, not the library's. */
static void refused_by_broker(void)
{
	start();
	int (*fetch)(unsigned, struct ashmemd_broker_reply *) =
		(int (*)(unsigned, struct ashmemd_broker_reply *))dlsym(RTLD_DEFAULT, "ashmemd_fetch_memfd");
	if (!fetch)
		FAIL("ashmemd_fetch_memfd is not there: libashmemd-preload.so is not loaded (LD_PRELOAD)");
	struct fd_list before;
	fd_list_take(&before);
	struct ashmemd_broker_reply rep;
	for (unsigned token = 1; token <= 3; token++) {
		int r = fetch(token * 0x1234567u, &rep);
		CHECK(r == -EACCES, "a token the daemon never gave: expected -EACCES, got %d", r);
		FDS_UNCHANGED(&before, "a refused token");
	}

	int fd = region(PG, "fds-get-memfd");
	fd_list_take(&before);
	int m = client_get_memfd()(fd, PG, RW, &rep);
	CHECK(m >= 0, "ashmemd_get_memfd: %s", check_errname(-m));
	fds_unchanged_own(&before, "ashmemd_get_memfd (the one new fd is the memfd it returns)", m);
	CHECK_OK(close(m));
	FDS_UNCHANGED(&before, "closing the returned memfd");
	CHECK_OK(close(fd));
}

static void lseek_paths(void)
{
	start();
	int fd = region(4 * PG, "fds-seek");
	int empty = open_dev();
	struct fd_list before;
	fd_list_take(&before);
	CHECK_ERRNO(lseek(empty, 0, SEEK_SET), EINVAL);
	FDS_UNCHANGED(&before, "lseek of a region of size 0 (EINVAL)");
	CHECK_ERRNO(lseek(fd, 0, SEEK_SET), EBADF);
	FDS_UNCHANGED(&before, "lseek before the first mmap (EBADF)");
	unsigned char *p = map_checked(4 * PG, RW, MAP_SHARED, fd, 0, "mmap MAP_SHARED");
	p[PG] = 1;
	fd_list_take(&before);
	CHECK_RET(lseek(fd, 100, SEEK_SET), 100);
	FDS_UNCHANGED(&before, "lseek SEEK_SET");
	CHECK_RET(lseek(fd, 0, SEEK_END), 4 * PG);
	FDS_UNCHANGED(&before, "lseek SEEK_END");
	CHECK_RET(lseek(fd, 0, SEEK_DATA), PG);
	FDS_UNCHANGED(&before, "lseek SEEK_DATA");
	CHECK_RET(lseek(fd, PG, SEEK_HOLE), 2 * PG);
	FDS_UNCHANGED(&before, "lseek SEEK_HOLE");
	CHECK_ERRNO(lseek(fd, 4 * PG, SEEK_DATA), ENXIO);
	FDS_UNCHANGED(&before, "lseek SEEK_DATA at the end (ENXIO)");
	CHECK_RET(lseek64(fd, 5, SEEK_SET), 5);
	FDS_UNCHANGED(&before, "lseek64");
	unmap_checked(p, 4 * PG, "munmap");
	CHECK_RET(lseek(fd, 0, SEEK_CUR), 5);
	FDS_UNCHANGED(&before, "lseek SEEK_CUR after munmap");
	CHECK_OK(close(empty));
	CHECK_OK(close(fd));
}

static void mprotect_munmap_mremap(void)
{
	start();
	int fd = region(8 * PG, "fds-remap");
	unsigned char *p = map_checked(4 * PG, RW, MAP_SHARED, fd, 0, "mmap MAP_SHARED");
	fill(p, 4 * PG, 65);
	struct fd_list before;
	fd_list_take(&before);
	CHECK_OK(mprotect(p, 4 * PG, PROT_READ));
	FDS_UNCHANGED(&before, "mprotect PROT_READ");
	CHECK_OK(mprotect(p, PG, RW));
	FDS_UNCHANGED(&before, "mprotect of part");
	/* one VMA again: mremap does not span two */
	CHECK_OK(mprotect(p, 4 * PG, RW));
	FDS_UNCHANGED(&before, "mprotect of the whole");
	unsigned char *g = mremap(p, 4 * PG, 8 * PG, MREMAP_MAYMOVE);
	CHECK(g != MAP_FAILED, "mremap to 8 pages: %s", check_errname(errno));
	FDS_UNCHANGED(&before, "mremap (grow, may move)");
	CHECK_PATTERN(g, 4 * PG, 65, 0, "the grown mapping");
	unsigned char *s = mremap(g, 8 * PG, 2 * PG, 0);
	CHECK(s == g, "mremap to 2 pages: %s", check_errname(errno));
	FDS_UNCHANGED(&before, "mremap (shrink)");
	unmap_checked(s + PG, PG, "munmap of part");
	unmap_checked(s, PG, "munmap of the rest");

	/* the guarded path: mask PROT_READ, then the same calls */
	set_mask(fd, PROT_READ);
	unsigned char *r = map_checked(4 * PG, PROT_READ, MAP_SHARED, fd, 0, "mmap under mask PROT_READ");
	fd_list_take(&before);
	CHECK_OK(mprotect(r, PG, PROT_NONE));
	FDS_UNCHANGED(&before, "mprotect PROT_NONE of part of a guarded mapping");
	CHECK_OK(mprotect(r, 4 * PG, PROT_READ));
	FDS_UNCHANGED(&before, "mprotect PROT_READ of a guarded mapping");
	unsigned char *m = mremap(r, 4 * PG, 6 * PG, MREMAP_MAYMOVE);
	CHECK(m != MAP_FAILED, "mremap of a guarded mapping: %s", check_errname(errno));
	FDS_UNCHANGED(&before, "mremap of a guarded mapping");
	CHECK_ERRNO(mprotect(m + PG, PG, PROT_READ | PROT_EXEC), EACCES);
	FDS_UNCHANGED(&before, "mprotect refused by the guard after mremap");
	unmap_checked(m, 6 * PG, "munmap of a guarded mapping");
	CHECK_OK(close(fd));
}

/* A fork between mappings: the child inherits nothing of the library and maps on its own. */
static void fork_in_between(void)
{
	start();
	int fd = region(2 * PG, "fds-fork");
	unsigned char *p = map_checked(2 * PG, RW, MAP_SHARED, fd, 0, "mmap MAP_SHARED in the parent");
	fill(p, 2 * PG, 66);
	struct fd_list parent;
	fd_list_take(&parent);
	pid_t pid = fork_or_fail();
	if (pid == 0) {
		FDS_UNCHANGED(&parent, "fork (the child's fds)");
		unsigned char *c = map_checked(2 * PG, RW, MAP_SHARED, fd, 0, "mmap MAP_SHARED in the child");
		CHECK_PATTERN(c, 2 * PG, 66, 0, "the child's mapping");
		c[0] = 0x5a;
		unmap_checked(c, 2 * PG, "munmap in the child");
		pid_t grandchild = fork_or_fail();
		if (grandchild == 0) {
			unsigned char *g = map_checked(PG, PROT_READ, MAP_SHARED, fd, 0, "mmap in a grandchild");
			CHECK(g[0] == 0x5a, "the grandchild sees the child's write");
			_exit(0);
		}
		check_child_ok(grandchild, "grandchild");
		FDS_UNCHANGED(&parent, "the grandchild's exit");
		_exit(0);
	}
	check_child_ok(pid, "child");
	CHECK(p[0] == 0x5a, "the parent sees the child's write");
	unsigned char *q = map_checked(PG, PROT_READ, MAP_SHARED, fd, PG, "mmap MAP_SHARED in the parent after the fork");
	CHECK_PATTERN(q, PG, 66, PG, "the parent's second mapping");
	unmap_checked(q, PG, "munmap");
	unmap_checked(p, 2 * PG, "munmap");
	CHECK_OK(close(fd));
}

struct worker {
	int fd;
	int ok;
};

static void *map_loop(void *v)
{
	struct worker *w = v;
	for (int i = 0; i < 25; i++) {
		void *m = mmap(NULL, PG, PROT_READ, MAP_SHARED, w->fd, 0);
		if (m == MAP_FAILED)
			continue;
		w->ok += ((unsigned char *)m)[0] == 0x77;
		munmap(m, PG);
	}
	return NULL;
}

/* Threads mapping at once: none of them leaves a connection behind. */
static void threads_at_once(void)
{
	start();
	int fd = region(PG, "fds-threads");
	unsigned char *p = map_checked(PG, RW, MAP_SHARED, fd, 0, "mmap MAP_SHARED");
	p[0] = 0x77;
	struct fd_list before;
	fd_list_take(&before);
	struct worker w[4];
	pthread_t th[4];
	for (int i = 0; i < 4; i++) {
		w[i].fd = fd;
		w[i].ok = 0;
		CHECK(pthread_create(&th[i], NULL, map_loop, &w[i]) == 0, "pthread_create");
	}
	int ok = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ok += w[i].ok;
	}
	CHECK(ok == 100, "100 mappings from 4 threads at once, %d worked", ok);
	FDS_UNCHANGED(&before, "100 mappings from 4 threads at once");
	unmap_checked(p, PG, "munmap");
	CHECK_OK(close(fd));
}

static void fds_daemon_still_answers(void)
{
	check_daemon_answers();
}

static const struct check_test tests[] = {
	CHECK_TEST(shared_mapping),
	CHECK_TEST(private_mapping),
	CHECK_TEST(read_only_mask),
	CHECK_TEST(read_only_open),
	CHECK_TEST(refused_by_daemon),
	CHECK_TEST(refused_by_broker),
	CHECK_TEST(lseek_paths),
	CHECK_TEST(mprotect_munmap_mremap),
	CHECK_TEST(fork_in_between),
	CHECK_TEST(threads_at_once),
	CHECK_TEST(fds_daemon_still_answers),
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, tests, CHECK_COUNT(tests));
}
