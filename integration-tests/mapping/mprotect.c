/*
 * mprotect() of region mappings. The driver clears VM_MAY* for every protection the mask lacked
 * at mmap time, so mprotect can never add it (EACCES), while anything within that mask works.
 * Here PROT_WRITE of shared mappings is refused by the kernel (read-only or F_SEAL_FUTURE_WRITE
 * sealed memfd), the rest by the preload library's guards, which must follow munmap, mremap and
 * mappings placed over a guarded range.
 */
#include "mapping.h"

static void mprotect_add_write_outside_mask_shared_eacces(void)
{
	int fd = region(2 * PG, NULL);
	set_mask(fd, PROT_READ | PROT_EXEC);
	unsigned char *p = MAP(2 * PG, PROT_READ, MAP_SHARED, fd, 0);
	CHECK_ERRNO(mprotect(p, 2 * PG, RW), EACCES);
	CHECK_ERRNO(mprotect(p, PG, PROT_WRITE), EACCES);
	CHECK_ERRNO(mprotect(p, 2 * PG, RWX), EACCES);
	CHECK(probe(p, 1, 1) == SIGSEGV, "the mapping became writable");
	CHECK_RET(mprotect(p, 2 * PG, PROT_READ | PROT_EXEC), 0);
	CHECK_RET(mprotect(p, 2 * PG, PROT_NONE), 0);
	CHECK_ERRNO(mprotect(p, 2 * PG, RW), EACCES);
	CHECK_RET(mprotect(p, 2 * PG, PROT_READ), 0);
	CHECK_OK(close(fd));
}

