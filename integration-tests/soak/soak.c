/*
 * soak: many short-lived regions, each open/SET_NAME/SET_SIZE/GET_SIZE/GET_NAME/SET_PROT_MASK/
 * close, every answer checked. Used by suites/soak.sh, which measures the daemon between the
 * warm-up and the end.
 *
 *   soak WARMUP TOTAL
 *
 * Protocol on stdout (one line each):
 *   warm CYCLES ERRORS SECONDS      after WARMUP cycles; then waits for a line on stdin
 *   done CYCLES ERRORS SECONDS [FIRST ERROR]
 * Exit status 0 when every answer was right, 1 otherwise, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../../native-headers/ashmem_abi.h"

#define MAX_ERRORS 100 /* past this the daemon is broken; measuring it further means nothing */

static unsigned long errors;
static char first_error[300];

static void error(unsigned long cycle, const char *what, long got, int err)
{
	if (errors++ == 0)
		snprintf(first_error, sizeof(first_error), "cycle %lu: %s: got %ld (%s)", cycle, what, got,
			 got == -1 ? strerrorname_np(err) : "no error");
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void cycle(const char *dev, unsigned long i)
{
	char name[ASHMEM_NAME_LEN], got[ASHMEM_NAME_LEN];
	size_t size = 4096 * (1 + i % 16) + i % 7;
	long r;

	int fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		error(i, "open", -1, errno);
		return;
	}
	snprintf(name, sizeof(name), "soak-%d-%lu", (int)getpid(), i);
	if ((r = ioctl(fd, ASHMEM_SET_NAME, name)) != 0)
		error(i, "SET_NAME", r, errno);
	if ((r = ioctl(fd, ASHMEM_SET_SIZE, (unsigned long)size)) != 0)
		error(i, "SET_SIZE", r, errno);
	if ((r = ioctl(fd, ASHMEM_GET_SIZE)) != (long)size)
		error(i, "GET_SIZE", r, errno);
	memset(got, 0, sizeof(got));
	if ((r = ioctl(fd, ASHMEM_GET_NAME, got)) != 0)
		error(i, "GET_NAME", r, errno);
	else if (strcmp(got, name) != 0)
		error(i, "GET_NAME returned another name", 0, 0);
	if ((r = ioctl(fd, ASHMEM_SET_PROT_MASK, (unsigned long)PROT_READ)) != 0)
		error(i, "SET_PROT_MASK", r, errno);
	if ((r = close(fd)) != 0)
		error(i, "close", r, errno);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s WARMUP TOTAL\n", argv[0]);
		return 2;
	}
	unsigned long warmup = strtoul(argv[1], NULL, 10), total = strtoul(argv[2], NULL, 10);
	const char *dev = getenv("ASHMEM_DEV");
	if (!dev || !*dev)
		dev = "/dev/ashmem";
	setvbuf(stdout, NULL, _IOLBF, 0);

	double t0 = now();
	unsigned long i = 0;
	for (; i < total && errors < MAX_ERRORS; i++) {
		if (i == warmup) {
			char line[16];
			printf("warm %lu %lu %.2f\n", i, errors, now() - t0);
			if (!fgets(line, sizeof(line), stdin))
				return 2;
			t0 = now();
		}
		cycle(dev, i);
	}
	printf("done %lu %lu %.2f %s\n", i, errors, now() - t0, first_error);
	return errors ? 1 : 0;
}
