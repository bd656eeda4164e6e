/*
 * read() and lseek() once a region has its backing memory. read() reads the region at the open
 * file's position and advances it; lseek() (the preload library's, through ASHMEMD_IOC_SEEK)
 * seeks it with the backing file's rules: SEEK_SET/CUR/END, SEEK_DATA/SEEK_HOLE where holes are
 * pages never written or purged, ENXIO for SEEK_DATA/SEEK_HOLE at or after the end. Before the
 * first mmap lseek is EINVAL for size 0 and EBADF otherwise.
 */
#include "mapping.h"

static void read_reads_content_and_advances(void)
{
	int fd = region(3 * PG, NULL);
	unsigned char *p = MAP_SH(fd, 3 * PG);
	fill(p, 3 * PG, 31);
	unsigned char buf[100];
	CHECK_RET(read(fd, buf, 100), 100);
	CHECK_PATTERN(buf, 100, 31, 0, "first read");
	CHECK_RET(read(fd, buf, 100), 100);
	CHECK_PATTERN(buf, 100, 31, 100, "second read");
	CHECK_RET(lseek(fd, 0, SEEK_CUR), 200);
	/* what a mapping writes later is what read() sees */
	p[200] = 0xab;
	CHECK_RET(read(fd, buf, 1), 1);
	CHECK(buf[0] == 0xab, "read 0x%02x after a write through the mapping", buf[0]);
	CHECK_OK(close(fd));
}

static void read_whole_region_then_eof(void)
{
	int fd = region(16 * PG, NULL);
	unsigned char *p = MAP_SH(fd, 16 * PG);
	fill(p, 16 * PG, 32);
	static unsigned char buf[32 * PG];
	CHECK_RET(read(fd, buf, sizeof(buf)), 16 * PG);
	CHECK_PATTERN(buf, 16 * PG, 32, 0, "one read of the whole region");
	CHECK_RET(read(fd, buf, sizeof(buf)), 0);
	CHECK_RET(read(fd, buf, 1), 0);
	CHECK_OK(close(fd));
}

/* An unaligned size ends the file there, although the mapping covers the whole page. */
static void read_stops_at_unaligned_size(void)
{
	int fd = region(5000, NULL);
	unsigned char *p = MAP_SH(fd, 2 * PG);
	fill(p, 2 * PG, 33);
	unsigned char buf[2 * PG];
	CHECK_RET(read(fd, buf, sizeof(buf)), 5000);
	CHECK_PATTERN(buf, 5000, 33, 0, "read");
	CHECK_RET(lseek(fd, 0, SEEK_END), 5000);
	CHECK_OK(close(fd));
}

static void lseek_set_cur_end(void)
{
	int fd = region(3 * PG, NULL);
	unsigned char *p = MAP_SH(fd, 3 * PG);
	fill(p, 3 * PG, 34);
	unsigned char buf[16];
	CHECK_RET(lseek(fd, 10, SEEK_SET), 10);
	CHECK_RET(read(fd, buf, 5), 5);
	CHECK_PATTERN(buf, 5, 34, 10, "read after SEEK_SET 10");
	CHECK_RET(lseek(fd, 0, SEEK_CUR), 15);
	CHECK_RET(lseek(fd, -5, SEEK_CUR), 10);
	CHECK_RET(lseek(fd, 4096, SEEK_CUR), 4106);
	CHECK_RET(read(fd, buf, 3), 3);
	CHECK_PATTERN(buf, 3, 34, 4106, "read after SEEK_CUR");
	CHECK_RET(lseek(fd, 0, SEEK_END), 3 * PG);
	CHECK_RET(lseek(fd, -1, SEEK_END), 3 * PG - 1);
	CHECK_RET(read(fd, buf, 16), 1);
	CHECK(buf[0] == pattern_byte(34, 3 * PG - 1), "last byte reads 0x%02x", buf[0]);
	CHECK_RET(lseek(fd, 0, SEEK_SET), 0);
	CHECK_RET(read(fd, buf, 4), 4);
	CHECK_PATTERN(buf, 4, 34, 0, "read after SEEK_SET 0");
	CHECK_OK(close(fd));
}

static void lseek_invalid_einval(void)
{
	int fd = region(2 * PG, NULL);
	MAP_SH(fd, 2 * PG);
	CHECK_RET(lseek(fd, 100, SEEK_SET), 100);
	CHECK_ERRNO(lseek(fd, -1, SEEK_SET), EINVAL);
	CHECK_ERRNO(lseek(fd, -101, SEEK_CUR), EINVAL);
	CHECK_ERRNO(lseek(fd, -(off_t)(2 * PG) - 1, SEEK_END), EINVAL);
	CHECK_ERRNO(lseek(fd, 0, 5), EINVAL);
	CHECK_ERRNO(lseek(fd, 0, 99), EINVAL);
	CHECK_RET(lseek(fd, 0, SEEK_CUR), 100); /* failures leave the position alone */
	CHECK_OK(close(fd));
}

