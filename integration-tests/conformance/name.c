/*
 * ASHMEM_SET_NAME / ASHMEM_GET_NAME before the first mapping. The driver reads the name with
 * strncpy_from_user (at most 256 bytes, stopping at the NUL, so a string may end right before
 * an inaccessible page) and writes back strlen+1 bytes, or "dev/ashmem" (11 bytes) when no name
 * was set. Pointers that cannot be read or written give EFAULT and change nothing.
 */
#include "../lib/check.h"

#define MARK 0xa5

static void get_name_marked(int fd, unsigned char *buf)
{
	memset(buf, MARK, ASHMEM_NAME_LEN);
	CHECK_RET(ioctl(fd, ASHMEM_GET_NAME, buf), 0);
}

static void check_untouched_from(const unsigned char *buf, size_t from)
{
	for (size_t i = from; i < ASHMEM_NAME_LEN; i++)
		CHECK(buf[i] == MARK, "GET_NAME wrote byte %zu (0x%02x) past the name's NUL at %zu", i,
		      buf[i], from - 1);
}

static void set_name(int fd, const char *s)
{
	char buf[ASHMEM_NAME_LEN] = { 0 };
	snprintf(buf, sizeof(buf), "%s", s);
	CHECK_RET(ioctl(fd, ASHMEM_SET_NAME, buf), 0);
}

static void expect_name(int fd, const char *want)
{
	unsigned char buf[ASHMEM_NAME_LEN];
	get_name_marked(fd, buf);
	CHECK(memchr(buf, '\0', ASHMEM_NAME_LEN) != NULL, "GET_NAME left no NUL in 256 bytes");
	CHECK_STR((char *)buf, want);
	check_untouched_from(buf, strlen(want) + 1);
}

static void name_default_is_dev_ashmem_11_bytes(void)
{
	int fd = open_dev();
	unsigned char buf[ASHMEM_NAME_LEN];
	get_name_marked(fd, buf);
	CHECK(memcmp(buf, "dev/ashmem", 11) == 0, "got \"%.20s\"", (char *)buf);
	check_untouched_from(buf, 11);
	CHECK_OK(close(fd));
}

static void name_set_get_roundtrip(void)
{
	int fd = open_dev();
	set_name(fd, "hello-region");
	expect_name(fd, "hello-region");
	CHECK_OK(close(fd));
}

/* A shorter name replaces a longer one; GET_NAME writes only the new strlen+1 bytes. */
static void name_shorter_replaces_longer(void)
{
	int fd = open_dev();
	set_name(fd, "a-rather-long-region-name");
	set_name(fd, "ab");
	expect_name(fd, "ab");
	CHECK_OK(close(fd));
}

static void name_255_chars(void)
{
	int fd = open_dev();
	char name[ASHMEM_NAME_LEN];
	memset(name, 'x', 255);
	name[255] = '\0';
	CHECK_RET(ioctl(fd, ASHMEM_SET_NAME, name), 0);
	expect_name(fd, name);
	CHECK_OK(close(fd));
}

static void name_256_bytes_without_nul_keeps_255(void)
{
	int fd = open_dev();
	char name[ASHMEM_NAME_LEN], want[ASHMEM_NAME_LEN];
	memset(name, 'y', sizeof(name));
	CHECK_RET(ioctl(fd, ASHMEM_SET_NAME, name), 0);
	memset(want, 'y', 255);
	want[255] = '\0';
	expect_name(fd, want);
	CHECK_OK(close(fd));
}

/* The name is stored as bytes: every non-NUL byte value comes back unchanged. */
static void name_arbitrary_bytes_roundtrip(void)
{
	int fd = open_dev();
	char name[ASHMEM_NAME_LEN];
	for (int i = 0; i < 255; i++)
		name[i] = (char)(255 - i); /* 0xff down to 0x01 */
	name[255] = '\0';
	CHECK_RET(ioctl(fd, ASHMEM_SET_NAME, name), 0);
	unsigned char got[ASHMEM_NAME_LEN];
	get_name_marked(fd, got);
	for (int i = 0; i < 256; i++)
		CHECK((char)got[i] == name[i], "byte %d: got 0x%02x, want 0x%02x", i, got[i],
		      (unsigned char)name[i]);
	CHECK_OK(close(fd));
}

