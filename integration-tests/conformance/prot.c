/*
 * ASHMEM_SET_PROT_MASK / ASHMEM_GET_PROT_MASK: the mask starts as READ|WRITE|EXEC (7), bits can
 * only be removed (any bit the current mask lacks, high bits included, gives EINVAL), and under
 * a READ_IMPLIES_EXEC personality a mask with PROT_READ also gets PROT_EXEC, added after the
 * check. The mask is the argument itself; its number depends on the ABI like SET_SIZE's.
 */
#include "../lib/check.h"

#include <sys/personality.h>

#define SET_PROT_64 0x40087705u
#define SET_PROT_32 0x40047705u
#define RWX (PROT_READ | PROT_WRITE | PROT_EXEC)

static void prot_default_7(void)
{
	int fd = open_dev();
	CHECK_RET(ioctl(fd, ASHMEM_GET_PROT_MASK), RWX);
	CHECK_OK(close(fd));
}

static void prot_remove_exec(void)
{
	int fd = open_dev();
	CHECK_RET(ioctl(fd, ASHMEM_SET_PROT_MASK, (unsigned long)(PROT_READ | PROT_WRITE)), 0);
	CHECK_RET(ioctl(fd, ASHMEM_GET_PROT_MASK), PROT_READ | PROT_WRITE);
	CHECK_OK(close(fd));
}

static void prot_same_value_ok(void)
{
	int fd = open_dev();
	CHECK_RET(ioctl(fd, ASHMEM_SET_PROT_MASK, (unsigned long)RWX), 0);
	CHECK_RET(ioctl(fd, ASHMEM_GET_PROT_MASK), RWX);
	CHECK_OK(close(fd));
}

static void prot_removals_step_by_step(void)
{
	int fd = open_dev();
	CHECK_RET(ioctl(fd, ASHMEM_SET_PROT_MASK, (unsigned long)(PROT_READ | PROT_WRITE)), 0);
	CHECK_RET(ioctl(fd, ASHMEM_SET_PROT_MASK, (unsigned long)PROT_READ), 0);
	CHECK_RET(ioctl(fd, ASHMEM_GET_PROT_MASK), PROT_READ);
	CHECK_OK(close(fd));
}

static void prot_adding_back_einval(void)
{
	int fd = open_dev();
	CHECK_RET(ioctl(fd, ASHMEM_SET_PROT_MASK, (unsigned long)(PROT_READ | PROT_WRITE)), 0);
	CHECK_ERRNO(ioctl(fd, ASHMEM_SET_PROT_MASK, (unsigned long)RWX), EINVAL);
	CHECK_ERRNO(ioctl(fd, ASHMEM_SET_PROT_MASK, (unsigned long)PROT_EXEC), EINVAL);
	CHECK_RET(ioctl(fd, ASHMEM_GET_PROT_MASK), PROT_READ | PROT_WRITE);
	CHECK_RET(ioctl(fd, ASHMEM_SET_PROT_MASK, (unsigned long)PROT_WRITE), 0);
	CHECK_ERRNO(ioctl(fd, ASHMEM_SET_PROT_MASK, (unsigned long)PROT_READ), EINVAL);
	CHECK_RET(ioctl(fd, ASHMEM_GET_PROT_MASK), PROT_WRITE);
	CHECK_OK(close(fd));
}

static void prot_high_bits_einval(void)
{
	int fd = open_dev();
	CHECK_ERRNO(ioctl(fd, ASHMEM_SET_PROT_MASK, (unsigned long)(RWX | 0x8)), EINVAL);
	CHECK_ERRNO(ioctl(fd, ASHMEM_SET_PROT_MASK, 0x10UL), EINVAL);
	CHECK_ERRNO(ioctl(fd, ASHMEM_SET_PROT_MASK, 0x80000007UL), EINVAL);
	CHECK_ERRNO(ioctl(fd, ASHMEM_SET_PROT_MASK, ~0UL), EINVAL);
#if defined(__LP64__)
	CHECK_ERRNO(ioctl(fd, ASHMEM_SET_PROT_MASK, 0x100000007UL), EINVAL);
#endif
	CHECK_RET(ioctl(fd, ASHMEM_GET_PROT_MASK), RWX);
	CHECK_OK(close(fd));
}