static void lseek_past_end_then_read_eof(void)
{
	int fd = region(PG, NULL);
	MAP_SH(fd, PG);
	unsigned char buf[8];
	CHECK_RET(lseek(fd, 1000000, SEEK_SET), 1000000);
	CHECK_RET(read(fd, buf, sizeof(buf)), 0);
	CHECK_RET(lseek(fd, 10, SEEK_END), PG + 10);
	CHECK_RET(read(fd, buf, sizeof(buf)), 0);
	CHECK_OK(close(fd));
}

/* Pages are written through the mapping only (a read fault would make a page data as well). */
static void lseek_data_hole_written_pages(void)
{
	int fd = region(6 * PG, NULL);
	unsigned char *p = MAP_SH(fd, 6 * PG);
	p[0] = 1;          /* page 0 */
	p[2 * PG + 9] = 1; /* page 2 */
	p[3 * PG] = 1;     /* page 3 */
	CHECK_RET(lseek(fd, 0, SEEK_DATA), 0);
	CHECK_RET(lseek(fd, 0, SEEK_HOLE), PG);
	CHECK_RET(lseek(fd, 100, SEEK_HOLE), PG);
	CHECK_RET(lseek(fd, PG, SEEK_DATA), 2 * PG);
	CHECK_RET(lseek(fd, PG + 1, SEEK_DATA), 2 * PG);
	CHECK_RET(lseek(fd, 2 * PG + 5, SEEK_DATA), 2 * PG + 5);
	CHECK_RET(lseek(fd, 2 * PG, SEEK_HOLE), 4 * PG);
	CHECK_RET(lseek(fd, 4 * PG, SEEK_HOLE), 4 * PG);
	CHECK_ERRNO(lseek(fd, 4 * PG, SEEK_DATA), ENXIO); /* only holes up to the end */
	CHECK_RET(lseek(fd, 5 * PG + 7, SEEK_HOLE), 5 * PG + 7);
	/* the position is where the last seek went: read from there */
	CHECK_RET(lseek(fd, PG, SEEK_DATA), 2 * PG);
	unsigned char buf[16];
	CHECK_RET(read(fd, buf, 16), 16);
	CHECK(buf[9] == 1 && buf[0] == 0, "read after SEEK_DATA: bytes 0x%02x 0x%02x", buf[0], buf[9]);
	CHECK_OK(close(fd));
}

static void lseek_data_hole_at_or_after_end_enxio(void)
{
	int fd = region(2 * PG, NULL);
	unsigned char *p = MAP_SH(fd, 2 * PG);
	memset(p, 1, 2 * PG);
	CHECK_ERRNO(lseek(fd, 2 * PG, SEEK_DATA), ENXIO);
	CHECK_ERRNO(lseek(fd, 2 * PG, SEEK_HOLE), ENXIO);
	CHECK_ERRNO(lseek(fd, 2 * PG + 1, SEEK_DATA), ENXIO);
	CHECK_ERRNO(lseek(fd, 100 * PG, SEEK_HOLE), ENXIO);
	CHECK_ERRNO(lseek(fd, -1, SEEK_DATA), ENXIO);
	CHECK_RET(lseek(fd, 2 * PG - 1, SEEK_HOLE), 2 * PG); /* the end counts as a hole */
	CHECK_RET(lseek(fd, 0, SEEK_HOLE), 2 * PG);
	CHECK_OK(close(fd));

	/* an unaligned size ends the file inside its last page */
	fd = region(5000, NULL);
	p = MAP_SH(fd, 2 * PG);
	memset(p, 1, 2 * PG);
	CHECK_ERRNO(lseek(fd, 5000, SEEK_DATA), ENXIO);
	CHECK_RET(lseek(fd, 4999, SEEK_DATA), 4999);
	CHECK_RET(lseek(fd, 4096, SEEK_HOLE), 5000);
	CHECK_OK(close(fd));
}

/* Purged pages are holes again. */
static void lseek_purged_pages_are_holes(void)
{
	int fd = region(4 * PG, NULL);
	unsigned char *p = MAP_SH(fd, 4 * PG);
	memset(p, 7, 4 * PG);
	CHECK_RET(lseek(fd, 0, SEEK_HOLE), 4 * PG);
	CHECK_RET(PIN_CALL(fd, ASHMEM_UNPIN, PG, 2 * PG), 0);
	purge_all(fd);
	CHECK_RET(lseek(fd, 0, SEEK_HOLE), PG);
	CHECK_RET(lseek(fd, PG, SEEK_DATA), 3 * PG);
	CHECK_RET(PIN_CALL(fd, ASHMEM_PIN, PG, 2 * PG), ASHMEM_WAS_PURGED);
	CHECK_OK(close(fd));
}

static void lseek_size_0_einval(void)
{
	int fd = open_dev();
	CHECK_ERRNO(lseek(fd, 0, SEEK_SET), EINVAL);
	CHECK_ERRNO(lseek(fd, 0, SEEK_END), EINVAL);
	CHECK_ERRNO(lseek(fd, 0, SEEK_DATA), EINVAL);
	CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, 4096UL), 0);
	CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, 0UL), 0);
	CHECK_ERRNO(lseek(fd, 10, SEEK_SET), EINVAL);
	CHECK_OK(close(fd));
}