/* An empty name is no name: it is reported as the default again. */
static void name_empty_reports_default(void)
{
	int fd = open_dev();
	set_name(fd, "something");
	set_name(fd, "");
	expect_name(fd, "dev/ashmem");
	CHECK_OK(close(fd));
}

static void name_set_from_read_only_memory(void)
{
	int fd = open_dev();
	size_t ps = page_size();
	char *p = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED, "mmap: %s", check_errname(errno));
	strcpy(p, "from-ro-page");
	CHECK_OK(mprotect(p, ps, PROT_READ));
	CHECK_RET(ioctl(fd, ASHMEM_SET_NAME, p), 0);
	expect_name(fd, "from-ro-page");
	CHECK_OK(close(fd));
}

/* ---- strings next to an inaccessible page ---- */

/* The NUL is the last accessible byte: the driver's string copy stops there and succeeds. */
static void set_nul_last_byte_before_guard(int unmap)
{
	int fd = open_dev();
	char *b = guarded_boundary(unmap);
	static const char s[] = "edge-name";
	memcpy(b - sizeof(s), s, sizeof(s));
	CHECK_RET(ioctl(fd, ASHMEM_SET_NAME, b - sizeof(s)), 0);
	expect_name(fd, s);
	/* The same with a single-byte string: just the NUL, the last byte of the page. */
	b[-1] = '\0';
	CHECK_RET(ioctl(fd, ASHMEM_SET_NAME, b - 1), 0);
	expect_name(fd, "dev/ashmem");
	CHECK_OK(close(fd));
}

static void name_set_nul_before_prot_none_page(void)
{
	set_nul_last_byte_before_guard(0);
}

static void name_set_nul_before_unmapped_page(void)
{
	set_nul_last_byte_before_guard(1);
}

/* No NUL before the inaccessible page and fewer than 256 bytes: EFAULT, name unchanged. */
static void set_unterminated_into_guard(int unmap)
{
	int fd = open_dev();
	set_name(fd, "before");
	char *b = guarded_boundary(unmap);
	memset(b - 10, 'z', 10);
	CHECK_ERRNO(ioctl(fd, ASHMEM_SET_NAME, b - 10), EFAULT);
	memset(b - 255, 'z', 255);
	CHECK_ERRNO(ioctl(fd, ASHMEM_SET_NAME, b - 255), EFAULT);
	expect_name(fd, "before");
	CHECK_OK(close(fd));
}

static void name_set_unterminated_into_prot_none_efault(void)
{
	set_unterminated_into_guard(0);
}

static void name_set_unterminated_into_unmapped_efault(void)
{
	set_unterminated_into_guard(1);
}

/* 256 readable bytes without a NUL, ending at the page end: truncated to 255, no fault. */
static void name_set_256_unterminated_ending_at_guard(void)
{
	int fd = open_dev();
	char *b = guarded_boundary(0);
	memset(b - 256, 'q', 256);
	CHECK_RET(ioctl(fd, ASHMEM_SET_NAME, b - 256), 0);
	char want[ASHMEM_NAME_LEN];
	memset(want, 'q', 255);
	want[255] = '\0';
	expect_name(fd, want);
	CHECK_OK(close(fd));
}

/* GET_NAME needs exactly strlen+1 writable bytes, not 256. */
static void get_exact_room_before_guard(int unmap)
{
	int fd = open_dev();
	char *b = guarded_boundary(unmap);
	CHECK_RET(ioctl(fd, ASHMEM_GET_NAME, b - 11), 0);
	CHECK(memcmp(b - 11, "dev/ashmem", 11) == 0, "got \"%.11s\"", b - 11);
	set_name(fd, "abc");
	CHECK_RET(ioctl(fd, ASHMEM_GET_NAME, b - 4), 0);
	CHECK(memcmp(b - 4, "abc", 4) == 0, "got \"%.4s\"", b - 4);
	char name[ASHMEM_NAME_LEN];
	memset(name, 'n', 255);
	name[255] = '\0';
	CHECK_RET(ioctl(fd, ASHMEM_SET_NAME, name), 0);
	CHECK_RET(ioctl(fd, ASHMEM_GET_NAME, b - 256), 0);
	CHECK(memcmp(b - 256, name, 256) == 0, "255-byte name came back different");
	CHECK_OK(close(fd));
}

static void name_get_exact_room_before_prot_none_page(void)
{
	get_exact_room_before_guard(0);
}