static void prot_mask_zero(void)
{
	int fd = open_dev();
	CHECK_RET(ioctl(fd, ASHMEM_SET_PROT_MASK, 0UL), 0);
	CHECK_RET(ioctl(fd, ASHMEM_GET_PROT_MASK), 0);
	CHECK_ERRNO(ioctl(fd, ASHMEM_SET_PROT_MASK, (unsigned long)PROT_READ), EINVAL);
	CHECK_RET(ioctl(fd, ASHMEM_SET_PROT_MASK, 0UL), 0);
	CHECK_RET(ioctl(fd, ASHMEM_GET_PROT_MASK), 0);
	CHECK_OK(close(fd));
}

static void prot_on_rdonly_fd(void)
{
	int fd = open_dev_flags(O_RDONLY | O_CLOEXEC);
	CHECK_RET(ioctl(fd, ASHMEM_SET_PROT_MASK, (unsigned long)PROT_READ), 0);
	CHECK_RET(ioctl(fd, ASHMEM_GET_PROT_MASK), PROT_READ);
	CHECK_OK(close(fd));
}

static void prot_is_per_open(void)
{
	int a = open_dev(), b = open_dev();
	CHECK_RET(ioctl(a, ASHMEM_SET_PROT_MASK, 0UL), 0);
	CHECK_RET(ioctl(b, ASHMEM_GET_PROT_MASK), RWX);
	CHECK_OK(close(a));
	CHECK_OK(close(b));
}

/* fork(); in the child (0 returned) the READ_IMPLIES_EXEC personality is already set. */
static pid_t fork_read_implies_exec(void)
{
	pid_t pid = fork();
	CHECK(pid >= 0, "fork: %s", check_errname(errno));
	if (pid == 0 && personality(READ_IMPLIES_EXEC) == -1)
		FAIL("personality: %s", check_errname(errno));
	return pid;
}

/* Without the personality, PROT_READ stays PROT_READ (the baseline for the tests below). */
static void prot_read_only_without_personality(void)
{
	CHECK((personality(0xffffffff) & READ_IMPLIES_EXEC) == 0, "READ_IMPLIES_EXEC already set");
	int fd = open_dev();
	CHECK_RET(ioctl(fd, ASHMEM_SET_PROT_MASK, (unsigned long)(PROT_READ | PROT_WRITE)), 0);
	CHECK_RET(ioctl(fd, ASHMEM_SET_PROT_MASK, (unsigned long)PROT_READ), 0);
	CHECK_RET(ioctl(fd, ASHMEM_GET_PROT_MASK), PROT_READ);
	CHECK_OK(close(fd));
}

/*
 * Mask READ|WRITE, then SET_PROT_MASK(READ) from a READ_IMPLIES_EXEC process: the check passes
 * (READ is in the mask), then EXEC is added, so the mask becomes READ|EXEC (5), a bit the mask
 * did not have. The area is shared, so the parent sees it too.
 */
static void prot_read_implies_exec_adds_exec(void)
{
	int fd = open_dev();
	CHECK_RET(ioctl(fd, ASHMEM_SET_PROT_MASK, (unsigned long)(PROT_READ | PROT_WRITE)), 0);
	pid_t pid = fork_read_implies_exec();
	if (pid == 0) {
		CHECK(personality(0xffffffff) & READ_IMPLIES_EXEC, "personality did not stick");
		CHECK_RET(ioctl(fd, ASHMEM_SET_PROT_MASK, (unsigned long)PROT_READ), 0);
		CHECK_RET(ioctl(fd, ASHMEM_GET_PROT_MASK), PROT_READ | PROT_EXEC);
		_exit(0);
	}
	check_child_ok(pid, "READ_IMPLIES_EXEC child");
	CHECK_RET(ioctl(fd, ASHMEM_GET_PROT_MASK), PROT_READ | PROT_EXEC);
	CHECK_OK(close(fd));
}

