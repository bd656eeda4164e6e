/*
 * A caller of the restart suite that is left waiting: opens /dev/ashmem, sets a size, prints
 * "open", waits until GOFILE exists, then makes one ASHMEM_GET_SIZE call (not retried, whatever
 * it answers) and prints how it ended and how long it took:
 *
 *   held-call GOFILE
 *   -> "open" then "result=SIZE seconds=S" or "errno=NAME seconds=S"
 *
 * The suite starts the call while no daemon serves the device, so it waits in the kernel; what
 * ends the wait (a daemon answering, or the device's channel closing) is what the suite checks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../native-headers/ashmem_abi.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: held-call GOFILE\n");
		return 2;
	}
	int fd = open("/dev/ashmem", O_RDWR | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, ASHMEM_SET_SIZE, 4096UL) < 0) {
		printf("setup failed: %s\n", strerror(errno));
		return 1;
	}
	printf("open\n");
	fflush(stdout);
	struct stat st;
	while (stat(argv[1], &st) < 0)
		usleep(20000);
	double t0 = now();
	int r = ioctl(fd, ASHMEM_GET_SIZE, 0);
	int e = errno;
	if (r >= 0)
		printf("result=%d seconds=%.1f\n", r, now() - t0);
	else
		printf("errno=%s seconds=%.1f\n", strerrorname_np(e) ? strerrorname_np(e) : "?", now() - t0);
	return 0;
}
