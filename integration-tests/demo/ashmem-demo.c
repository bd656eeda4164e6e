/*
 * ashmem-demo: what an Android process does with /dev/ashmem, one step per line. It creates a
 * region, names and sizes it, maps it, hands it to a second process over a Unix socket (as
 * binder hands fds between apps), unpins part of it, lets `ashmemctl purge` reclaim that part
 * (what the kernel's shrinker does under memory pressure) and pins it again, which reports
 * ASHMEM_WAS_PURGED and gives zeroed pages back.
 *
 * Run it with the preload library (LD_PRELOAD) so that mmap of the device reaches ashmemd's
 * broker. Exit status 0 when every step did what ashmem promises, 1 otherwise.
 *
 *   ashmem-demo [--hold]   --hold: afterwards a background process keeps the region open and
 *                          mapped, so that `ashmemctl regions` lists it; its pid is printed
 * Environment: ASHMEM_DEV (default /dev/ashmem), ASHMEMCTL (default: ashmemctl on PATH).
 */
#define _GNU_SOURCE
#include "../../native-headers/ashmem_abi.h"
#include "../lib/check.h"

#include <errno.h>
#include <fcntl.h>
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
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096u
#define PAGES 4u
#define NAME "demo-surface"
#define STEPS 9

static int step_no;
static int failed;

static void step(const char *what, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("[%d/%d] %-44s %s\n", ++step_no, STEPS, what, buf);
	fflush(stdout);
}

static void bad(const char *what, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("[%d/%d] %-44s FAILED: %s\n", ++step_no, STEPS, what, buf);
	fflush(stdout);
	failed = 1;
}

static void send_fd(int sock, int fd)
{
	if (fdpass_send(sock, fd) != 0)
		perror("sendmsg");
}

static int recv_fd(int sock)
{
	return fdpass_recv(sock);
}

/* The second process: gets the region's fd over the socket, maps it, reads what the first one
 * wrote and answers in the same memory. Exit status 0 when it read the expected text. */
