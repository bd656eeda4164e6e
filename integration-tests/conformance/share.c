/*
 * One area per open file description: dup, fork and SCM_RIGHTS share it (changes through one fd
 * show through the others, in both directions), every open(), including a re-open through
 * /proc/self/fd, makes a new one, and the area lives until the last fd is closed.
 */
#include "../lib/check.h"

#include <sys/socket.h>
#include <sys/uio.h>

static void set_name(int fd, const char *s)
{
	char buf[ASHMEM_NAME_LEN] = { 0 };
	snprintf(buf, sizeof(buf), "%s", s);
	CHECK_RET(ioctl(fd, ASHMEM_SET_NAME, buf), 0);
}

static void expect_name(int fd, const char *want)
{
	char buf[ASHMEM_NAME_LEN] = { 0 };
	CHECK_RET(ioctl(fd, ASHMEM_GET_NAME, buf), 0);
	CHECK_STR(buf, want);
}

static void share_dup(void)
{
	int fd = open_dev();
	int d = CHECK_OK(dup(fd));
	set_name(fd, "via-original");
	CHECK_RET(ioctl(d, ASHMEM_SET_SIZE, 8192UL), 0);
	expect_name(d, "via-original");
	CHECK_RET(ioctl(fd, ASHMEM_GET_SIZE), 8192);
	CHECK_RET(ioctl(d, ASHMEM_SET_PROT_MASK, (unsigned long)PROT_READ), 0);
	CHECK_RET(ioctl(fd, ASHMEM_GET_PROT_MASK), PROT_READ);
	CHECK_OK(close(fd));
	CHECK_OK(close(d));
}

/* Closing one of two fds is not the last close: the area keeps its state. */
static void share_close_original_keeps_area(void)
{
	int fd = open_dev();
	int d = CHECK_OK(fcntl(fd, F_DUPFD_CLOEXEC, 100));
	set_name(fd, "survivor");
	CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, 12345UL), 0);
	CHECK_OK(close(fd));
	expect_name(d, "survivor");
	CHECK_RET(ioctl(d, ASHMEM_GET_SIZE), 12345);
	CHECK_OK(close(d));
}

static void share_fork_both_directions(void)
{
	int fd = open_dev();
	int to_child[2], to_parent[2];
	CHECK_OK(pipe(to_child));
	CHECK_OK(pipe(to_parent));
	set_name(fd, "from-parent");
	CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, 4096UL), 0);
	pid_t pid = fork();
	CHECK(pid >= 0, "fork: %s", check_errname(errno));
	if (pid == 0) {
		expect_name(fd, "from-parent");
		CHECK_RET(ioctl(fd, ASHMEM_GET_SIZE), 4096);
		set_name(fd, "from-child");
		CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, 8192UL), 0);
		check_step_signal(to_parent[1]);
		check_step_wait(to_child[0]);
		CHECK_RET(ioctl(fd, ASHMEM_GET_PROT_MASK), PROT_READ | PROT_WRITE);
		_exit(0);
	}
	check_step_wait(to_parent[0]);
	expect_name(fd, "from-child");
	CHECK_RET(ioctl(fd, ASHMEM_GET_SIZE), 8192);
	CHECK_RET(ioctl(fd, ASHMEM_SET_PROT_MASK, (unsigned long)(PROT_READ | PROT_WRITE)), 0);
	check_step_signal(to_child[1]);
	check_child_ok(pid, "child");
	/* The child's exit closed its copy; the parent's still holds the area. */
	expect_name(fd, "from-child");
	CHECK_OK(close(fd));
}

/* The receiver is a process that never had the fd: it gets the same area, both ways. */
static void share_scm_rights(void)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid_t pid = fork();
	CHECK(pid >= 0, "fork: %s", check_errname(errno));
	if (pid == 0) {
		close(sv[0]);
		int fd = check_recv_fd(sv[1]);
		struct stat st;
		CHECK_OK(fstat(fd, &st));
		CHECK(S_ISCHR(st.st_mode), "received fd is not a character device");
		expect_name(fd, "sent");
		CHECK_RET(ioctl(fd, ASHMEM_GET_SIZE), 4096);
		set_name(fd, "answered");
		CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, 65536UL), 0);
		CHECK_OK(close(fd));
		check_step_signal(sv[1]);
		_exit(0);
	}
	close(sv[1]);
	int fd = open_dev();
	set_name(fd, "sent");
	CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, 4096UL), 0);
	check_send_fd(sv[0], fd);
	check_step_wait(sv[0]);
	check_child_ok(pid, "receiver");
	expect_name(fd, "answered");
	CHECK_RET(ioctl(fd, ASHMEM_GET_SIZE), 65536);
	CHECK_OK(close(fd));
}

/* The sender may close its fd right after sending: the receiver's copy keeps the area. */
static void share_scm_rights_sender_closes_first(void)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	int fd = open_dev();
	set_name(fd, "orphan");
	check_send_fd(sv[0], fd);
	CHECK_OK(close(fd));
	int got = check_recv_fd(sv[1]);
	expect_name(got, "orphan");
	CHECK_OK(close(got));
}

static void share_two_opens_independent(void)
{
	int a = open_dev(), b = open_dev();
	set_name(a, "only-a");
	CHECK_RET(ioctl(a, ASHMEM_SET_SIZE, 4096UL), 0);
	CHECK_RET(ioctl(a, ASHMEM_SET_PROT_MASK, (unsigned long)PROT_READ), 0);
	expect_name(b, "dev/ashmem");
	CHECK_RET(ioctl(b, ASHMEM_GET_SIZE), 0);
	CHECK_RET(ioctl(b, ASHMEM_GET_PROT_MASK), PROT_READ | PROT_WRITE | PROT_EXEC);
	set_name(b, "only-b");
	expect_name(a, "only-a");
	CHECK_OK(close(a));
	CHECK_OK(close(b));
}

/* Opening /proc/self/fd/N opens the device again: a new, fresh area. */
static void share_reopen_via_proc_is_new_area(void)
{
	int fd = open_dev();
	set_name(fd, "first");
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	int again = open(path, O_RDWR | O_CLOEXEC);
	CHECK(again >= 0, "open %s: %s", path, check_errname(errno));
	expect_name(again, "dev/ashmem");
	expect_name(fd, "first");
	CHECK_OK(close(again));
	CHECK_OK(close(fd));
}

/* After the last close, a new open starts from the initial state. */
static void share_last_close_ends_area(void)
{
	for (int i = 0; i < 20; i++) {
		int fd = open_dev();
		expect_name(fd, "dev/ashmem");
		CHECK_RET(ioctl(fd, ASHMEM_GET_SIZE), 0);
		set_name(fd, "left-behind");
		CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, 4096UL), 0);
		CHECK_OK(close(fd));
	}
}

static void share_daemon_still_answers(void)
{
	check_daemon_answers();
}

static const struct check_test tests[] = {
	CHECK_TEST(share_dup),
	CHECK_TEST(share_close_original_keeps_area),
	CHECK_TEST(share_fork_both_directions),
	CHECK_TEST(share_scm_rights),
	CHECK_TEST(share_scm_rights_sender_closes_first),
	CHECK_TEST(share_two_opens_independent),
	CHECK_TEST(share_reopen_via_proc_is_new_area),
	CHECK_TEST(share_last_close_ends_area),
	CHECK_TEST(share_daemon_still_answers),
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, tests, CHECK_COUNT(tests));
}
