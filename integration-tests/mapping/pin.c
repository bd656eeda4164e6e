/*
 * ASHMEM_PIN / ASHMEM_UNPIN / ASHMEM_GET_PIN_STATUS and ASHMEM_PURGE_ALL_CACHES once a region is
 * mapped: the range rules (page alignment, len 0 = to PAGE_ALIGN(size), u32 overflow, past
 * PAGE_ALIGN(size): EINVAL), the results (NOT_PURGED / WAS_PURGED, IS_PINNED / IS_UNPINNED), the
 * purge count (unpinned, not yet purged pages of every region) and what purging does to memory:
 * purged pages read back as zero, through the mapping and read(), pinned pages keep their data.
 *
 * Purge counts are system wide, so each test first purges what is left and takes the count of
 * a second purge (pages that could not be freed) as its baseline.
 */
#include "mapping.h"

static long purge_baseline(int fd)
{
	purge_all(fd);
	return purge_all(fd);
}

static void pin_unpin_status_after_map(void)
{
	int fd = region(4 * PG, NULL);
	MAP_SH(fd, 4 * PG);
	CHECK_RET(PIN_CALL(fd, ASHMEM_GET_PIN_STATUS, 0, 4 * PG), ASHMEM_IS_PINNED);
	CHECK_RET(PIN_CALL(fd, ASHMEM_UNPIN, 0, PG), 0);
	CHECK_RET(PIN_CALL(fd, ASHMEM_GET_PIN_STATUS, 0, PG), ASHMEM_IS_UNPINNED);
	CHECK_RET(PIN_CALL(fd, ASHMEM_GET_PIN_STATUS, PG, PG), ASHMEM_IS_PINNED);
	CHECK_RET(PIN_CALL(fd, ASHMEM_PIN, 0, PG), ASHMEM_NOT_PURGED);
	CHECK_RET(PIN_CALL(fd, ASHMEM_GET_PIN_STATUS, 0, 4 * PG), ASHMEM_IS_PINNED);
	/* pinning what is pinned changes nothing */
	CHECK_RET(PIN_CALL(fd, ASHMEM_PIN, 0, 4 * PG), ASHMEM_NOT_PURGED);
	CHECK_OK(close(fd));
}

