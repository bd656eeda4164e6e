/*
 * What a client that talks to the broker directly can do with the memfd it receives. Write
 * protection must hold in the kernel, not only in the preload library: a region whose mask lacks
 * PROT_WRITE has its memfd sealed with F_SEAL_FUTURE_WRITE (a writable shared mmap is EPERM), a
 * device fd opened O_RDONLY gets a read-only memfd (EACCES), and neither may be turned into
 * write access. Nor may a client resize the memory under the other mappers.
 */
#include "broker.h"

#include <linux/falloc.h>

/* Drops to uid/gid 65534 (the unprivileged attacker); skips when not root. */
static void become_nobody(void)
{
	if (geteuid() != 0)
		SKIP("needs root to drop to an unprivileged user");
	if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
		FAIL("dropping to uid 65534: %s", check_errname(errno));
}

/* Write attempts through every path a memfd offers; none may succeed. */
static void expect_no_write_access(int mfd, size_t len, int map_errno, int write_errno, const char *what)
{
	CHECK_ERRNO(mmap(NULL, len, RW, MAP_SHARED, mfd, 0), map_errno);
	CHECK_ERRNO(mmap(NULL, len, PROT_WRITE, MAP_SHARED, mfd, 0), map_errno);
	unsigned char *p = MAP(len, PROT_READ, MAP_SHARED, mfd, 0);
	CHECK_ERRNO(mprotect(p, len, RW), EACCES);
	CHECK_ERRNO(write(mfd, "x", 1), write_errno);
	CHECK_ERRNO(pwrite(mfd, "x", 1, 0), write_errno);
	CHECK(fallocate(mfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, (off_t)PG) == -1,
	      "%s: fallocate(PUNCH_HOLE) succeeded", what);
	CHECK(ftruncate(mfd, 0) == -1, "%s: ftruncate(0) succeeded", what);
	munmap(p, len);
}

static void readonly_mask_memfd_is_write_sealed(void)
{
	int fd = region(2 * PG, "sec-ro-mask");
	set_mask(fd, PROT_READ);
	struct ashmemd_broker_reply rep;
	int mfd = memfd_of(fd, 2 * PG, PROT_READ, &rep);
	CHECK(rep.prot_mask == PROT_READ && rep.size == 2 * PG, "reply: mask %u, size %llu", rep.prot_mask,
	      (unsigned long long)rep.size);
	int seals = CHECK_OK(fcntl(mfd, F_GET_SEALS));
	CHECK((seals & F_SEAL_FUTURE_WRITE) != 0, "the memfd of a PROT_READ region has seals %#x, no F_SEAL_FUTURE_WRITE",
	      seals);
	/* the broker hands out a read-only reopen of the sealed memfd: refused twice over */
	int fl = CHECK_OK(fcntl(mfd, F_GETFL));
	CHECK((fl & O_ACCMODE) == O_RDONLY, "the memfd of a PROT_READ region is open %#x, not O_RDONLY", fl);
	expect_no_write_access(mfd, 2 * PG, EACCES, EBADF, "PROT_READ region");
	/* a token asked for writing is refused at GET_TOKEN already */
	CHECK_ERRNO(get_token(fd, PG, RW), EPERM);
	CHECK_OK(close(mfd));
	CHECK_OK(close(fd));
}

/* A mask losing PROT_WRITE after the first mmap: existing mappings stay, new ones are read-only. */
static void mask_dropped_after_map_seals_new_maps(void)
{
	int fd = region(PG, NULL);
	int mfd = memfd_of(fd, PG, RW, NULL);
	unsigned char *w = MAP(PG, RW, MAP_SHARED, mfd, 0);
	set_mask(fd, PROT_READ);
	int mfd2 = memfd_of(fd, PG, PROT_READ, NULL);
	CHECK_ERRNO(mmap(NULL, PG, RW, MAP_SHARED, mfd2, 0), EACCES); /* handed out read-only now */
	CHECK_ERRNO(mmap(NULL, PG, RW, MAP_SHARED, mfd, 0), EPERM); /* the old one is sealed */
	fill(w, PG, 82); /* the mapping made before keeps writing */
	unsigned char *r = MAP(PG, PROT_READ, MAP_SHARED, mfd2, 0);
	CHECK_PATTERN(r, PG, 82, 0, "a read-only mapping made after the mask change");
	CHECK_OK(close(mfd));
	CHECK_OK(close(mfd2));
	CHECK_OK(close(fd));
}

