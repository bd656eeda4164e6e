/*
 * floor-check: drives cuse-floor through the real kernel CUSE path (ASHMEM_DEV names its node)
 * and checks what the kernel and the floor together must produce. It proves the VM's CUSE,
 * the unrestricted retry exchange and the compat (32-bit) path before any daemon exists.
 */
#include "../lib/check.h"

#define FLOOR_IO_RESULT 42

static void open_is_char_device(void)
{
	int fd = open_dev();
	struct stat st;
	CHECK_OK(fstat(fd, &st));
	CHECK(S_ISCHR(st.st_mode), "not a character device (mode 0%o)", st.st_mode);
	CHECK(st.st_rdev != 0, "st_rdev is 0");
	CHECK_OK(close(fd));
}

/* _IO commands are answered in one round with the floor's constant. */
static void io_commands_return_constant(void)
{
	int fd = open_dev();
	CHECK_RET(ioctl(fd, ASHMEM_GET_SIZE), FLOOR_IO_RESULT);
	CHECK_RET(ioctl(fd, ASHMEM_GET_PROT_MASK), FLOOR_IO_RESULT);
	CHECK_RET(ioctl(fd, ASHMEM_PURGE_ALL_CACHES), FLOOR_IO_RESULT);
	CHECK_RET(ioctl(fd, _IO(__ASHMEMIOC, 12)), FLOOR_IO_RESULT);
	CHECK_OK(close(fd));
}

/* The value travels in arg itself: this only works on an unrestricted device. */
static void value_commands(void)
{
	int fd = open_dev();
	CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, (unsigned long)12345), 0);
	CHECK_RET(ioctl(fd, ASHMEM_SET_PROT_MASK, (unsigned long)PROT_READ), 0);
	CHECK_OK(close(fd));
}

static void retry_in_set_name(void)
{
	int fd = open_dev();
	char name[ASHMEM_NAME_LEN] = "floor";
	CHECK_RET(ioctl(fd, ASHMEM_SET_NAME, name), 0);
	CHECK_OK(close(fd));
}

/* The kernel copies the caller's memory before round 2: a bad pointer never reaches the server. */
static void retry_in_bad_pointer_efault(void)
{
	int fd = open_dev();
	CHECK_ERRNO(ioctl(fd, ASHMEM_SET_NAME, NULL), EFAULT);
	CHECK_ERRNO(ioctl(fd, ASHMEM_PIN, NULL), EFAULT);
	CHECK_ERRNO(ioctl(fd, ASHMEM_SET_NAME, bad_high_pointer()), EFAULT);
	CHECK_OK(close(fd));
}

/* Round 2's reply bytes land in the caller's buffer, and no more than the reply carries. */
static void retry_out_get_name(void)
{
	int fd = open_dev();
	unsigned char buf[ASHMEM_NAME_LEN];
	memset(buf, 0xa5, sizeof(buf));
	CHECK_RET(ioctl(fd, ASHMEM_GET_NAME, buf), 0);
	CHECK_STR((char *)buf, ASHMEM_NAME_DEF);
	for (size_t i = sizeof(ASHMEM_NAME_DEF); i < sizeof(buf); i++)
		CHECK(buf[i] == 0xa5, "byte %zu overwritten", i);
	CHECK_ERRNO(ioctl(fd, ASHMEM_GET_NAME, NULL), EFAULT);
	CHECK_OK(close(fd));
}

static void retry_pin_struct(void)
{
	int fd = open_dev();
	struct ashmem_pin pin = { 0, 4096 };
	CHECK_RET(ioctl(fd, ASHMEM_PIN, &pin), 0);
	CHECK_RET(ioctl(fd, ASHMEM_UNPIN, &pin), 0);
	CHECK_RET(ioctl(fd, ASHMEM_GET_PIN_STATUS, &pin), 0);
	CHECK_OK(close(fd));
}

static void unknown_non_io_command_enotty(void)
{
	int fd = open_dev();
	CHECK_ERRNO(ioctl(fd, 0xdeadbeefUL, 0), ENOTTY);
	CHECK_ERRNO(ioctl(fd, _IOW(__ASHMEMIOC, 99, int), 0), ENOTTY);
	CHECK_OK(close(fd));
}

static void read_returns_eof(void)
{
	int fd = open_dev();
	char buf[64];
	CHECK_RET(read(fd, buf, sizeof(buf)), 0);
	CHECK_OK(close(fd));
}

/* The floor has no WRITE: libfuse answers ENOSYS and CUSE passes it through unchanged. */
static void write_enosys(void)
{
	int fd = open_dev();
	CHECK_ERRNO(write(fd, "x", 1), ENOSYS);
	CHECK_OK(close(fd));
}

/* No POLL handler: ENOSYS makes the kernel report readable+writable, like a driver without poll. */
static void poll_default_mask(void)
{
	int fd = open_dev();
	for (int i = 0; i < 2; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };
		CHECK_RET(poll(&p, 1, 0), 1);
		CHECK(p.revents == (POLLIN | POLLOUT), "revents 0x%x", p.revents);
	}
	CHECK_OK(close(fd));
}

/* What CUSE itself does, whatever the server: no mmap, lseek a no-op returning 0. */
static void cuse_mmap_enodev(void)
{
	int fd = open_dev();
	void *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(p == MAP_FAILED && errno == ENODEV, "mmap: expected ENODEV, got %s",
	      p == MAP_FAILED ? check_errname(errno) : "a mapping");
	CHECK_OK(close(fd));
}

static void cuse_lseek_noop(void)
{
	int fd = open_dev();
	CHECK_RET(lseek(fd, 4096, SEEK_SET), 0);
	CHECK_RET(lseek(fd, 0, SEEK_END), 0);
	CHECK_OK(close(fd));
}

static void many_opens(void)
{
	for (int i = 0; i < 200; i++) {
		int fd = open_dev();
		CHECK_RET(ioctl(fd, ASHMEM_GET_SIZE), FLOOR_IO_RESULT);
		CHECK_OK(close(fd));
	}
}

static const struct check_test tests[] = {
	CHECK_TEST(open_is_char_device),
	CHECK_TEST(io_commands_return_constant),
	CHECK_TEST(value_commands),
	CHECK_TEST(retry_in_set_name),
	CHECK_TEST(retry_in_bad_pointer_efault),
	CHECK_TEST(retry_out_get_name),
	CHECK_TEST(retry_pin_struct),
	CHECK_TEST(unknown_non_io_command_enotty),
	CHECK_TEST(read_returns_eof),
	CHECK_TEST(write_enosys),
	CHECK_TEST(poll_default_mask),
	CHECK_TEST(cuse_mmap_enodev),
	CHECK_TEST(cuse_lseek_noop),
	CHECK_TEST(many_opens),
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, tests, CHECK_COUNT(tests));
}
