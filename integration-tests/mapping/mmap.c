/*
 * mmap() of a region through the preload library: the driver's checks (size 0 and a mapping
 * longer than PAGE_ALIGN(size): EINVAL; a protection outside the mask: EPERM), the kernel's own
 * file rules (O_RDONLY + writable MAP_SHARED: EACCES), MAP_PRIVATE as anonymous zero-filled
 * memory, the first mmap freezing name and size, and mappings at an offset.
 */
#include "mapping.h"

#include <sys/time.h>

static void preload_is_loaded(void)
{
	client_get_memfd();
}

static void mmap_size_0_einval(void)
{
	int fd = open_dev();
	CHECK_ERRNO(mmap(NULL, PG, RW, MAP_SHARED, fd, 0), EINVAL);
	CHECK_ERRNO(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 0), EINVAL);
	/* back to 0 after a size was set: still nothing to map */
	CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, 8192UL), 0);
	CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, 0UL), 0);
	CHECK_ERRNO(mmap(NULL, PG, RW, MAP_SHARED, fd, 0), EINVAL);
	CHECK_OK(close(fd));
}

/* len 0 is the kernel's EINVAL, before the driver is asked */
static void mmap_length_0_einval(void)
{
	int fd = region(PG, NULL);
	CHECK_ERRNO(mmap(NULL, 0, RW, MAP_SHARED, fd, 0), EINVAL);
	CHECK_OK(close(fd));
}

static void mmap_longer_than_aligned_size_einval(void)
{
	int fd = region(PG, NULL);
	CHECK_ERRNO(mmap(NULL, PG + 1, RW, MAP_SHARED, fd, 0), EINVAL);
	CHECK_ERRNO(mmap(NULL, 2 * PG, RW, MAP_SHARED, fd, 0), EINVAL);
	CHECK_ERRNO(mmap(NULL, 2 * PG, RW, MAP_PRIVATE, fd, 0), EINVAL);
	CHECK_ERRNO(mmap(NULL, 1UL << 30, PROT_READ, MAP_SHARED, fd, 0), EINVAL);
	CHECK_OK(close(fd));

	fd = region(5000, NULL); /* PAGE_ALIGN(5000) = 8192 */
	CHECK_ERRNO(mmap(NULL, 2 * PG + 1, RW, MAP_SHARED, fd, 0), EINVAL);
	CHECK_ERRNO(mmap(NULL, 3 * PG, RW, MAP_SHARED, fd, 0), EINVAL);
	CHECK_OK(close(fd));
}

/* length == PAGE_ALIGN(size) of an unaligned size: both pages usable */
static void mmap_unaligned_size_whole_pages(void)
{
	int fd = region(5000, NULL);
	unsigned char *a = MAP_SH(fd, 2 * PG);
	fill(a, 2 * PG, 3);
	unsigned char *b = MAP(5000, PROT_READ, MAP_SHARED, fd, 0);
	CHECK_PATTERN(b, 5000, 3, 0, "second mapping of 5000 bytes");
	unsigned char *c = MAP(2 * PG, PROT_READ, MAP_SHARED, fd, 0);
	CHECK_PATTERN(c, 2 * PG, 3, 0, "second mapping of the aligned length");
	unsigned char *d = MAP(1, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(d[0] == pattern_byte(3, 0), "a 1-byte mapping sees 0x%02x", d[0]);
	CHECK_OK(close(fd));
}

static void mmap_prot_outside_mask_eperm(void)
{
	int fd = region(PG, NULL);
	set_mask(fd, PROT_READ);
	CHECK_ERRNO(mmap(NULL, PG, RW, MAP_SHARED, fd, 0), EPERM);
	CHECK_ERRNO(mmap(NULL, PG, PROT_WRITE, MAP_SHARED, fd, 0), EPERM);
	CHECK_ERRNO(mmap(NULL, PG, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0), EPERM);
	CHECK_ERRNO(mmap(NULL, PG, RW, MAP_PRIVATE, fd, 0), EPERM);
	CHECK_ERRNO(mmap(NULL, PG, PROT_EXEC, MAP_PRIVATE, fd, 0), EPERM);
	unsigned char *p = MAP(PG, PROT_READ, MAP_SHARED, fd, 0);
	CHECK_ZERO(p, PG, "read-only mapping of a new region");
	MAP(PG, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK_OK(close(fd));
}

/* The size check comes before the mask check, as in the driver. */
static void mmap_length_checked_before_mask(void)
{
	int fd = region(PG, NULL);
	set_mask(fd, 0);
	CHECK_ERRNO(mmap(NULL, 2 * PG, PROT_READ, MAP_SHARED, fd, 0), EINVAL);
	CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, 0UL), 0);
	CHECK_ERRNO(mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0), EINVAL);
	CHECK_OK(close(fd));
}