static int second_process(int sock, const char *expect)
{
	int fd = recv_fd(sock);
	if (fd < 0)
		return 2;
	char *p = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 3;
	if (strcmp(p, expect) != 0)
		return 4;
	snprintf(p + PAGE, PAGE, "reply from pid %d", (int)getpid());
	munmap(p, PAGES * PAGE);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	const char *dev = getenv("ASHMEM_DEV") ? getenv("ASHMEM_DEV") : "/dev/ashmem";
	const char *ctl = getenv("ASHMEMCTL") ? getenv("ASHMEMCTL") : "ashmemctl";
	int hold = argc > 1 && strcmp(argv[1], "--hold") == 0;
	if (argc > 1 && !hold) {
		fprintf(stderr, "usage: %s [--hold]\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* 1. open */
	int fd = open(dev, O_RDWR | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		bad("open /dev/ashmem", "open(%s): %s", dev, strerror(errno));
		return 1;
	}
	step("open /dev/ashmem", "fd %d on char device %u:%u", fd, major(st.st_rdev), minor(st.st_rdev));

	/* 2. name */
	char name[ASHMEM_NAME_LEN] = NAME, got[ASHMEM_NAME_LEN] = "";
	if (ioctl(fd, ASHMEM_SET_NAME, name) != 0 || ioctl(fd, ASHMEM_GET_NAME, got) != 0 ||
	    strcmp(got, NAME) != 0)
		bad("ASHMEM_SET_NAME \"" NAME "\"", "%s (GET_NAME: \"%s\")", strerror(errno), got);
	else
		step("ASHMEM_SET_NAME \"" NAME "\"", "GET_NAME gives \"%s\"", got);

	/* 3. size */
	if (ioctl(fd, ASHMEM_SET_SIZE, (size_t)(PAGES * PAGE)) != 0)
		bad("ASHMEM_SET_SIZE 4 pages", "%s", strerror(errno));
	else
		step("ASHMEM_SET_SIZE 4 pages", "GET_SIZE gives %d bytes", ioctl(fd, ASHMEM_GET_SIZE));

	/* 4. map and write */
	char *p = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		bad("mmap 16 KiB MAP_SHARED", "%s", strerror(errno));
		return 1;
	}
	char msg[64];
	snprintf(msg, sizeof(msg), "hello from pid %d", (int)getpid());
	strcpy(p, msg);
	memset(p + 2 * PAGE, 'x', 2 * PAGE); /* pages 2-3: a cache the process can rebuild */
	step("mmap 16 KiB MAP_SHARED, write", "\"%s\" at page 0, pages 2-3 filled with 'x'", msg);

	/* 5. share with a second process */
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		bad("share with a second process", "socketpair: %s", strerror(errno));
		return 1;
	}
	pid_t child = fork();
	if (child == 0) {
		close(sv[0]);
		_exit(second_process(sv[1], msg));
	}
	close(sv[1]);
	send_fd(sv[0], fd);
	int status = 0;
	waitpid(child, &status, 0);
	close(sv[0]);
	char want[64];
	snprintf(want, sizeof(want), "reply from pid %d", (int)child);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || strcmp(p + PAGE, want) != 0)
		bad("share with a second process (SCM_RIGHTS)", "child %d status 0x%x, page 1: \"%.40s\"",
		    (int)child, status, p + PAGE);
	else
		step("share with a second process (SCM_RIGHTS)", "pid %d mapped it, read page 0, wrote \"%s\"",
		     (int)child, p + PAGE);

	/* 6. unpin pages 2-3 */
	struct ashmem_pin pin = { 2 * PAGE, 2 * PAGE };
	int r = ioctl(fd, ASHMEM_UNPIN, &pin);
	int ps = ioctl(fd, ASHMEM_GET_PIN_STATUS, &pin);
	if (r != 0 || ps != ASHMEM_IS_UNPINNED)
		bad("ASHMEM_UNPIN pages 2-3", "UNPIN %d, GET_PIN_STATUS %d (%s)", r, ps, strerror(errno));
	else
		step("ASHMEM_UNPIN pages 2-3", "GET_PIN_STATUS gives ASHMEM_IS_UNPINNED");

	/* 7. purge: the memory pressure a phone would see, on demand */
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "%s purge", ctl);
	unsetenv("LD_PRELOAD"); /* ashmemctl is a JVM: it needs no preload library */
	fflush(stdout);
	FILE *out = popen(cmd, "r");
	char line[256], summary[256] = "";
	while (out && fgets(line, sizeof(line), out)) {
		line[strcspn(line, "\n")] = 0;
		if (line[0] && !summary[0])
			snprintf(summary, sizeof(summary), "%s", line);
	}
	int pst = out ? pclose(out) : -1;
	if (pst != 0)
		bad("ashmemctl purge", "exit status %d: %s", pst, summary);
	else
		step("ashmemctl purge", "%s", summary);

	/* 8. pin again */
	r = ioctl(fd, ASHMEM_PIN, &pin);
	if (r != ASHMEM_WAS_PURGED)
		bad("ASHMEM_PIN pages 2-3", "returned %d, not ASHMEM_WAS_PURGED (%s)", r, strerror(errno));
	else
		step("ASHMEM_PIN pages 2-3", "ASHMEM_WAS_PURGED: page 2 now reads %s",
		     p[2 * PAGE] == 0 && p[4 * PAGE - 1] == 0 ? "zeros" : "OLD DATA");
	if (p[2 * PAGE] != 0 || p[4 * PAGE - 1] != 0)
		failed = 1;

	/* 9. the pinned pages kept their data */
	if (strcmp(p, msg) != 0 || strcmp(p + PAGE, want) != 0)
		bad("pages 0-1 stayed pinned", "page 0: \"%.40s\", page 1: \"%.40s\"", p, p + PAGE);
	else
		step("pages 0-1 stayed pinned", "still \"%s\" and \"%s\"", p, p + PAGE);

	if (hold && !failed) {
		pid_t holder = fork();
		if (holder == 0) {
			setsid();
			int null = open("/dev/null", O_RDWR);
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			for (;;)
				pause(); /* keeps fd and mapping: the region stays listed */
		}
		printf("pid %d keeps \"%s\" open and mapped (kill %d to release it)\n", (int)holder, NAME,
		       (int)holder);
	}
	printf("%s\n", failed ? "demo FAILED" : "demo done: every step behaved as ashmem specifies");
	return failed;
}
