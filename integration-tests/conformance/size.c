/*
 * ASHMEM_SET_SIZE / ASHMEM_GET_SIZE before the first mapping: the size is the ioctl argument
 * itself (not a pointer), any value is kept as given (0 and unaligned included), and the fd's
 * access mode does not matter. The number depends on the caller's ABI: 0x40087703 for 64-bit,
 * 0x40047703 for 32-bit callers, and the driver's compat handler forwards numbers it does not
 * translate to the native handler, so a 32-bit caller may also use the 64-bit number.
 */
#include "../lib/check.h"

#define SET_SIZE_64 0x40087703u
#define SET_SIZE_32 0x40047703u

static void roundtrip(unsigned long size)
{
	int fd = open_dev();
	CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, size), 0);
	CHECK_RET(ioctl(fd, ASHMEM_GET_SIZE), (long)size);
	CHECK_OK(close(fd));
}

static void size_default_0(void)
{
	int fd = open_dev();
	CHECK_RET(ioctl(fd, ASHMEM_GET_SIZE), 0);
	CHECK_OK(close(fd));
}

static void size_roundtrip_0(void)
{
	roundtrip(0);
}

static void size_roundtrip_1(void)
{
	roundtrip(1);
}

static void size_roundtrip_4096(void)
{
	roundtrip(4096);
}

static void size_roundtrip_12345_unaligned(void)
{
	roundtrip(12345);
}

static void size_roundtrip_1_gib(void)
{
	roundtrip(1UL << 30);
}

static void size_last_set_wins(void)
{
	int fd = open_dev();
	CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, 8192UL), 0);
	CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, 3UL), 0);
	CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, 65537UL), 0);
	CHECK_RET(ioctl(fd, ASHMEM_GET_SIZE), 65537);
	CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, 0UL), 0);
	CHECK_RET(ioctl(fd, ASHMEM_GET_SIZE), 0);
	CHECK_OK(close(fd));
}

static void size_set_on_rdonly_fd(void)
{
	int fd = open_dev_flags(O_RDONLY | O_CLOEXEC);
	CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, 4096UL), 0);
	CHECK_RET(ioctl(fd, ASHMEM_GET_SIZE), 4096);
	CHECK_OK(close(fd));
}

static void size_set_on_wronly_fd(void)
{
	int fd = open_dev_flags(O_WRONLY | O_CLOEXEC);
	CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, 12288UL), 0);
	CHECK_RET(ioctl(fd, ASHMEM_GET_SIZE), 12288);
	CHECK_OK(close(fd));
}

/* The size does not leak between areas. */
static void size_is_per_open(void)
{
	int a = open_dev(), b = open_dev();
	CHECK_RET(ioctl(a, ASHMEM_SET_SIZE, 4096UL), 0);
	CHECK_RET(ioctl(b, ASHMEM_GET_SIZE), 0);
	CHECK_OK(close(a));
	CHECK_OK(close(b));
}

#if defined(__LP64__)
/* A 64-bit caller gets no compat translation: the 32-bit number is unknown. */
static void size_64bit_caller_32bit_number_enotty(void)
{
	int fd = open_dev();
	CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, 8192UL), 0);
	CHECK_ERRNO(ioctl(fd, SET_SIZE_32, 4096UL), ENOTTY);
	CHECK_RET(ioctl(fd, ASHMEM_GET_SIZE), 8192);
	CHECK_OK(close(fd));
}
#else
static void size_32bit_caller_own_number(void)
{
	int fd = open_dev();
	CHECK(ASHMEM_SET_SIZE == SET_SIZE_32, "ASHMEM_SET_SIZE is %#x", (unsigned)ASHMEM_SET_SIZE);
	CHECK_RET(ioctl(fd, SET_SIZE_32, 12345UL), 0);
	CHECK_RET(ioctl(fd, ASHMEM_GET_SIZE), 12345);
	CHECK_OK(close(fd));
}

/* The compat handler passes the native (64-bit) number through to the native handler. */
static void size_32bit_caller_64bit_number_accepted(void)
{
	int fd = open_dev();
	CHECK_RET(ioctl(fd, SET_SIZE_64, 4096UL), 0);
	CHECK_RET(ioctl(fd, ASHMEM_GET_SIZE), 4096);
	CHECK_OK(close(fd));
}
#endif

static void size_daemon_still_answers(void)
{
	check_daemon_answers();
}

static const struct check_test tests[] = {
	CHECK_TEST(size_default_0),
	CHECK_TEST(size_roundtrip_0),
	CHECK_TEST(size_roundtrip_1),
	CHECK_TEST(size_roundtrip_4096),
	CHECK_TEST(size_roundtrip_12345_unaligned),
	CHECK_TEST(size_roundtrip_1_gib),
	CHECK_TEST(size_last_set_wins),
	CHECK_TEST(size_set_on_rdonly_fd),
	CHECK_TEST(size_set_on_wronly_fd),
	CHECK_TEST(size_is_per_open),
#if defined(__LP64__)
	CHECK_TEST(size_64bit_caller_32bit_number_enotty),
#else
	CHECK_TEST(size_32bit_caller_own_number),
	CHECK_TEST(size_32bit_caller_64bit_number_accepted),
#endif
	CHECK_TEST(size_daemon_still_answers),
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, tests, CHECK_COUNT(tests));
}