/* A private first mapping creates the backing file too: pins work after it. */
static void pin_after_private_map(void)
{
	int fd = region(2 * PG, NULL);
	MAP(2 * PG, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK_RET(PIN_CALL(fd, ASHMEM_UNPIN, 0, 0), 0);
	CHECK_RET(PIN_CALL(fd, ASHMEM_GET_PIN_STATUS, PG, PG), ASHMEM_IS_UNPINNED);
	CHECK_RET(PIN_CALL(fd, ASHMEM_PIN, 0, 0), ASHMEM_NOT_PURGED);
	CHECK_OK(close(fd));
}

static const unsigned long pin_cmds[] = { ASHMEM_PIN, ASHMEM_UNPIN, ASHMEM_GET_PIN_STATUS };
static const char *const pin_names[] = { "PIN", "UNPIN", "GET_PIN_STATUS" };

static void all_pin_cmds_errno(int fd, __u32 off, __u32 len, int want)
{
	for (int i = 0; i < 3; i++) {
		struct ashmem_pin pin = { off, len };
		errno = 0;
		long r = ioctl(fd, pin_cmds[i], &pin);
		int e = errno;
		CHECK(r == -1 && e == want, "%s {%#x, %#x}: expected -1 errno %s, got %ld%s%s", pin_names[i],
		      off, len, check_errname(want), r, r == -1 ? " errno " : "", r == -1 ? check_errname(e) : "");
	}
}

static void pin_unaligned_einval(void)
{
	int fd = region(4 * PG, NULL);
	MAP_SH(fd, 4 * PG);
	all_pin_cmds_errno(fd, 1, PG, EINVAL);
	all_pin_cmds_errno(fd, PG + 512, PG, EINVAL);
	all_pin_cmds_errno(fd, 0, 100, EINVAL);
	all_pin_cmds_errno(fd, PG, PG + 1, EINVAL);
	all_pin_cmds_errno(fd, 3, 0, EINVAL); /* len 0: 4 pages - 3 bytes, unaligned */
	CHECK_OK(close(fd));
}

static void pin_len_0_means_to_the_end(void)
{
	int fd = region(4 * PG, NULL);
	MAP_SH(fd, 4 * PG);
	CHECK_RET(PIN_CALL(fd, ASHMEM_UNPIN, PG, 0), 0);
	CHECK_RET(PIN_CALL(fd, ASHMEM_GET_PIN_STATUS, 0, PG), ASHMEM_IS_PINNED);
	CHECK_RET(PIN_CALL(fd, ASHMEM_GET_PIN_STATUS, 3 * PG, PG), ASHMEM_IS_UNPINNED);
	CHECK_RET(PIN_CALL(fd, ASHMEM_GET_PIN_STATUS, PG, PG), ASHMEM_IS_UNPINNED);
	CHECK_RET(PIN_CALL(fd, ASHMEM_PIN, 2 * PG, 0), ASHMEM_NOT_PURGED);
	CHECK_RET(PIN_CALL(fd, ASHMEM_GET_PIN_STATUS, 2 * PG, 0), ASHMEM_IS_PINNED);
	CHECK_RET(PIN_CALL(fd, ASHMEM_GET_PIN_STATUS, 0, 0), ASHMEM_IS_UNPINNED);
	CHECK_RET(PIN_CALL(fd, ASHMEM_PIN, 0, 0), ASHMEM_NOT_PURGED);
	CHECK_RET(PIN_CALL(fd, ASHMEM_GET_PIN_STATUS, 0, 0), ASHMEM_IS_PINNED);
	CHECK_OK(close(fd));
}

static void pin_overflow_einval(void)
{
	int fd = region(4 * PG, NULL);
	MAP_SH(fd, 4 * PG);
	all_pin_cmds_errno(fd, 0xfffff000u, 0x2000, EINVAL);
	all_pin_cmds_errno(fd, PG, 0xfffff000u, EINVAL);
	all_pin_cmds_errno(fd, 0xfffff000u, 0, EINVAL); /* len 0 wraps: not aligned to the end */
	CHECK_OK(close(fd));
}

static void pin_past_aligned_size_einval(void)
{
	int fd = region(4 * PG, NULL);
	MAP_SH(fd, 4 * PG);
	all_pin_cmds_errno(fd, 0, 5 * PG, EINVAL);
	all_pin_cmds_errno(fd, 4 * PG, PG, EINVAL);
	all_pin_cmds_errno(fd, 3 * PG, 2 * PG, EINVAL);
	all_pin_cmds_errno(fd, 8 * PG, 0, EINVAL);
	CHECK_RET(PIN_CALL(fd, ASHMEM_UNPIN, 3 * PG, PG), 0); /* the last page is fine */
	CHECK_OK(close(fd));

	/* an unaligned size: PAGE_ALIGN(5000) = 2 pages */
	fd = region(5000, NULL);
	MAP_SH(fd, 2 * PG);
	CHECK_RET(PIN_CALL(fd, ASHMEM_UNPIN, PG, PG), 0);
	CHECK_RET(PIN_CALL(fd, ASHMEM_GET_PIN_STATUS, 0, 2 * PG), ASHMEM_IS_UNPINNED);
	all_pin_cmds_errno(fd, 2 * PG, PG, EINVAL);
	all_pin_cmds_errno(fd, 0, 3 * PG, EINVAL);
	CHECK_OK(close(fd));
}

/* offset == PAGE_ALIGN(size) with len 0 names no page, yet passes every check. */
static void pin_len_0_at_the_end_is_empty(void)
{
	int fd = region(2 * PG, NULL);
	MAP_SH(fd, 2 * PG);
	CHECK_RET(PIN_CALL(fd, ASHMEM_GET_PIN_STATUS, 2 * PG, 0), ASHMEM_IS_PINNED);
	CHECK_RET(PIN_CALL(fd, ASHMEM_PIN, 2 * PG, 0), ASHMEM_NOT_PURGED);
	CHECK_RET(PIN_CALL(fd, ASHMEM_UNPIN, 2 * PG, 0), 0);
	CHECK_RET(PIN_CALL(fd, ASHMEM_GET_PIN_STATUS, 0, PG), ASHMEM_IS_PINNED);
	CHECK_OK(close(fd));
}

static void pin_bad_pointer_efault(void)
{
	int fd = region(2 * PG, NULL);
	MAP_SH(fd, 2 * PG);
	CHECK_ERRNO(ioctl(fd, ASHMEM_PIN, NULL), EFAULT);
	CHECK_ERRNO(ioctl(fd, ASHMEM_UNPIN, NULL), EFAULT);
	CHECK_ERRNO(ioctl(fd, ASHMEM_GET_PIN_STATUS, guarded_boundary(1)), EFAULT);
	CHECK_OK(close(fd));
}

static void pin_status_any_unpinned_page(void)
{
	int fd = region(4 * PG, NULL);
	MAP_SH(fd, 4 * PG);
	CHECK_RET(PIN_CALL(fd, ASHMEM_UNPIN, 2 * PG, PG), 0);
	CHECK_RET(PIN_CALL(fd, ASHMEM_GET_PIN_STATUS, 0, 0), ASHMEM_IS_UNPINNED);
	CHECK_RET(PIN_CALL(fd, ASHMEM_GET_PIN_STATUS, 0, 2 * PG), ASHMEM_IS_PINNED);
	CHECK_RET(PIN_CALL(fd, ASHMEM_GET_PIN_STATUS, PG, 2 * PG), ASHMEM_IS_UNPINNED);
	CHECK_RET(PIN_CALL(fd, ASHMEM_GET_PIN_STATUS, 3 * PG, PG), ASHMEM_IS_PINNED);
	CHECK_OK(close(fd));
}

/* Unpinned but never purged: PIN says NOT_PURGED and the data is all there. */
static void unpin_then_pin_keeps_data(void)
{
	int fd = region(4 * PG, NULL);
	unsigned char *p = MAP_SH(fd, 4 * PG);
	fill(p, 4 * PG, 41);
	CHECK_RET(PIN_CALL(fd, ASHMEM_UNPIN, 0, 0), 0);
	CHECK_RET(PIN_CALL(fd, ASHMEM_PIN, 0, 0), ASHMEM_NOT_PURGED);
	CHECK_PATTERN(p, 4 * PG, 41, 0, "region after unpin and pin");
	CHECK_OK(close(fd));
}

static void purge_returns_unpinned_page_count(void)
{
	int fd = region(8 * PG, NULL);
	MAP_SH(fd, 8 * PG);
	long base = purge_baseline(fd);
	CHECK_RET(PIN_CALL(fd, ASHMEM_UNPIN, PG, 3 * PG), 0);
	CHECK_RET(PIN_CALL(fd, ASHMEM_UNPIN, 6 * PG, PG), 0);
	CHECK_RET(purge_all(fd), base + 4);
	/* purged pages are not counted again */
	CHECK_RET(purge_all(fd), base);
	CHECK_OK(close(fd));
}

static void purge_counts_every_region(void)
{
	int a = region(4 * PG, "purge-a");
	int b = region(8 * PG, "purge-b");
	int c = region(4 * PG, "purge-c");
	MAP_SH(a, 4 * PG);
	MAP(8 * PG, PROT_READ, MAP_PRIVATE, b, 0);
	MAP_SH(c, 4 * PG);
	long base = purge_baseline(a);
	CHECK_RET(PIN_CALL(a, ASHMEM_UNPIN, 0, 2 * PG), 0);
	CHECK_RET(PIN_CALL(b, ASHMEM_UNPIN, 5 * PG, 0), 0);
	CHECK_RET(purge_all(c), base + 5);
	CHECK_RET(PIN_CALL(a, ASHMEM_PIN, 0, 0), ASHMEM_WAS_PURGED);
	CHECK_RET(PIN_CALL(b, ASHMEM_PIN, 0, 0), ASHMEM_WAS_PURGED);
	CHECK_RET(PIN_CALL(c, ASHMEM_PIN, 0, 0), ASHMEM_NOT_PURGED);
	CHECK_OK(close(a));
	CHECK_OK(close(b));
	CHECK_OK(close(c));
}

/* Purged pages read back as zero, pinned pages of the same region keep their data. */
static void purged_pages_zero_pinned_pages_kept(void)
{
	int fd = region(4 * PG, NULL);
	unsigned char *p = MAP_SH(fd, 4 * PG);
	fill(p, 4 * PG, 42);
	long base = purge_baseline(fd);
	CHECK_RET(PIN_CALL(fd, ASHMEM_UNPIN, PG, PG), 0);
	CHECK_RET(purge_all(fd), base + 1);
	CHECK_RET(PIN_CALL(fd, ASHMEM_GET_PIN_STATUS, PG, PG), ASHMEM_IS_UNPINNED);
	CHECK_RET(PIN_CALL(fd, ASHMEM_PIN, PG, PG), ASHMEM_WAS_PURGED);
	CHECK_RET(PIN_CALL(fd, ASHMEM_PIN, PG, PG), ASHMEM_NOT_PURGED);
	CHECK_PATTERN(p, PG, 42, 0, "pinned page 0");
	CHECK_ZERO(p + PG, PG, "purged page 1 through the mapping");
	CHECK_PATTERN(p + 2 * PG, 2 * PG, 42, 2 * PG, "pinned pages 2-3");
	unsigned char *q = MAP(4 * PG, PROT_READ, MAP_SHARED, fd, 0);
	CHECK_ZERO(q + PG, PG, "purged page 1 through a new mapping");
	unsigned char buf[4 * PG];
	CHECK_RET(lseek(fd, 0, SEEK_SET), 0);
	CHECK_RET(read_full(fd, buf, sizeof(buf)), sizeof(buf));
	CHECK_PATTERN(buf, PG, 42, 0, "read() of page 0");
	CHECK_ZERO(buf + PG, PG, "read() of purged page 1");
	CHECK_PATTERN(buf + 2 * PG, 2 * PG, 42, 2 * PG, "read() of pages 2-3");
	/* the page is usable again */
	fill(p + PG, PG, 43);
	CHECK_PATTERN(q + PG, PG, 43, 0, "page 1 rebuilt");
	CHECK_OK(close(fd));
}

/* A purged range split by a partial PIN keeps its purged flag in both halves. */
static void purge_partial_pin_was_purged(void)
{
	int fd = region(4 * PG, NULL);
	unsigned char *p = MAP_SH(fd, 4 * PG);
	fill(p, 4 * PG, 44);
	long base = purge_baseline(fd);
	CHECK_RET(PIN_CALL(fd, ASHMEM_UNPIN, PG, 2 * PG), 0);
	CHECK_RET(purge_all(fd), base + 2);
	CHECK_RET(PIN_CALL(fd, ASHMEM_PIN, 2 * PG, PG), ASHMEM_WAS_PURGED);
	CHECK_RET(PIN_CALL(fd, ASHMEM_GET_PIN_STATUS, PG, PG), ASHMEM_IS_UNPINNED);
	CHECK_RET(PIN_CALL(fd, ASHMEM_GET_PIN_STATUS, 2 * PG, PG), ASHMEM_IS_PINNED);
	CHECK_RET(PIN_CALL(fd, ASHMEM_PIN, 0, 2 * PG), ASHMEM_WAS_PURGED);
	CHECK_ZERO(p + PG, 2 * PG, "purged pages 1-2");
	CHECK_PATTERN(p + 3 * PG, PG, 44, 3 * PG, "pinned page 3");
	CHECK_OK(close(fd));
}

/* UNPIN merges ranges it overlaps: pages 0-1 and 1-2 make one range of 3 pages. */
static void unpin_overlapping_ranges_merge(void)
{
	int fd = region(4 * PG, NULL);
	MAP_SH(fd, 4 * PG);
	long base = purge_baseline(fd);
	CHECK_RET(PIN_CALL(fd, ASHMEM_UNPIN, 0, 2 * PG), 0);
	CHECK_RET(PIN_CALL(fd, ASHMEM_UNPIN, PG, 2 * PG), 0);
	CHECK_RET(purge_all(fd), base + 3);
	CHECK_OK(close(fd));
}

/* An UNPIN inside a range already unpinned is a no-op (no page counted twice). */
static void unpin_inside_unpinned_range_noop(void)
{
	int fd = region(4 * PG, NULL);
	MAP_SH(fd, 4 * PG);
	long base = purge_baseline(fd);
	CHECK_RET(PIN_CALL(fd, ASHMEM_UNPIN, 0, 0), 0);
	CHECK_RET(PIN_CALL(fd, ASHMEM_UNPIN, PG, PG), 0);
	CHECK_RET(PIN_CALL(fd, ASHMEM_UNPIN, 0, 0), 0);
	CHECK_RET(purge_all(fd), base + 4);
	CHECK_OK(close(fd));
}

/* A purge only takes unpinned pages: re-pinned ones are left alone. */
static void repinned_pages_not_purged(void)
{
	int fd = region(2 * PG, NULL);
	unsigned char *p = MAP_SH(fd, 2 * PG);
	fill(p, 2 * PG, 45);
	long base = purge_baseline(fd);
	CHECK_RET(PIN_CALL(fd, ASHMEM_UNPIN, 0, 0), 0);
	CHECK_RET(PIN_CALL(fd, ASHMEM_PIN, 0, PG), ASHMEM_NOT_PURGED);
	CHECK_RET(purge_all(fd), base + 1);
	CHECK_PATTERN(p, PG, 45, 0, "re-pinned page 0");
	CHECK_ZERO(p + PG, PG, "purged page 1");
	CHECK_OK(close(fd));
}

/*
 * Accepted deviation: a region whose mask lost PROT_WRITE has a write-sealed memfd, which cannot
 * be hole-punched. Its unpinned pages are counted but stay, and PIN reports NOT_PURGED.
 */
static void purge_write_sealed_region_keeps_data(void)
{
	int fd = region(2 * PG, NULL);
	unsigned char *p = MAP_SH(fd, 2 * PG);
	fill(p, 2 * PG, 46);
	set_mask(fd, PROT_READ);
	long base = purge_baseline(fd);
	CHECK_RET(PIN_CALL(fd, ASHMEM_UNPIN, 0, 0), 0);
	CHECK_RET(purge_all(fd), base + 2);
	CHECK_RET(PIN_CALL(fd, ASHMEM_PIN, 0, 0), ASHMEM_NOT_PURGED);
	CHECK_PATTERN(p, 2 * PG, 46, 0, "sealed region after a purge");
	CHECK_OK(close(fd));
}

static void pin_daemon_still_answers(void)
{
	check_daemon_answers();
}

static const struct check_test tests[] = {
	CHECK_TEST(pin_unpin_status_after_map),
	CHECK_TEST(pin_after_private_map),
	CHECK_TEST(pin_unaligned_einval),
	CHECK_TEST(pin_len_0_means_to_the_end),
	CHECK_TEST(pin_overflow_einval),
	CHECK_TEST(pin_past_aligned_size_einval),
	CHECK_TEST(pin_len_0_at_the_end_is_empty),
	CHECK_TEST(pin_bad_pointer_efault),
	CHECK_TEST(pin_status_any_unpinned_page),
	CHECK_TEST(unpin_then_pin_keeps_data),
	CHECK_TEST(purge_returns_unpinned_page_count),
	CHECK_TEST(purge_counts_every_region),
	CHECK_TEST(purged_pages_zero_pinned_pages_kept),
	CHECK_TEST(purge_partial_pin_was_purged),
	CHECK_TEST(unpin_overlapping_ranges_merge),
	CHECK_TEST(unpin_inside_unpinned_range_noop),
	CHECK_TEST(repinned_pages_not_purged),
	CHECK_TEST(purge_write_sealed_region_keeps_data),
	CHECK_TEST(pin_daemon_still_answers),
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, tests, CHECK_COUNT(tests));
}
