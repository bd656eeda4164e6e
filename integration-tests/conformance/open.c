/*
 * Opening the device the way Android's libcutils does: the node is a character device with a
 * non-zero st_rdev, reachable as /dev/ashmem and /dev/ashmem<boot_id> with the same st_rdev,
 * opened O_RDWR|O_CLOEXEC, mode 0666 so that unprivileged processes get in.
 */
#include "../lib/check.h"

/* The boot_id alias of ASHMEM_DEV: the same path with the boot id appended. */
static void alias_path(char *out, size_t len)
{
	char id[64] = { 0 };
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0, "open boot_id: %s", check_errname(errno));
	ssize_t n = read(fd, id, sizeof(id) - 1);
	CHECK(n > 0, "read boot_id: %s", check_errname(errno));
	close(fd);
	id[strcspn(id, "\n")] = '\0';
	snprintf(out, len, "%s%s", ashmem_dev(), id);
}

static void open_rdwr_cloexec_is_char_device(void)
{
	int fd = open_dev();
	struct stat st;
	CHECK_OK(fstat(fd, &st));
	CHECK(S_ISCHR(st.st_mode), "not a character device (st_mode 0%o)", st.st_mode);
	CHECK(st.st_rdev != 0, "st_rdev is 0");
	CHECK(CHECK_OK(fcntl(fd, F_GETFD)) & FD_CLOEXEC, "FD_CLOEXEC not set");
	CHECK((CHECK_OK(fcntl(fd, F_GETFL)) & O_ACCMODE) == O_RDWR, "not O_RDWR");
	CHECK_OK(close(fd));
}

static void open_boot_id_alias_same_rdev(void)
{
	char alias[512];
	struct stat a, b, fa, fb;
	alias_path(alias, sizeof(alias));
	CHECK(stat(ashmem_dev(), &a) == 0, "stat %s: %s", ashmem_dev(), check_errname(errno));
	CHECK(stat(alias, &b) == 0, "stat %s: %s", alias, check_errname(errno));
	CHECK(S_ISCHR(b.st_mode), "%s is not a character device", alias);
	CHECK(b.st_rdev != 0 && b.st_rdev == a.st_rdev, "st_rdev differs: %#llx vs %#llx",
	      (unsigned long long)b.st_rdev, (unsigned long long)a.st_rdev);
	/* libcutils: open the alias first, fstat, remember st_rdev, compare later fds with it. */
	int fd1 = open(alias, O_RDWR | O_CLOEXEC);
	CHECK(fd1 >= 0, "open %s: %s", alias, check_errname(errno));
	int fd2 = open_dev();
	CHECK_OK(fstat(fd1, &fa));
	CHECK_OK(fstat(fd2, &fb));
	CHECK(S_ISCHR(fa.st_mode) && fa.st_rdev != 0 && fa.st_rdev == fb.st_rdev,
	      "fstat st_rdev differs: %#llx vs %#llx", (unsigned long long)fa.st_rdev,
	      (unsigned long long)fb.st_rdev);
	CHECK_RET(ioctl(fd1, ASHMEM_GET_SIZE), 0);
	CHECK_OK(close(fd1));
	CHECK_OK(close(fd2));
}

static void open_node_mode_0666(void)
{
	char alias[512];
	struct stat st;
	alias_path(alias, sizeof(alias));
	CHECK_OK(stat(ashmem_dev(), &st));
	CHECK((st.st_mode & 07777) == 0666, "%s has mode 0%o", ashmem_dev(), st.st_mode & 07777);
	CHECK_OK(stat(alias, &st));
	CHECK((st.st_mode & 07777) == 0666, "%s has mode 0%o", alias, st.st_mode & 07777);
}

static void open_rdonly_and_wronly(void)
{
	int r = open_dev_flags(O_RDONLY | O_CLOEXEC);
	int w = open_dev_flags(O_WRONLY | O_CLOEXEC);
	CHECK_RET(ioctl(r, ASHMEM_GET_SIZE), 0);
	CHECK_RET(ioctl(w, ASHMEM_GET_SIZE), 0);
	CHECK_OK(close(r));
	CHECK_OK(close(w));
}

/* Android's apps are unprivileged: with mode 0666 they open and use the device. */
static void open_as_unprivileged_user(void)
{
	if (geteuid() != 0)
		SKIP("needs root to become uid 65534");
	pid_t pid = fork();
	CHECK(pid >= 0, "fork: %s", check_errname(errno));
	if (pid == 0) {
		if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
			FAIL("dropping to uid 65534: %s", check_errname(errno));
		int fd = open_dev();
		char name[ASHMEM_NAME_LEN] = "nobody";
		CHECK_RET(ioctl(fd, ASHMEM_SET_NAME, name), 0);
		memset(name, 0, sizeof(name));
		CHECK_RET(ioctl(fd, ASHMEM_GET_NAME, name), 0);
		CHECK_STR(name, "nobody");
		CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, (unsigned long)8192), 0);
		CHECK_RET(ioctl(fd, ASHMEM_GET_SIZE), 8192);
		CHECK_OK(close(fd));
		_exit(0);
	}
	check_child_ok(pid, "unprivileged child");
}

/* Every open is its own area: many at once keep their own sizes. */
static void open_many_at_once(void)
{
	enum { N = 64 };
	int fds[N];
	for (int i = 0; i < N; i++) {
		fds[i] = open_dev();
		CHECK_RET(ioctl(fds[i], ASHMEM_SET_SIZE, (unsigned long)(4096 + i)), 0);
	}
	for (int i = 0; i < N; i++)
		CHECK_RET(ioctl(fds[i], ASHMEM_GET_SIZE), 4096 + i);
	for (int i = 0; i < N; i++)
		CHECK_OK(close(fds[i]));
}

static void open_daemon_still_answers(void)
{
	check_daemon_answers();
}

static const struct check_test tests[] = {
	CHECK_TEST(open_rdwr_cloexec_is_char_device),
	CHECK_TEST(open_boot_id_alias_same_rdev),
	CHECK_TEST(open_node_mode_0666),
	CHECK_TEST(open_rdonly_and_wronly),
	CHECK_TEST(open_as_unprivileged_user),
	CHECK_TEST(open_many_at_once),
	CHECK_TEST(open_daemon_still_answers),
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, tests, CHECK_COUNT(tests));
}
