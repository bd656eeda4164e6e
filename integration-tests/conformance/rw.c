/*
 * read(), write(), poll() and unknown ioctls before the first mapping. The driver's read gives
 * EOF for size 0 and EBADF while there is no backing file; it has no write (EINVAL), no poll
 * (always readable and writable) and no fsync (EINVAL); it answers every ioctl it does not know,
 * or knows under another size or direction, with ENOTTY. The VFS refuses write on an O_RDONLY fd
 * and read on an O_WRONLY fd with EBADF before the driver is asked.
 */
#include "../lib/check.h"

#include <sys/select.h>

static void read_size_0_is_eof(void)
{
	int fd = open_dev();
	char buf[64];
	CHECK_RET(read(fd, buf, sizeof(buf)), 0);
	CHECK_RET(read(fd, buf, 1), 0);
	CHECK_OK(close(fd));
}

static void read_sized_never_mapped_ebadf(void)
{
	int fd = open_dev();
	char buf[64];
	CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, 4096UL), 0);
	CHECK_ERRNO(read(fd, buf, sizeof(buf)), EBADF);
	CHECK_ERRNO(read(fd, buf, 1), EBADF);
	CHECK_OK(close(fd));
}

/* The size is what counts, not whether it was ever set. */
static void read_size_back_to_0_is_eof(void)
{
	int fd = open_dev();
	char buf[64];
	CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, 4096UL), 0);
	CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, 0UL), 0);
	CHECK_RET(read(fd, buf, sizeof(buf)), 0);
	CHECK_OK(close(fd));
}

static void read_rdonly_fd_same_rules(void)
{
	int fd = open_dev_flags(O_RDONLY | O_CLOEXEC);
	char buf[16];
	CHECK_RET(read(fd, buf, sizeof(buf)), 0);
	CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, 1UL), 0);
	CHECK_ERRNO(read(fd, buf, sizeof(buf)), EBADF);
	CHECK_OK(close(fd));
}

static void write_einval(void)
{
	int fd = open_dev();
	CHECK_ERRNO(write(fd, "x", 1), EINVAL);
	CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, 4096UL), 0);
	char buf[4096] = { 0 };
	CHECK_ERRNO(write(fd, buf, sizeof(buf)), EINVAL);
	CHECK_OK(close(fd));
}

static void write_on_rdonly_fd_ebadf(void)
{
	int fd = open_dev_flags(O_RDONLY | O_CLOEXEC);
	CHECK_ERRNO(write(fd, "x", 1), EBADF);
	CHECK_OK(close(fd));
}

static void read_on_wronly_fd_ebadf(void)
{
	int fd = open_dev_flags(O_WRONLY | O_CLOEXEC);
	char buf[16];
	CHECK_ERRNO(read(fd, buf, sizeof(buf)), EBADF);
	CHECK_OK(close(fd));
}

static void poll_readable_and_writable(void)
{
	int fd = open_dev();
	for (int i = 0; i < 3; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT | POLLPRI };
		CHECK_RET(poll(&p, 1, 1000), 1);
		CHECK(p.revents == (POLLIN | POLLOUT), "round %d: revents 0x%x, want 0x%x", i, p.revents,
		      POLLIN | POLLOUT);
	}
	CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, 4096UL), 0);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	CHECK_RET(poll(&p, 1, 1000), 1);
	CHECK(p.revents == POLLIN, "revents 0x%x, want POLLIN", p.revents);
	CHECK_OK(close(fd));
}

static void select_readable_and_writable(void)
{
	int fd = open_dev();
	fd_set r, w;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(fd, &r);
	FD_SET(fd, &w);
	struct timeval tv = { 1, 0 };
	CHECK_RET(select(fd + 1, &r, &w, NULL, &tv), 2);
	CHECK(FD_ISSET(fd, &r) && FD_ISSET(fd, &w), "not both readable and writable");
	CHECK_OK(close(fd));
}

static void fsync_einval(void)
{
	int fd = open_dev();
	CHECK_ERRNO(fsync(fd), EINVAL);
	CHECK_ERRNO(fdatasync(fd), EINVAL);
	CHECK_OK(close(fd));
}

static void expect_enotty(int fd, unsigned long cmd)
{
	errno = 0;
	long r = ioctl(fd, cmd, 0);
	int e = errno;
	CHECK(r == -1 && e == ENOTTY, "ioctl %#lx: expected -1 errno ENOTTY, got %ld%s%s", cmd, r,
	      r == -1 ? " errno " : "", r == -1 ? check_errname(e) : "");
}

static void ioctl_unknown_numbers_enotty(void)
{
	int fd = open_dev();
	expect_enotty(fd, _IO(__ASHMEMIOC, 12));
	expect_enotty(fd, _IO(__ASHMEMIOC, 0));
	expect_enotty(fd, _IO(__ASHMEMIOC, 0xff));
	expect_enotty(fd, 0xdeadbeefUL);
	expect_enotty(fd, _IO('A', 4)); /* another type byte with GET_SIZE's number */
	check_daemon_answers();
	CHECK_OK(close(fd));
}