static void mmap_mask_0_even_read_eperm(void)
{
	int fd = region(PG, NULL);
	set_mask(fd, 0);
	CHECK_ERRNO(mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0), EPERM);
	CHECK_ERRNO(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 0), EPERM);
	CHECK_ERRNO(mmap(NULL, PG, PROT_EXEC, MAP_SHARED, fd, 0), EPERM);
	CHECK_OK(close(fd));
}

/* PROT_NONE asks for no protection, so no mask can refuse it. */
static void mmap_prot_none_with_mask_0_ok(void)
{
	int fd = region(PG, NULL);
	set_mask(fd, 0);
	MAP(PG, PROT_NONE, MAP_SHARED, fd, 0);
	CHECK_OK(close(fd));
}

/* The default mask has PROT_EXEC: code placed in the region runs from an executable mapping. */
static void mmap_exec_allowed_by_default_mask(void)
{
	int fd = region(PG, NULL);
	unsigned char *w = MAP_SH(fd, PG);
	w[0] = 0xc3; /* ret, on x86_64 and i386 */
	unsigned char *x = MAP(PG, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
	((void (*)(void))(uintptr_t)x)();
	MAP(PG, RWX, MAP_SHARED, fd, 0);
	MAP(PG, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	CHECK_OK(close(fd));
}

static void mmap_rdonly_fd_shared_write_eacces(void)
{
	int fd = region_flags(PG, NULL, O_RDONLY | O_CLOEXEC);
	CHECK_ERRNO(mmap(NULL, PG, RW, MAP_SHARED, fd, 0), EACCES);
	CHECK_ERRNO(mmap(NULL, PG, PROT_WRITE, MAP_SHARED, fd, 0), EACCES);
	unsigned char *p = MAP(PG, PROT_READ, MAP_SHARED, fd, 0);
	CHECK_ZERO(p, PG, "read-only shared mapping");
	CHECK(probe(p, 1, 1) == SIGSEGV, "a PROT_READ mapping could be written");
	CHECK_OK(close(fd));
}

/* MAP_PRIVATE needs only read access to the file: writable private mappings of O_RDONLY work. */
static void mmap_rdonly_fd_private_write_ok(void)
{
	int fd = region_flags(PG, NULL, O_RDONLY | O_CLOEXEC);
	unsigned char *p = MAP(PG, RW, MAP_PRIVATE, fd, 0);
	fill(p, PG, 9);
	CHECK_PATTERN(p, PG, 9, 0, "private mapping");
	CHECK_OK(close(fd));
}

/* Every mapping needs read access to the file (the kernel's rule). */
static void mmap_wronly_fd_eacces(void)
{
	int fd = region_flags(PG, NULL, O_WRONLY | O_CLOEXEC);
	CHECK_ERRNO(mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0), EACCES);
	CHECK_ERRNO(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 0), EACCES);
	CHECK_OK(close(fd));
}

