/*
 * ASHMEM_PURGE_ALL_CACHES: the caller (not the opener) needs CAP_SYS_ADMIN in its effective set,
 * otherwise EPERM; with it, the result is the number of pages it purges (>= 0). The capability is
 * the one the caller has at the time of the call.
 */
#include "../lib/check.h"

#include <linux/capability.h>
#include <sys/syscall.h>

/* Sets or clears CAP_SYS_ADMIN in the calling thread's effective set (permitted unchanged). */
static void effective_sys_admin(int on)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &hdr, data) != 0)
		FAIL("capget: %s", check_errname(errno));
	if (on)
		data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective |= CAP_TO_MASK(CAP_SYS_ADMIN);
	else
		data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	if (syscall(SYS_capset, &hdr, data) != 0)
		FAIL("capset: %s", check_errname(errno));
}

static void need_root(void)
{
	if (geteuid() != 0)
		SKIP("needs root");
}

static void purge_as_root_returns_count(void)
{
	need_root();
	int fd = open_dev();
	errno = 0;
	long r = ioctl(fd, ASHMEM_PURGE_ALL_CACHES);
	CHECK(r >= 0, "PURGE_ALL_CACHES as root: %ld errno %s", r, check_errname(errno));
	CHECK_OK(close(fd));
}

/* The fd was opened by root; the unprivileged caller is what counts. */
static void purge_as_nobody_eperm(void)
{
	need_root();
	int fd = open_dev();
	pid_t pid = fork();
	CHECK(pid >= 0, "fork: %s", check_errname(errno));
	if (pid == 0) {
		if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
			FAIL("dropping to uid 65534: %s", check_errname(errno));
		CHECK_ERRNO(ioctl(fd, ASHMEM_PURGE_ALL_CACHES), EPERM);
		int own = open_dev();
		CHECK_ERRNO(ioctl(own, ASHMEM_PURGE_ALL_CACHES), EPERM);
		_exit(0);
	}
	check_child_ok(pid, "uid 65534 child");
	CHECK_OK(close(fd));
}

/* uid 0 without CAP_SYS_ADMIN is refused; the same process with it back is served. */
static void purge_root_without_cap_sys_admin_eperm(void)
{
	need_root();
	int fd = open_dev();
	pid_t pid = fork();
	CHECK(pid >= 0, "fork: %s", check_errname(errno));
	if (pid == 0) {
		effective_sys_admin(0);
		CHECK_ERRNO(ioctl(fd, ASHMEM_PURGE_ALL_CACHES), EPERM);
		effective_sys_admin(1);
		errno = 0;
		long r = ioctl(fd, ASHMEM_PURGE_ALL_CACHES);
		CHECK(r >= 0, "with CAP_SYS_ADMIN back: %ld errno %s", r, check_errname(errno));
		_exit(0);
	}
	check_child_ok(pid, "capability child");
	CHECK_OK(close(fd));
}

static void purge_daemon_still_answers(void)
{
	check_daemon_answers();
}

static const struct check_test tests[] = {
	CHECK_TEST(purge_as_root_returns_count),
	CHECK_TEST(purge_as_nobody_eperm),
	CHECK_TEST(purge_root_without_cap_sys_admin_eperm),
	CHECK_TEST(purge_daemon_still_answers),
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, tests, CHECK_COUNT(tests));
}