static void name_get_exact_room_before_unmapped_page(void)
{
	get_exact_room_before_guard(1);
}

/* One byte too few before the inaccessible page: EFAULT. */
static void name_get_one_byte_short_efault(void)
{
	int fd = open_dev();
	char *b = guarded_boundary(0);
	CHECK_ERRNO(ioctl(fd, ASHMEM_GET_NAME, b - 10), EFAULT);
	set_name(fd, "abc");
	CHECK_ERRNO(ioctl(fd, ASHMEM_GET_NAME, b - 3), EFAULT);
	CHECK_OK(close(fd));
}

/* ---- bad pointers ---- */

static void name_set_null_efault(void)
{
	int fd = open_dev();
	set_name(fd, "kept");
	CHECK_ERRNO(ioctl(fd, ASHMEM_SET_NAME, NULL), EFAULT);
	expect_name(fd, "kept");
	CHECK_OK(close(fd));
}

static void name_get_null_efault(void)
{
	int fd = open_dev();
	CHECK_ERRNO(ioctl(fd, ASHMEM_GET_NAME, NULL), EFAULT);
	set_name(fd, "named");
	CHECK_ERRNO(ioctl(fd, ASHMEM_GET_NAME, NULL), EFAULT);
	CHECK_OK(close(fd));
}

static void name_high_pointer_efault(void)
{
	int fd = open_dev();
	set_name(fd, "kept");
	CHECK_ERRNO(ioctl(fd, ASHMEM_SET_NAME, bad_high_pointer()), EFAULT);
	CHECK_ERRNO(ioctl(fd, ASHMEM_GET_NAME, bad_high_pointer()), EFAULT);
	expect_name(fd, "kept");
	CHECK_OK(close(fd));
}

static void name_unmapped_pointer_efault(void)
{
	int fd = open_dev();
	char *b = guarded_boundary(1);
	CHECK_ERRNO(ioctl(fd, ASHMEM_SET_NAME, b), EFAULT);
	CHECK_ERRNO(ioctl(fd, ASHMEM_GET_NAME, b), EFAULT);
	char *n = guarded_boundary(0);
	CHECK_ERRNO(ioctl(fd, ASHMEM_SET_NAME, n), EFAULT);
	CHECK_ERRNO(ioctl(fd, ASHMEM_GET_NAME, n), EFAULT);
	expect_name(fd, "dev/ashmem");
	CHECK_OK(close(fd));
}

static void name_get_into_read_only_memory_efault(void)
{
	int fd = open_dev();
	size_t ps = page_size();
	char *p = mmap(NULL, ps, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED, "mmap: %s", check_errname(errno));
	CHECK_ERRNO(ioctl(fd, ASHMEM_GET_NAME, p), EFAULT);
	CHECK_OK(close(fd));
}

static void name_daemon_still_answers(void)
{
	check_daemon_answers();
}

static const struct check_test tests[] = {
	CHECK_TEST(name_default_is_dev_ashmem_11_bytes),
	CHECK_TEST(name_set_get_roundtrip),
	CHECK_TEST(name_shorter_replaces_longer),
	CHECK_TEST(name_255_chars),
	CHECK_TEST(name_256_bytes_without_nul_keeps_255),
	CHECK_TEST(name_arbitrary_bytes_roundtrip),
	CHECK_TEST(name_empty_reports_default),
	CHECK_TEST(name_set_from_read_only_memory),
	CHECK_TEST(name_set_nul_before_prot_none_page),
	CHECK_TEST(name_set_nul_before_unmapped_page),
	CHECK_TEST(name_set_unterminated_into_prot_none_efault),
	CHECK_TEST(name_set_unterminated_into_unmapped_efault),
	CHECK_TEST(name_set_256_unterminated_ending_at_guard),
	CHECK_TEST(name_get_exact_room_before_prot_none_page),
	CHECK_TEST(name_get_exact_room_before_unmapped_page),
	CHECK_TEST(name_get_one_byte_short_efault),
	CHECK_TEST(name_set_null_efault),
	CHECK_TEST(name_get_null_efault),
	CHECK_TEST(name_high_pointer_efault),
	CHECK_TEST(name_unmapped_pointer_efault),
	CHECK_TEST(name_get_into_read_only_memory_efault),
	CHECK_TEST(name_daemon_still_answers),
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, tests, CHECK_COUNT(tests));
}