static void mprotect_add_write_outside_mask_private_eacces(void)
{
	int fd = region(2 * PG, NULL);
	set_mask(fd, PROT_READ);
	unsigned char *p = MAP(2 * PG, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK_ERRNO(mprotect(p, 2 * PG, RW), EACCES);
	CHECK_ERRNO(mprotect(p + PG, PG, PROT_WRITE), EACCES);
	CHECK_ERRNO(mprotect(p, PG, PROT_READ | PROT_EXEC), EACCES);
	CHECK(probe(p, 1, 1) == SIGSEGV, "the mapping became writable");
	CHECK_OK(close(fd));
}

static void mprotect_add_exec_outside_mask_eacces(void)
{
	int fd = region(2 * PG, NULL);
	set_mask(fd, RW);
	unsigned char *s = MAP_SH(fd, 2 * PG);
	CHECK_ERRNO(mprotect(s, 2 * PG, RWX), EACCES);
	CHECK_ERRNO(mprotect(s, PG, PROT_EXEC), EACCES);
	unsigned char *p = MAP(2 * PG, RW, MAP_PRIVATE, fd, 0);
	CHECK_ERRNO(mprotect(p, 2 * PG, PROT_READ | PROT_EXEC), EACCES);
	CHECK_RET(mprotect(s, 2 * PG, PROT_READ), 0);
	CHECK_RET(mprotect(s, 2 * PG, RW), 0);
	s[1] = 1;
	CHECK_OK(close(fd));
}

/* A mask of PROT_WRITE alone: a write-only mapping can never become readable. */
static void mprotect_add_read_outside_mask_eacces(void)
{
	int fd = region(PG, NULL);
	set_mask(fd, PROT_WRITE);
	CHECK_ERRNO(mmap(NULL, PG, RW, MAP_SHARED, fd, 0), EPERM);
	unsigned char *p = MAP(PG, PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK_ERRNO(mprotect(p, PG, RW), EACCES);
	CHECK_ERRNO(mprotect(p, PG, PROT_READ), EACCES);
	CHECK_RET(mprotect(p, PG, PROT_NONE), 0);
	CHECK_RET(mprotect(p, PG, PROT_WRITE), 0);
	CHECK_OK(close(fd));
}

static void mprotect_within_mask_ok(void)
{
	int fd = region(2 * PG, NULL);
	unsigned char *p = MAP(2 * PG, PROT_READ, MAP_SHARED, fd, 0);
	unsigned char *q = MAP(2 * PG, PROT_READ, MAP_SHARED, fd, 0);
	CHECK_RET(mprotect(p, 2 * PG, RW), 0);
	fill(p, 2 * PG, 21);
	CHECK_PATTERN(q, 2 * PG, 21, 0, "other mapping after writes through an mprotect'ed one");
	CHECK_RET(mprotect(p, 2 * PG, PROT_NONE), 0);
	CHECK(probe(p, 0, 0) == SIGSEGV, "a PROT_NONE mapping could be read");
	CHECK_RET(mprotect(p, 2 * PG, PROT_READ | PROT_EXEC), 0);
	CHECK_RET(mprotect(p, PG, RWX), 0);
	CHECK_PATTERN(p, 2 * PG, 21, 0, "after mprotect round trip");
	CHECK_OK(close(fd));

	/* within a reduced mask too */
	fd = region(PG, NULL);
	set_mask(fd, PROT_READ | PROT_EXEC);
	unsigned char *r = MAP(PG, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK_RET(mprotect(r, PG, PROT_READ | PROT_EXEC), 0);
	CHECK_RET(mprotect(r, PG, PROT_NONE), 0);
	CHECK_RET(mprotect(r, PG, PROT_READ), 0);
	CHECK_OK(close(fd));
}

static void mprotect_rdonly_fd_write_eacces(void)
{
	int fd = region_flags(PG, NULL, O_RDONLY | O_CLOEXEC);
	unsigned char *p = MAP(PG, PROT_READ, MAP_SHARED, fd, 0);
	CHECK_ERRNO(mprotect(p, PG, RW), EACCES);
	CHECK_RET(mprotect(p, PG, PROT_READ | PROT_EXEC), 0);
	CHECK_OK(close(fd));
}

/* The mask at mmap time decides: a later SET_PROT_MASK does not shrink existing mappings. */
static void mprotect_existing_mapping_keeps_its_mask(void)
{
	int fd = region(PG, NULL);
	unsigned char *p = MAP(PG, PROT_READ, MAP_SHARED, fd, 0);
	unsigned char *v = MAP(PG, PROT_READ, MAP_PRIVATE, fd, 0);
	set_mask(fd, PROT_READ);
	CHECK_RET(mprotect(p, PG, RW), 0);
	p[9] = 0x99;
	CHECK_RET(mprotect(p, PG, RWX), 0);
	CHECK_RET(mprotect(v, PG, RW), 0);
	v[9] = 1;
	unsigned char *q = MAP(PG, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(q[9] == 0x99, "the later mapping reads 0x%02x", q[9]);
	CHECK_ERRNO(mprotect(q, PG, RW), EACCES);
	CHECK_ERRNO(mprotect(q, PG, PROT_READ | PROT_EXEC), EACCES);
	CHECK_OK(close(fd));
}

/* One page in the middle of a guarded mapping is guarded too. */
static void mprotect_part_of_mapping_eacces(void)
{
	int fd = region(4 * PG, NULL);
	set_mask(fd, PROT_READ);
	unsigned char *p = MAP(4 * PG, PROT_READ, MAP_SHARED, fd, 0);
	CHECK_ERRNO(mprotect(p + 2 * PG, PG, RW), EACCES);
	CHECK_ERRNO(mprotect(p + PG, PG, PROT_READ | PROT_EXEC), EACCES);
	CHECK_RET(mprotect(p + PG, 2 * PG, PROT_NONE), 0);
	CHECK_OK(close(fd));
}

/* mremap moves the mapping and its limits along. */
static void mprotect_guard_follows_mremap(void)
{
	int fd = region(2 * PG, NULL);
	set_mask(fd, PROT_READ);
	unsigned char *p = MAP(2 * PG, PROT_READ, MAP_PRIVATE, fd, 0);
	unsigned char *dst = MAP(2 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	errno = 0;
	unsigned char *m = mremap(p, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	CHECK(m == dst, "mremap: %s", check_errname(errno));
	CHECK_ERRNO(mprotect(m, 2 * PG, RW), EACCES);
	/* what takes the old place is not guarded */
	unsigned char *a = MAP_AT(p, 2 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK_RET(mprotect(a, 2 * PG, RW), 0);
	a[0] = 1;
	CHECK_OK(close(fd));
}

static void mprotect_guard_gone_after_munmap(void)
{
	int fd = region(2 * PG, NULL);
	set_mask(fd, PROT_READ);
	unsigned char *p = MAP(2 * PG, PROT_READ, MAP_SHARED, fd, 0);
	CHECK_OK(munmap(p, 2 * PG));
	unsigned char *a = MAP_AT(p, 2 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK_RET(mprotect(a, 2 * PG, RWX), 0);
	CHECK_OK(close(fd));
}

static void mprotect_guard_gone_after_fixed_mapping_over_it(void)
{
	int fd = region(2 * PG, NULL);
	set_mask(fd, PROT_READ);
	unsigned char *p = MAP(2 * PG, PROT_READ, MAP_PRIVATE, fd, 0);
	unsigned char *a = MAP_AT(p, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK_RET(mprotect(a, PG, RW), 0);
	CHECK_ERRNO(mprotect(p + PG, PG, RW), EACCES); /* the rest is still the region's */
	CHECK_OK(close(fd));
}

static void mprotect_daemon_still_answers(void)
{
	check_daemon_answers();
}

static const struct check_test tests[] = {
	CHECK_TEST(mprotect_add_write_outside_mask_shared_eacces),
	CHECK_TEST(mprotect_add_write_outside_mask_private_eacces),
	CHECK_TEST(mprotect_add_exec_outside_mask_eacces),
	CHECK_TEST(mprotect_add_read_outside_mask_eacces),
	CHECK_TEST(mprotect_within_mask_ok),
	CHECK_TEST(mprotect_rdonly_fd_write_eacces),
	CHECK_TEST(mprotect_existing_mapping_keeps_its_mask),
	CHECK_TEST(mprotect_part_of_mapping_eacces),
	CHECK_TEST(mprotect_guard_follows_mremap),
	CHECK_TEST(mprotect_guard_gone_after_munmap),
	CHECK_TEST(mprotect_guard_gone_after_fixed_mapping_over_it),
	CHECK_TEST(mprotect_daemon_still_answers),
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, tests, CHECK_COUNT(tests));
}