static void lseek_never_mapped_ebadf(void)
{
	int fd = region(2 * PG, NULL);
	CHECK_ERRNO(lseek(fd, 0, SEEK_SET), EBADF);
	CHECK_ERRNO(lseek(fd, 0, SEEK_CUR), EBADF);
	CHECK_ERRNO(lseek(fd, 0, SEEK_END), EBADF);
	CHECK_ERRNO(lseek(fd, 0, SEEK_HOLE), EBADF);
	/* a refused mmap creates no backing */
	CHECK_ERRNO(mmap(NULL, 4 * PG, RW, MAP_SHARED, fd, 0), EINVAL);
	CHECK_ERRNO(lseek(fd, 0, SEEK_SET), EBADF);
	MAP_SH(fd, 2 * PG);
	CHECK_RET(lseek(fd, 7, SEEK_SET), 7);
	CHECK_OK(close(fd));
}

/* The position belongs to the open file: dup and fork share it. */
static void lseek_position_shared_by_dup_and_fork(void)
{
	int fd = region(2 * PG, NULL);
	unsigned char *p = MAP_SH(fd, 2 * PG);
	fill(p, 2 * PG, 35);
	int d = CHECK_OK(dup(fd));
	CHECK_RET(lseek(fd, 300, SEEK_SET), 300);
	CHECK_RET(lseek(d, 0, SEEK_CUR), 300);
	unsigned char buf[10];
	CHECK_RET(read(d, buf, 10), 10);
	CHECK_RET(lseek(fd, 0, SEEK_CUR), 310);
	pid_t pid = fork_or_fail();
	if (pid == 0) {
		CHECK_RET(lseek(fd, 0, SEEK_CUR), 310);
		CHECK_RET(lseek(fd, 1000, SEEK_SET), 1000);
		_exit(0);
	}
	check_child_ok(pid, "child");
	CHECK_RET(read(fd, buf, 1), 1);
	CHECK(buf[0] == pattern_byte(35, 1000), "after the child's seek, read 0x%02x", buf[0]);
	/* a separate open of the device is a separate position */
	int other = region(2 * PG, NULL);
	MAP_SH(other, 2 * PG);
	CHECK_RET(lseek(other, 0, SEEK_CUR), 0);
	CHECK_OK(close(fd));
	CHECK_OK(close(d));
	CHECK_OK(close(other));
}

/* Positions past 2 GiB: lseek64 reports them; a 32-bit off_t lseek cannot (EOVERFLOW). */
static void lseek64_large_position(void)
{
	int fd = region(PG, NULL);
	MAP_SH(fd, PG);
	off64_t big = (off64_t)3 << 30;
	CHECK(lseek64(fd, big, SEEK_SET) == big, "lseek64 to 3 GiB: %s", check_errname(errno));
	CHECK(lseek64(fd, 0, SEEK_CUR) == big, "lseek64 SEEK_CUR after 3 GiB");
	if (sizeof(off_t) == 4)
		CHECK_ERRNO(lseek(fd, 0, SEEK_CUR), EOVERFLOW);
	else
		CHECK_RET(lseek(fd, 0, SEEK_CUR), (long)big);
	unsigned char b;
	CHECK_RET(read(fd, &b, 1), 0);
	CHECK_OK(close(fd));
}

/* An O_RDONLY open maps read-only; read() and lseek() work as for any other. */
static void lseek_and_read_on_rdonly_fd(void)
{
	int fd = region_flags(3 * PG, NULL, O_RDONLY | O_CLOEXEC);
	MAP(3 * PG, PROT_READ, MAP_SHARED, fd, 0);
	unsigned char buf[8];
	CHECK_RET(lseek(fd, PG, SEEK_SET), PG);
	CHECK_RET(read(fd, buf, 8), 8);
	CHECK_ZERO(buf, 8, "read");
	CHECK_RET(lseek(fd, 0, SEEK_END), 3 * PG);
	CHECK_ERRNO(lseek(fd, 0, SEEK_DATA), ENXIO); /* never written: one hole */
	CHECK_OK(close(fd));
}

static void seek_daemon_still_answers(void)
{
	check_daemon_answers();
}

static const struct check_test tests[] = {
	CHECK_TEST(read_reads_content_and_advances),
	CHECK_TEST(read_whole_region_then_eof),
	CHECK_TEST(read_stops_at_unaligned_size),
	CHECK_TEST(lseek_set_cur_end),
	CHECK_TEST(lseek_invalid_einval),
	CHECK_TEST(lseek_past_end_then_read_eof),
	CHECK_TEST(lseek_data_hole_written_pages),
	CHECK_TEST(lseek_data_hole_at_or_after_end_enxio),
	CHECK_TEST(lseek_purged_pages_are_holes),
	CHECK_TEST(lseek_size_0_einval),
	CHECK_TEST(lseek_never_mapped_ebadf),
	CHECK_TEST(lseek_position_shared_by_dup_and_fork),
	CHECK_TEST(lseek64_large_position),
	CHECK_TEST(lseek_and_read_on_rdonly_fd),
	CHECK_TEST(seek_daemon_still_answers),
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, tests, CHECK_COUNT(tests));
}
