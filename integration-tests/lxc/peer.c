/*
 * peer: one ashmem region shared between a process in an LXC container and one on the host,
 * through a path socket in a directory both see. Both sides map the region through the
 * preload library (LD_PRELOAD), so the mappings come from the broker of the daemon on the host.
 *
 *   peer host SOCKET
 *       listens on SOCKET (mode 0666), takes one region fd over SCM_RIGHTS, checks its name
 *       and size, maps it, checks the sender's pattern and writes its own into the second half
 *   peer container SOCKET DEVICE [UID]
 *       (in the container; as UID when given, switched to before an exec) opens DEVICE, names and sizes a region, maps it,
 *       writes a pattern into the first half, sends the fd to the host side and, once the host
 *       answered, checks the host's pattern through its own mapping
 *
 * One line per step on stdout ("ok: ..." or "error: ..."); exit 0 when every step passed.
 */
#define _GNU_SOURCE
#include "../../native-headers/ashmem_abi.h"
#include "../lib/check.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#define REGION_NAME "lxc-peer"
#define REGION_SIZE ((size_t)8 * 4096)
#define HALF (REGION_SIZE / 2)
#define SEED_CONTAINER 0x5a
#define SEED_HOST 0xa7

static const char *role = "peer";

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("error: %s: ", role);
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
	exit(1);
}

static void ok(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("ok: %s: ", role);
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
}

static unsigned char byte_at(unsigned seed, size_t i)
{
	return (unsigned char)(seed ^ (i * 31) ^ (i >> 8));
}

static void fill(unsigned char *p, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = byte_at(seed, i);
}

static void expect(const unsigned char *p, size_t len, unsigned seed, const char *what)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != byte_at(seed, i))
			die("%s: byte %zu is 0x%02x, expected 0x%02x", what, i, p[i], byte_at(seed, i));
	ok("%s: %zu bytes as written", what, len);
}

static struct sockaddr_un address(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path)
		die("socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	return sa;
}

static void send_fd(int sock, int fd)
{
	if (fdpass_send(sock, fd) != 0)
		die("sendmsg(SCM_RIGHTS): %s", strerror(errno));
}

static int recv_fd(int sock)
{
	int fd = fdpass_recv(sock);
	if (fd < 0)
		die("recvmsg: no fd received: %s", strerror(errno));
	return fd;
}

static void check_region(int fd, const char *where)
{
	char name[ASHMEM_NAME_LEN] = { 0 };
	if (ioctl(fd, ASHMEM_GET_NAME, name) != 0)
		die("%s: GET_NAME: %s", where, strerror(errno));
	if (strcmp(name, REGION_NAME) != 0)
		die("%s: GET_NAME is \"%s\", expected \"%s\"", where, name, REGION_NAME);
	long size = ioctl(fd, ASHMEM_GET_SIZE);
	if (size != (long)REGION_SIZE)
		die("%s: GET_SIZE is %ld (%s), expected %zu", where, size, size < 0 ? strerror(errno) : "",
		    REGION_SIZE);
	ok("%s: region \"%s\", %ld bytes", where, name, size);
}

static unsigned char *map_shared(int fd)
{
	void *p = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap of %zu bytes, MAP_SHARED: %s (is LD_PRELOAD the preload library and the broker reachable?)",
		    REGION_SIZE, strerror(errno));
	return p;
}

static int host(const char *path)
{
	role = "host";
	int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = address(path);
	unlink(path);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(ls, 1) != 0)
		die("listen on %s: %s", path, strerror(errno));
	if (chmod(path, 0666) != 0) /* the container side may run as another uid */
		die("chmod %s: %s", path, strerror(errno));
	printf("listening\n");
	fflush(stdout);
	int s = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	if (s < 0)
		die("accept: %s", strerror(errno));
	int fd = recv_fd(s);
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISCHR(st.st_mode))
		die("the received fd is not a character device");
	ok("received fd of device %u:%u from the container", major(st.st_rdev), minor(st.st_rdev));
	check_region(fd, "received region");
	unsigned char *p = map_shared(fd);
	expect(p, HALF, SEED_CONTAINER, "the container's pattern through the host's mapping");
	fill(p + HALF, HALF, SEED_HOST);
	char done = 'D';
	if (write(s, &done, 1) != 1)
		die("answer: %s", strerror(errno));
	char bye;
	if (read(s, &bye, 1) != 1 || bye != 'B') /* the container checked the host's write */
		die("the container side did not confirm");
	ok("the container saw the host's write");
	unlink(path);
	return 0;
}

static int container(char *self, char *path, char *device, const char *uid)
{
	role = "container";
	if (uid) {
		/* Then exec, so that the process starts as that uid as any program would: a process that
		 * changed its uid without exec is not dumpable, which hides /proc/self/environ. */
		uid_t u = (uid_t)strtoul(uid, NULL, 10);
		if (setgroups(0, NULL) != 0 || setgid(u) != 0 || setuid(u) != 0)
			die("cannot switch to uid %s: %s", uid, strerror(errno));
		char *args[] = { self, "container", path, device, NULL };
		execv("/proc/self/exe", args);
		die("exec /proc/self/exe as uid %s: %s", uid, strerror(errno));
	}
	if (getuid() != 0)
		ok("running as uid %u", (unsigned)getuid());
	int fd = open(device, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("open(%s, O_RDWR): %s", device, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISCHR(st.st_mode))
		die("%s is not a character device", device);
	ok("opened %s (device %u:%u)", device, major(st.st_rdev), minor(st.st_rdev));
	char name[ASHMEM_NAME_LEN] = REGION_NAME;
	if (ioctl(fd, ASHMEM_SET_NAME, name) != 0)
		die("SET_NAME: %s", strerror(errno));
	if (ioctl(fd, ASHMEM_SET_SIZE, (unsigned long)REGION_SIZE) != 0)
		die("SET_SIZE %zu: %s", REGION_SIZE, strerror(errno));
	check_region(fd, "own region");
	unsigned char *p = map_shared(fd);
	fill(p, HALF, SEED_CONTAINER);
	ok("mapped through the preload library and wrote %zu bytes", HALF);

	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = address(path);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof sa) != 0)
		die("connect to the host side at %s: %s", path, strerror(errno));
	send_fd(s, fd);
	char done;
	if (read(s, &done, 1) != 1 || done != 'D')
		die("the host side did not answer (see its output)");
	expect(p + HALF, HALF, SEED_HOST, "the host's pattern through the container's mapping");
	char bye = 'B';
	if (write(s, &bye, 1) != 1)
		die("confirm: %s", strerror(errno));
	return 0;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 3 && strcmp(argv[1], "host") == 0)
		return host(argv[2]);
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "container") == 0)
		return container(argv[0], argv[2], argv[3], argc == 5 ? argv[4] : NULL);
	fprintf(stderr, "usage: %s host SOCKET | %s container SOCKET DEVICE [UID]\n", argv[0], argv[0]);
	return 2;
}