/* Under the personality, a mask without PROT_READ gets no EXEC. */
static void prot_read_implies_exec_needs_read(void)
{
	int fd = open_dev();
	CHECK_RET(ioctl(fd, ASHMEM_SET_PROT_MASK, (unsigned long)(PROT_READ | PROT_WRITE)), 0);
	pid_t pid = fork_read_implies_exec();
	if (pid == 0) {
		CHECK_RET(ioctl(fd, ASHMEM_SET_PROT_MASK, (unsigned long)PROT_WRITE), 0);
		CHECK_RET(ioctl(fd, ASHMEM_GET_PROT_MASK), PROT_WRITE);
		CHECK_RET(ioctl(fd, ASHMEM_SET_PROT_MASK, 0UL), 0);
		CHECK_RET(ioctl(fd, ASHMEM_GET_PROT_MASK), 0);
		_exit(0);
	}
	check_child_ok(pid, "READ_IMPLIES_EXEC child");
	CHECK_OK(close(fd));
}

/* Under the personality, the check still comes first: adding a missing bit is EINVAL. */
static void prot_read_implies_exec_check_first(void)
{
	int fd = open_dev();
	CHECK_RET(ioctl(fd, ASHMEM_SET_PROT_MASK, (unsigned long)PROT_WRITE), 0);
	pid_t pid = fork_read_implies_exec();
	if (pid == 0) {
		CHECK_ERRNO(ioctl(fd, ASHMEM_SET_PROT_MASK, (unsigned long)PROT_READ), EINVAL);
		CHECK_RET(ioctl(fd, ASHMEM_GET_PROT_MASK), PROT_WRITE);
		_exit(0);
	}
	check_child_ok(pid, "READ_IMPLIES_EXEC child");
	CHECK_OK(close(fd));
}

#if defined(__LP64__)
static void prot_64bit_caller_32bit_number_enotty(void)
{
	int fd = open_dev();
	CHECK_ERRNO(ioctl(fd, SET_PROT_32, (unsigned long)PROT_READ), ENOTTY);
	CHECK_RET(ioctl(fd, ASHMEM_GET_PROT_MASK), RWX);
	CHECK_OK(close(fd));
}
#else
static void prot_32bit_caller_64bit_number_accepted(void)
{
	int fd = open_dev();
	CHECK(ASHMEM_SET_PROT_MASK == SET_PROT_32, "ASHMEM_SET_PROT_MASK is %#x",
	      (unsigned)ASHMEM_SET_PROT_MASK);
	CHECK_RET(ioctl(fd, SET_PROT_64, (unsigned long)(PROT_READ | PROT_WRITE)), 0);
	CHECK_RET(ioctl(fd, ASHMEM_GET_PROT_MASK), PROT_READ | PROT_WRITE);
	CHECK_ERRNO(ioctl(fd, SET_PROT_64, (unsigned long)RWX), EINVAL);
	CHECK_OK(close(fd));
}
#endif

static void prot_daemon_still_answers(void)
{
	check_daemon_answers();
}

static const struct check_test tests[] = {
	CHECK_TEST(prot_default_7),
	CHECK_TEST(prot_remove_exec),
	CHECK_TEST(prot_same_value_ok),
	CHECK_TEST(prot_removals_step_by_step),
	CHECK_TEST(prot_adding_back_einval),
	CHECK_TEST(prot_high_bits_einval),
	CHECK_TEST(prot_mask_zero),
	CHECK_TEST(prot_on_rdonly_fd),
	CHECK_TEST(prot_is_per_open),
	CHECK_TEST(prot_read_only_without_personality),
	CHECK_TEST(prot_read_implies_exec_adds_exec),
	CHECK_TEST(prot_read_implies_exec_needs_read),
	CHECK_TEST(prot_read_implies_exec_check_first),
#if defined(__LP64__)
	CHECK_TEST(prot_64bit_caller_32bit_number_enotty),
#else
	CHECK_TEST(prot_32bit_caller_64bit_number_accepted),
#endif
	CHECK_TEST(prot_daemon_still_answers),
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, tests, CHECK_COUNT(tests));
}