static void rdonly_device_fd_gets_rdonly_memfd(void)
{
	int fd = region_flags(2 * PG, NULL, O_RDONLY | O_CLOEXEC);
	int mfd = memfd_of(fd, 2 * PG, PROT_READ, NULL);
	int fl = CHECK_OK(fcntl(mfd, F_GETFL));
	CHECK((fl & O_ACCMODE) == O_RDONLY, "the memfd for an O_RDONLY device fd has access mode %d", fl & O_ACCMODE);
	expect_no_write_access(mfd, 2 * PG, EACCES, EBADF, "O_RDONLY device fd");
	CHECK_ERRNO(fcntl(mfd, F_ADD_SEALS, F_SEAL_WRITE), EPERM);
	CHECK_OK(close(mfd));
	/* asking for a writable token does not help either: refused, or a read-only memfd */
	errno = 0;
	long t = get_token(fd, 2 * PG, RW);
	if (t > 0) {
		int s = broker_connect();
		struct answer a = redeem(s, (__u32)t);
		int mfd2 = CHECK_GRANTED(a, "a writable token of an O_RDONLY device fd");
		CHECK_ERRNO(mmap(NULL, 2 * PG, RW, MAP_SHARED, mfd2, 0), EACCES);
		CHECK_OK(close(mfd2));
		CHECK_OK(close(s));
	} else {
		CHECK(t == -1 && errno == EACCES, "GET_TOKEN(PROT_WRITE) on an O_RDONLY fd: %ld errno %s", t,
		      check_errname(errno));
	}
	CHECK_OK(close(fd));
}

/*
 * The read-only memfd of an O_RDONLY device fd must not become writable by opening it again
 * through /proc/self/fd, for an unprivileged client. Whatever the re-open gives, no write may
 * reach the memory that other holders of the region see.
 */
static void rdonly_memfd_reopen_gives_no_write_access(void)
{
	int fd = region_flags(PG, "sec-ro-reopen", O_RDONLY | O_CLOEXEC);
	int vfd = memfd_of(fd, PG, PROT_READ, NULL);
	unsigned char *view = MAP(PG, PROT_READ, MAP_SHARED, vfd, 0); /* what every holder sees */
	pid_t pid = fork_or_fail();
	if (pid == 0) {
		become_nobody();
		int mfd = memfd_of(fd, PG, PROT_READ, NULL);
		char path[64];
		snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
		int rw = open(path, O_RDWR | O_CLOEXEC);
		if (rw < 0) {
			CHECK(errno == EACCES || errno == EPERM, "re-open read-write: %s", check_errname(errno));
			_exit(0);
		}
		unsigned char *p = mmap(NULL, PG, RW, MAP_SHARED, rw, 0);
		ssize_t n = pwrite(rw, "W", 1, 1);
		if (p != MAP_FAILED)
			p[0] = 'M';
		FAIL("an unprivileged holder of an O_RDONLY device fd re-opened the memfd read-write (%s), "
		     "%s and %s", path, p != MAP_FAILED ? "mapped it writable" : "could not map it writable",
		     n == 1 ? "wrote with pwrite" : "could not pwrite");
	}
	int st;
	CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
	CHECK(view[0] == 0 && view[1] == 0, "the region's memory changed: byte 0 %#x, byte 1 %#x", view[0], view[1]);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77)
		SKIP("needs root to drop to an unprivileged user");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the unprivileged client got write access");
	CHECK_OK(close(vfd));
	CHECK_OK(close(fd));
}