static void mmap_private_is_zero_filled(void)
{
	int fd = region(4 * PG, NULL);
	unsigned char *s = MAP_SH(fd, 4 * PG);
	fill(s, 4 * PG, 5);
	unsigned char *p = MAP(4 * PG, RW, MAP_PRIVATE, fd, 0);
	CHECK_ZERO(p, 4 * PG, "MAP_PRIVATE mapping of a region with content");
	unsigned char *q = MAP(PG, PROT_READ, MAP_PRIVATE, fd, 2 * PG);
	CHECK_ZERO(q, PG, "MAP_PRIVATE mapping at an offset");
	CHECK_OK(close(fd));
}

static void mmap_private_writes_stay_private(void)
{
	int fd = region(2 * PG, NULL);
	unsigned char *s = MAP_SH(fd, 2 * PG);
	fill(s, 2 * PG, 6);
	unsigned char *p = MAP(2 * PG, RW, MAP_PRIVATE, fd, 0);
	memset(p, 0xee, 2 * PG);
	CHECK_PATTERN(s, 2 * PG, 6, 0, "shared mapping after writes to a private one");
	unsigned char *s2 = MAP(2 * PG, PROT_READ, MAP_SHARED, fd, 0);
	CHECK_PATTERN(s2, 2 * PG, 6, 0, "a new shared mapping");
	unsigned char buf[2 * PG];
	CHECK_RET(read_full(fd, buf, sizeof(buf)), sizeof(buf));
	CHECK_PATTERN(buf, sizeof(buf), 6, 0, "read()");

	/* nor in another process that maps the region */
	pid_t pid = fork_or_fail();
	if (pid == 0) {
		unsigned char *c = MAP(2 * PG, PROT_READ, MAP_SHARED, fd, 0);
		CHECK_PATTERN(c, 2 * PG, 6, 0, "child's shared mapping");
		unsigned char *cp = MAP(2 * PG, RW, MAP_PRIVATE, fd, 0);
		CHECK_ZERO(cp, 2 * PG, "child's private mapping");
		_exit(0);
	}
	check_child_ok(pid, "child");
	CHECK_OK(close(fd));
}

static void mmap_first_map_freezes_name_and_size(void)
{
	int fd = region(3 * PG, NULL);
	set_name_or_fail(fd, "frozen");
	MAP_SH(fd, 3 * PG);
	char name[ASHMEM_NAME_LEN] = "other";
	CHECK_ERRNO(ioctl(fd, ASHMEM_SET_NAME, name), EINVAL);
	CHECK_ERRNO(ioctl(fd, ASHMEM_SET_SIZE, 8192UL), EINVAL);
	CHECK_ERRNO(ioctl(fd, ASHMEM_SET_SIZE, 3 * PG), EINVAL);
	CHECK_ERRNO(ioctl(fd, ASHMEM_SET_SIZE, 0UL), EINVAL);
	CHECK_RET(ioctl(fd, ASHMEM_GET_SIZE), 3 * PG);
	memset(name, 0, sizeof(name));
	CHECK_RET(ioctl(fd, ASHMEM_GET_NAME, name), 0);
	CHECK_STR(name, "frozen");
	CHECK_OK(close(fd));
}

/* The driver creates the backing file for private mappings too. */
static void mmap_first_private_map_also_freezes(void)
{
	int fd = region(PG, NULL);
	MAP(PG, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK_ERRNO(ioctl(fd, ASHMEM_SET_SIZE, 2 * PG), EINVAL);
	char name[ASHMEM_NAME_LEN] = "late";
	CHECK_ERRNO(ioctl(fd, ASHMEM_SET_NAME, name), EINVAL);
	CHECK_OK(close(fd));
}

/* A refused mmap creates nothing: name and size can still change. */
static void mmap_refused_map_does_not_freeze(void)
{
	int fd = region(PG, NULL);
	CHECK_ERRNO(mmap(NULL, 2 * PG, RW, MAP_SHARED, fd, 0), EINVAL);
	set_mask(fd, PROT_READ);
	CHECK_ERRNO(mmap(NULL, PG, RW, MAP_SHARED, fd, 0), EPERM);
	CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, 2 * PG), 0);
	set_name_or_fail(fd, "still-free");
	unsigned char *p = MAP(2 * PG, PROT_READ, MAP_SHARED, fd, 0);
	CHECK_ZERO(p, 2 * PG, "mapping");
	CHECK_OK(close(fd));
}