/* The driver compares whole numbers: the right number under another size or direction is unknown. */
static void ioctl_wrong_size_or_direction_enotty(void)
{
	int fd = open_dev();
	expect_enotty(fd, _IO(__ASHMEMIOC, 1));                          /* SET_NAME without size */
	expect_enotty(fd, _IOW(__ASHMEMIOC, 1, int));                    /* SET_NAME, size 4 */
	expect_enotty(fd, _IOR(__ASHMEMIOC, 2, int));                    /* GET_NAME, size 4 */
	expect_enotty(fd, _IOW(__ASHMEMIOC, 2, char[ASHMEM_NAME_LEN]));  /* GET_NAME as a write */
	expect_enotty(fd, _IO(__ASHMEMIOC, 3));                          /* SET_SIZE without size */
	expect_enotty(fd, _IOR(__ASHMEMIOC, 4, int));                    /* GET_SIZE with a size */
	expect_enotty(fd, _IOW(__ASHMEMIOC, 6, int));                    /* GET_PROT_MASK as a write */
	expect_enotty(fd, _IOR(__ASHMEMIOC, 7, struct ashmem_pin));      /* PIN as a read */
	expect_enotty(fd, _IOW(__ASHMEMIOC, 9, struct ashmem_pin));      /* GET_PIN_STATUS with a size */
	expect_enotty(fd, _IOW(__ASHMEMIOC, 10, int));                   /* PURGE with a size */
	CHECK_RET(ioctl(fd, ASHMEM_GET_SIZE), 0);
	CHECK_OK(close(fd));
}

/* FIONREAD reaches the driver for anything but a regular file; ashmem does not know it. */
static void ioctl_fionread_enotty(void)
{
	int fd = open_dev();
	int n = -1;
	CHECK_ERRNO(ioctl(fd, FIONREAD, &n), ENOTTY);
	CHECK_OK(close(fd));
}

/* Random numbers outside the type bytes the VFS itself handles and ashmem's own. */
static void ioctl_random_numbers_enotty(void)
{
	int fd = open_dev();
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	fprintf(stderr, "ioctl_random_numbers_enotty: seed %u\n", seed);
	srand(seed);
	for (int i = 0; i < 32; i++) {
		unsigned long cmd;
		unsigned type;
		do {
			cmd = ((unsigned long)rand() << 16 ^ (unsigned long)rand()) & 0xffffffffUL;
			type = _IOC_TYPE(cmd);
		} while (type == __ASHMEMIOC || type == 0 || type == 'T' || type == 'X' || type == 'f' ||
			 type == 0x94 || type == 0x15);
		expect_enotty(fd, cmd);
	}
	CHECK_OK(close(fd));
}

/* The access mode does not gate ioctls. */
static void ioctls_on_rdonly_and_wronly_fds(void)
{
	int flags[] = { O_RDONLY, O_WRONLY };
	for (int i = 0; i < 2; i++) {
		int fd = open_dev_flags(flags[i] | O_CLOEXEC);
		char name[ASHMEM_NAME_LEN] = "mode-test";
		CHECK_RET(ioctl(fd, ASHMEM_SET_NAME, name), 0);
		memset(name, 0, sizeof(name));
		CHECK_RET(ioctl(fd, ASHMEM_GET_NAME, name), 0);
		CHECK_STR(name, "mode-test");
		CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, 4096UL), 0);
		CHECK_RET(ioctl(fd, ASHMEM_GET_SIZE), 4096);
		CHECK_RET(ioctl(fd, ASHMEM_SET_PROT_MASK, (unsigned long)PROT_READ), 0);
		CHECK_RET(ioctl(fd, ASHMEM_GET_PROT_MASK), PROT_READ);
		CHECK_OK(close(fd));
	}
}

/*
 * CUSE never forwards lseek: without the preload library it is the kernel's no-op returning 0
 * (an accepted deviation). With the library loaded it follows the driver: EINVAL for size 0.
 */
static void lseek_without_preload_is_noop(void)
{
	const char *pre = getenv("LD_PRELOAD");
	if (pre && strstr(pre, "ashmemd"))
		SKIP("the preload library is loaded; lseek follows the driver there");
	int fd = open_dev();
	CHECK_RET(lseek(fd, 100, SEEK_SET), 0);
	CHECK_RET(lseek(fd, 0, SEEK_END), 0);
	CHECK_OK(close(fd));
}

static void rw_daemon_still_answers(void)
{
	check_daemon_answers();
}

static const struct check_test tests[] = {
	CHECK_TEST(read_size_0_is_eof),
	CHECK_TEST(read_sized_never_mapped_ebadf),
	CHECK_TEST(read_size_back_to_0_is_eof),
	CHECK_TEST(read_rdonly_fd_same_rules),
	CHECK_TEST(write_einval),
	CHECK_TEST(write_on_rdonly_fd_ebadf),
	CHECK_TEST(read_on_wronly_fd_ebadf),
	CHECK_TEST(poll_readable_and_writable),
	CHECK_TEST(select_readable_and_writable),
	CHECK_TEST(fsync_einval),
	CHECK_TEST(ioctl_unknown_numbers_enotty),
	CHECK_TEST(ioctl_wrong_size_or_direction_enotty),
	CHECK_TEST(ioctl_fionread_enotty),
	CHECK_TEST(ioctl_random_numbers_enotty),
	CHECK_TEST(ioctls_on_rdonly_and_wronly_fds),
	CHECK_TEST(lseek_without_preload_is_noop),
	CHECK_TEST(rw_daemon_still_answers),
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, tests, CHECK_COUNT(tests));
}
