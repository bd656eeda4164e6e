/*
 * ASHMEM_PIN / ASHMEM_UNPIN / ASHMEM_GET_PIN_STATUS and ASHMEM_GET_FILE_ID before the first
 * mapping. The pin commands copy their struct ashmem_pin first (a bad pointer is EFAULT) and
 * only then find that there is no backing file yet (EINVAL). GET_FILE_ID checks the backing
 * file first, so without one it is EINVAL whatever the pointer.
 */
#include "../lib/check.h"

static const unsigned long pin_cmds[] = { ASHMEM_PIN, ASHMEM_UNPIN, ASHMEM_GET_PIN_STATUS };
static const char *const pin_names[] = { "PIN", "UNPIN", "GET_PIN_STATUS" };

static void all_pin_cmds(int fd, void *arg, int want_errno)
{
	for (int i = 0; i < 3; i++) {
		errno = 0;
		long r = ioctl(fd, pin_cmds[i], arg);
		int e = errno;
		CHECK(r == -1 && e == want_errno, "%s(%p): expected -1 errno %s, got %ld%s%s", pin_names[i],
		      arg, check_errname(want_errno), r, r == -1 ? " errno " : "",
		      r == -1 ? check_errname(e) : "");
	}
}

static void pin_before_mmap_einval(void)
{
	int fd = open_dev();
	CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, 4UL * 4096), 0);
	struct ashmem_pin pin = { 0, 4096 };
	all_pin_cmds(fd, &pin, EINVAL);
	CHECK_OK(close(fd));
}

static void pin_size_0_before_mmap_einval(void)
{
	int fd = open_dev();
	struct ashmem_pin pin = { 0, 0 };
	all_pin_cmds(fd, &pin, EINVAL);
	CHECK_OK(close(fd));
}

/* Ranges that would be EINVAL anyway: still EINVAL (the missing file is found first). */
static void pin_bad_ranges_before_mmap_einval(void)
{
	int fd = open_dev();
	CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, 4096UL), 0);
	struct ashmem_pin pins[] = { { 0, 0 }, { 1, 1 }, { 4096 * 1000, 4096 }, { 0xfffff000u, 0x2000 } };
	for (size_t i = 0; i < CHECK_COUNT(pins); i++)
		all_pin_cmds(fd, &pins[i], EINVAL);
	CHECK_OK(close(fd));
}

static void pin_null_efault(void)
{
	int fd = open_dev();
	CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, 4096UL), 0);
	all_pin_cmds(fd, NULL, EFAULT);
	CHECK_OK(close(fd));
}

static void pin_high_pointer_efault(void)
{
	int fd = open_dev();
	all_pin_cmds(fd, bad_high_pointer(), EFAULT);
	CHECK_OK(close(fd));
}

static void pin_unmapped_pointer_efault(void)
{
	int fd = open_dev();
	CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, 4096UL), 0);
	all_pin_cmds(fd, guarded_boundary(1), EFAULT);
	all_pin_cmds(fd, guarded_boundary(0), EFAULT);
	CHECK_OK(close(fd));
}

/* Half of the struct readable: the copy of all 8 bytes faults. */
static void pin_struct_straddling_guard_efault(void)
{
	int fd = open_dev();
	char *b = guarded_boundary(0);
	memset(b - 4, 0, 4);
	all_pin_cmds(fd, b - 4, EFAULT);
	CHECK_OK(close(fd));
}

/* All 8 bytes readable, right before the guard: no fault, so EINVAL (never mapped). */
static void pin_struct_ending_at_guard_einval(void)
{
	int fd = open_dev();
	char *b = guarded_boundary(0);
	struct ashmem_pin pin = { 0, 4096 };
	memcpy(b - sizeof(pin), &pin, sizeof(pin));
	all_pin_cmds(fd, b - sizeof(pin), EINVAL);
	CHECK_OK(close(fd));
}

static void file_id_before_mmap_einval(void)
{
	int fd = open_dev();
	unsigned long id = 0x5a5a5a5aUL;
	CHECK_ERRNO(ioctl(fd, ASHMEM_GET_FILE_ID, &id), EINVAL);
	CHECK(id == 0x5a5a5a5aUL, "GET_FILE_ID wrote %#lx although it failed", id);
	CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, 4096UL), 0);
	CHECK_ERRNO(ioctl(fd, ASHMEM_GET_FILE_ID, &id), EINVAL);
	CHECK_OK(close(fd));
}

/* The missing file is found before the pointer is touched. */
static void file_id_before_mmap_bad_pointer_einval(void)
{
	int fd = open_dev();
	CHECK_ERRNO(ioctl(fd, ASHMEM_GET_FILE_ID, NULL), EINVAL);
	CHECK_ERRNO(ioctl(fd, ASHMEM_GET_FILE_ID, bad_high_pointer()), EINVAL);
	CHECK_ERRNO(ioctl(fd, ASHMEM_GET_FILE_ID, guarded_boundary(1)), EINVAL);
	CHECK_OK(close(fd));
}

static void pin_daemon_still_answers(void)
{
	check_daemon_answers();
}

static const struct check_test tests[] = {
	CHECK_TEST(pin_before_mmap_einval),
	CHECK_TEST(pin_size_0_before_mmap_einval),
	CHECK_TEST(pin_bad_ranges_before_mmap_einval),
	CHECK_TEST(pin_null_efault),
	CHECK_TEST(pin_high_pointer_efault),
	CHECK_TEST(pin_unmapped_pointer_efault),
	CHECK_TEST(pin_struct_straddling_guard_efault),
	CHECK_TEST(pin_struct_ending_at_guard_einval),
	CHECK_TEST(file_id_before_mmap_einval),
	CHECK_TEST(file_id_before_mmap_bad_pointer_einval),
	CHECK_TEST(pin_daemon_still_answers),
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, tests, CHECK_COUNT(tests));
}