/* SET_PROT_MASK after mmap: allowed (removing bits), affects later mmaps only. */
static void mmap_mask_change_affects_later_maps_only(void)
{
	int fd = region(2 * PG, NULL);
	unsigned char *a = MAP_SH(fd, 2 * PG);
	set_mask(fd, PROT_READ);
	CHECK_ERRNO(ioctl(fd, ASHMEM_SET_PROT_MASK, (unsigned long)RW), EINVAL); /* no adding back */
	fill(a, 2 * PG, 11); /* the existing mapping stays writable */
	CHECK_ERRNO(mmap(NULL, 2 * PG, RW, MAP_SHARED, fd, 0), EPERM);
	CHECK_ERRNO(mmap(NULL, PG, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0), EPERM);
	unsigned char *b = MAP(2 * PG, PROT_READ, MAP_SHARED, fd, 0);
	CHECK_PATTERN(b, 2 * PG, 11, 0, "later read-only mapping");
	set_mask(fd, 0);
	CHECK_ERRNO(mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0), EPERM);
	CHECK(a[5] == pattern_byte(11, 5) && b[PG + 5] == pattern_byte(11, PG + 5),
	      "existing mappings changed after SET_PROT_MASK(0)");
	CHECK_OK(close(fd));
}

static void mmap_offset_maps_later_pages(void)
{
	int fd = region(4 * PG, NULL);
	unsigned char *all = MAP_SH(fd, 4 * PG);
	fill(all, 4 * PG, 13);
	unsigned char *p2 = MAP(PG, PROT_READ, MAP_SHARED, fd, 2 * PG);
	CHECK_PATTERN(p2, PG, 13, 2 * PG, "page at offset 2 pages");
	unsigned char *p1 = MAP(2 * PG, RW, MAP_SHARED, fd, PG);
	CHECK_PATTERN(p1, 2 * PG, 13, PG, "two pages at offset 1 page");
	p1[PG + 7] = 0x5a; /* page 2, byte 7 */
	CHECK(all[2 * PG + 7] == 0x5a && p2[7] == 0x5a, "a write at an offset mapping is not shared");
	CHECK_OK(close(fd));
}

/*
 * The driver checks only the length, not offset + length: the mapping is made, and touching a
 * page past the end of the region is SIGBUS (beyond the backing file's size).
 */
static void mmap_offset_past_end_sigbus(void)
{
	int fd = region(4 * PG, NULL);
	unsigned char *all = MAP_SH(fd, 4 * PG);
	fill(all, 4 * PG, 14);
	unsigned char *p = MAP(2 * PG, PROT_READ, MAP_SHARED, fd, 3 * PG);
	CHECK(probe(p, 0, 0) == 0, "the last page of the region cannot be read at offset 3 pages");
	CHECK(p[1] == pattern_byte(14, 3 * PG + 1), "page 3 reads 0x%02x", p[1]);
	int sig = probe(p + PG, 0, 0);
	CHECK(sig == SIGBUS, "the page past the end: expected SIGBUS, got %s",
	      sig ? strsignal(sig) : "no signal");
	CHECK_OK(close(fd));
}

/* Unaligned offsets are the kernel's EINVAL. */
static void mmap_unaligned_offset_einval(void)
{
	int fd = region(2 * PG, NULL);
	CHECK_ERRNO(mmap(NULL, PG, RW, MAP_SHARED, fd, 100), EINVAL);
	CHECK_OK(close(fd));
}