/* The driver refuses every mapping of an fd not open for reading: no memory for O_WRONLY fds. */
static void wronly_device_fd_gets_no_memfd(void)
{
	int fd = region_flags(PG, NULL, O_WRONLY | O_CLOEXEC);
	errno = 0;
	long t = get_token(fd, PG, RW);
	if (t == -1) {
		CHECK(errno == EACCES || errno == EBADF, "GET_TOKEN on an O_WRONLY fd: errno %s", check_errname(errno));
		CHECK_OK(close(fd));
		return;
	}
	CHECK(t > 0, "GET_TOKEN on an O_WRONLY fd returned %ld", t);
	int s = broker_connect();
	struct answer a = redeem(s, (__u32)t);
	int nf = a.nfds;
	if (nf > 0) {
		unsigned char *p = mmap(NULL, PG, PROT_READ, MAP_SHARED, a.fds[0], 0);
		close_answer_fds(&a);
		FAIL("an O_WRONLY device fd obtained the region's memfd (status %d), %s", a.rep.status,
		     p != MAP_FAILED ? "and mapped it readable" : "but could not map it");
	}
	CHECK_REFUSED(a, EACCES, "a token from an O_WRONLY device fd");
	CHECK_OK(close(s));
	CHECK_OK(close(fd));
}

/* The size is sealed: a client cannot shrink the memory under other mappers (SIGBUS) or grow it. */
static void memfd_size_sealed(void)
{
	int fd = region(2 * PG, NULL);
	int mfd = memfd_of(fd, 2 * PG, RW, NULL);
	int seals = CHECK_OK(fcntl(mfd, F_GET_SEALS));
	CHECK((seals & (F_SEAL_SHRINK | F_SEAL_GROW)) == (F_SEAL_SHRINK | F_SEAL_GROW), "seals %#x", seals);
	CHECK_ERRNO(ftruncate(mfd, PG), EPERM);
	CHECK_ERRNO(ftruncate(mfd, 4 * PG), EPERM);
	CHECK_ERRNO(fallocate(mfd, 0, 0, (off_t)(4 * PG)), EPERM);
	struct stat st;
	CHECK_OK(fstat(mfd, &st));
	CHECK(st.st_size == (off_t)(2 * PG), "size %lld", (long long)st.st_size);
	CHECK_RET(ioctl(fd, ASHMEM_GET_SIZE), 2 * PG);
	CHECK_OK(close(mfd));
	CHECK_OK(close(fd));
}

/*
 * A client holding a writable memfd adds F_SEAL_SEAL before the owner drops PROT_WRITE from the
 * mask: the region must still become read-only for every later mapper.
 */
static void client_seal_seal_cannot_keep_region_writable(void)
{
	int fd = region(PG, NULL);
	int mfd = memfd_of(fd, PG, RW, NULL);
	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SEAL) != 0) {
		CHECK_OK(close(mfd));
		CHECK_OK(close(fd));
		return; /* refused: nothing to fear */
	}
	CHECK_OK(close(mfd));
	set_mask(fd, PROT_READ);
	int later = memfd_of(fd, PG, PROT_READ, NULL);
	errno = 0;
	void *p = mmap(NULL, PG, RW, MAP_SHARED, later, 0);
	int e = errno;
	CHECK(p == MAP_FAILED, "after a client sealed F_SEAL_SEAL, the region (mask PROT_READ) could still be mapped "
			       "writable through the broker's memfd");
	CHECK(e == EPERM || e == EACCES, "mmap: %s", check_errname(e));
	CHECK_OK(close(later));
	CHECK_OK(close(fd));
}

static void memfd_daemon_still_answers(void)
{
	check_daemon_answers();
	good_client_served("at the end");
}

static const struct check_test tests[] = {
	CHECK_TEST(readonly_mask_memfd_is_write_sealed),
	CHECK_TEST(mask_dropped_after_map_seals_new_maps),
	CHECK_TEST(rdonly_device_fd_gets_rdonly_memfd),
	CHECK_TEST(rdonly_memfd_reopen_gives_no_write_access),
	CHECK_TEST(wronly_device_fd_gets_no_memfd),
	CHECK_TEST(memfd_size_sealed),
	CHECK_TEST(client_seal_seal_cannot_keep_region_writable),
	CHECK_TEST(memfd_daemon_still_answers),
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, tests, CHECK_COUNT(tests));
}