/* mmap64 with a 64-bit offset (an alias on 64-bit ABIs, its own entry point on i386). */
static void mmap64_with_offset(void)
{
	int fd = region(4 * PG, NULL);
	unsigned char *all = MAP_SH(fd, 4 * PG);
	fill(all, 4 * PG, 15);
	errno = 0;
	unsigned char *p = mmap64(NULL, PG, PROT_READ, MAP_SHARED, fd, (off64_t)(3 * PG));
	CHECK(p != MAP_FAILED, "mmap64: %s", check_errname(errno));
	CHECK_PATTERN(p, PG, 15, 3 * PG, "mmap64 at offset 3 pages");
	CHECK_ERRNO(mmap64(NULL, 8 * PG, PROT_READ, MAP_SHARED, fd, 0), EINVAL);
	CHECK_OK(close(fd));
}

/* MAP_FIXED over an existing mapping replaces it with the region. */
static void mmap_fixed_replaces_mapping(void)
{
	int fd = region(2 * PG, NULL);
	unsigned char *s = MAP_SH(fd, 2 * PG);
	fill(s, 2 * PG, 16);
	unsigned char *anon = MAP(3 * PG, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(anon, 0x77, 3 * PG);
	unsigned char *f = MAP_AT(anon + PG, 2 * PG, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
	CHECK(f == anon + PG, "MAP_FIXED placed the mapping at %p, not %p", (void *)f, (void *)(anon + PG));
	CHECK_PATTERN(f, 2 * PG, 16, 0, "MAP_FIXED mapping");
	CHECK(anon[0] == 0x77, "the page before the fixed mapping changed");
	/* a refused MAP_FIXED leaves what was there */
	CHECK_ERRNO(mmap(anon, 3 * PG, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0), EINVAL);
	CHECK(anon[0] == 0x77 && f[3] == pattern_byte(16, 3), "a refused MAP_FIXED changed the memory");
	CHECK_OK(close(fd));
}

static void mmap_two_maps_share_memory(void)
{
	int fd = region(PG, NULL);
	unsigned char *a = MAP_SH(fd, PG);
	unsigned char *b = MAP_SH(fd, PG);
	CHECK(a != b, "two mappings at the same address");
	a[100] = 0x42;
	CHECK(b[100] == 0x42, "the second mapping does not see the first one's write");
	b[200] = 0x43;
	CHECK(a[200] == 0x43, "the first mapping does not see the second one's write");
	CHECK_OK(close(fd));
}

/* A new region's memory is zero. */
static void mmap_new_region_zero(void)
{
	int fd = region(16 * PG, NULL);
	unsigned char *p = MAP_SH(fd, 16 * PG);
	CHECK_ZERO(p, 16 * PG, "new region");
	CHECK_OK(close(fd));
}

/* A large region: the length travels in pages, the memory is sparse until touched. */
static void mmap_large_region(void)
{
	size_t size = (size_t)256 << 20;
	int fd = region(size, NULL);
	unsigned char *p = MAP_SH(fd, size);
	p[0] = 1;
	p[size / 2] = 2;
	p[size - 1] = 3;
	unsigned char *q = MAP(PG, PROT_READ, MAP_SHARED, fd, (off_t)(size - PG));
	CHECK(q[PG - 1] == 3, "the last page at an offset reads 0x%02x", q[PG - 1]);
	CHECK_ERRNO(mmap(NULL, size + PG, PROT_READ, MAP_SHARED, fd, 0), EINVAL);
	CHECK_OK(close(fd));
}

static volatile sig_atomic_t storm_signals;

static void storm_handler(int sig)
{
	(void)sig;
	storm_signals++;
}

/*
 * Signals arriving all the time (no SA_RESTART) interrupt the device ioctls and the broker
 * exchange; mmap must neither fail with EINTR nor lose a mapping, as the driver's never does.
 */
static void mmap_under_signal_storm(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = storm_handler;
	sigemptyset(&sa.sa_mask);
	CHECK_OK(sigaction(SIGALRM, &sa, NULL));
	int fd = region(2 * PG, NULL);
	unsigned char *first = MAP_SH(fd, 2 * PG);
	struct itimerval it = { { 0, 300 }, { 0, 300 } };
	CHECK_OK(setitimer(ITIMER_REAL, &it, NULL));
	for (int i = 0; i < 150; i++) {
		errno = 0;
		unsigned char *p = mmap(NULL, 2 * PG, RW, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			int e = errno;
			struct itimerval off = { { 0, 0 }, { 0, 0 } };
			setitimer(ITIMER_REAL, &off, NULL);
			FAIL("mmap %d under a signal storm: %s (%d signals so far)", i, check_errname(e),
			     (int)storm_signals);
		}
		p[PG + 3] = (unsigned char)i;
		CHECK(first[PG + 3] == (unsigned char)i, "mapping %d is not the region", i);
		CHECK(munmap(p, 2 * PG) == 0, "munmap: %s", check_errname(errno));
		int pfd = open_dev();
		CHECK(ioctl(pfd, ASHMEM_SET_SIZE, PG) == 0, "SET_SIZE: %s", check_errname(errno));
		p = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, pfd, 0);
		CHECK(p != MAP_FAILED, "private mmap %d under a signal storm: %s", i, check_errname(errno));
		CHECK(munmap(p, PG) == 0, "munmap: %s", check_errname(errno));
		close(pfd);
	}
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	CHECK_OK(setitimer(ITIMER_REAL, &off, NULL));
	fprintf(stderr, "signal storm: %d signals during 150 rounds\n", (int)storm_signals);
	CHECK(storm_signals > 0, "no signal arrived: the test proved nothing");
	CHECK_OK(close(fd));
}

static void mmap_daemon_still_answers(void)
{
	check_daemon_answers();
}

static const struct check_test tests[] = {
	CHECK_TEST(preload_is_loaded),
	CHECK_TEST(mmap_size_0_einval),
	CHECK_TEST(mmap_length_0_einval),
	CHECK_TEST(mmap_longer_than_aligned_size_einval),
	CHECK_TEST(mmap_unaligned_size_whole_pages),
	CHECK_TEST(mmap_prot_outside_mask_eperm),
	CHECK_TEST(mmap_length_checked_before_mask),
	CHECK_TEST(mmap_mask_0_even_read_eperm),
	CHECK_TEST(mmap_prot_none_with_mask_0_ok),
	CHECK_TEST(mmap_exec_allowed_by_default_mask),
	CHECK_TEST(mmap_rdonly_fd_shared_write_eacces),
	CHECK_TEST(mmap_rdonly_fd_private_write_ok),
	CHECK_TEST(mmap_wronly_fd_eacces),
	CHECK_TEST(mmap_private_is_zero_filled),
	CHECK_TEST(mmap_private_writes_stay_private),
	CHECK_TEST(mmap_first_map_freezes_name_and_size),
	CHECK_TEST(mmap_first_private_map_also_freezes),
	CHECK_TEST(mmap_refused_map_does_not_freeze),
	CHECK_TEST(mmap_mask_change_affects_later_maps_only),
	CHECK_TEST(mmap_offset_maps_later_pages),
	CHECK_TEST(mmap_offset_past_end_sigbus),
	CHECK_TEST(mmap_unaligned_offset_einval),
	CHECK_TEST(mmap64_with_offset),
	CHECK_TEST(mmap_fixed_replaces_mapping),
	CHECK_TEST(mmap_two_maps_share_memory),
	CHECK_TEST(mmap_new_region_zero),
	CHECK_TEST(mmap_large_region),
	CHECK_TEST(mmap_under_signal_storm),
	CHECK_TEST(mmap_daemon_still_answers),
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, tests, CHECK_COUNT(tests));
}
