/*
 * Holds, leaks or churns ashmem regions for the admin suite, so that ashmemctl has something
 * real to show and to judge. Regions are opened on the ashmemd device, named, sized, mapped
 * (through the preload library) and touched, like a client would.
 *
 *   holder hold N NAME SIZE        open N regions and keep them until killed
 *   holder leak PERIOD_MS NAME SIZE  open one more region every PERIOD_MS, never closing any
 *   holder churn PERIOD_MS NAME SIZE open and close a region every PERIOD_MS (no growth)
 *   holder orphan NAME SIZE        hand a region to a child that keeps it, then exit
 *   holder pinned NAME SIZE        one region: first half pinned with data, second half unpinned
 *
 * It prints "ready" on stdout once its regions exist.
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

static const char *device(void)
{
	const char *d = getenv("ASHMEM_DEV");
	return d ? d : "/dev/ashmem";
}

static void die(const char *what)
{
	fprintf(stderr, "holder: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* A region named NAME of SIZE bytes, mapped and touched; the mapping is returned in *map. */
static int region(const char *name, size_t size, unsigned char **map)
{
	int fd = open(device(), O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("open");
	char buf[ASHMEM_NAME_LEN] = {0};
	snprintf(buf, sizeof buf, "%s", name);
	if (ioctl(fd, ASHMEM_SET_NAME, buf) < 0)
		die("ASHMEM_SET_NAME");
	if (ioctl(fd, ASHMEM_SET_SIZE, size) < 0)
		die("ASHMEM_SET_SIZE");
	unsigned char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	memset(p, 0x5a, size);
	if (map)
		*map = p;
	else
		munmap(p, size);
	return fd;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void ready(void)
{
	printf("ready\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: holder hold|leak|churn|orphan|pinned ...\n");
		return 64;
	}
	const char *mode = argv[1];
	if (!strcmp(mode, "hold") && argc == 5) {
		int n = atoi(argv[2]);
		for (int i = 0; i < n; i++) {
			char name[64];
			snprintf(name, sizeof name, "%s-%d", argv[3], i);
			region(name, strtoul(argv[4], NULL, 0), NULL);
		}
		ready();
		for (;;)
			pause();
	}
	if ((!strcmp(mode, "leak") || !strcmp(mode, "churn")) && argc == 5) {
		long period = atol(argv[2]);
		size_t size = strtoul(argv[4], NULL, 0);
		ready();
		for (;;) {
			int fd = region(argv[3], size, NULL);
			if (!strcmp(mode, "churn"))
				close(fd);
			sleep_ms(period);
		}
	}
	if (!strcmp(mode, "orphan") && argc == 4) {
		int fd = region(argv[2], strtoul(argv[3], NULL, 0), NULL);
		pid_t child = fork();
		if (child < 0)
			die("fork");
		if (child == 0) {
			/* the child keeps the inherited fd; its opener (the parent) is gone */
			for (;;)
				pause();
		}
		printf("ready %d\n", (int)child);
		fflush(stdout);
		(void)fd;
		return 0;
	}
	if (!strcmp(mode, "pinned") && argc == 4) {
		size_t size = strtoul(argv[3], NULL, 0);
		unsigned char *p;
		int fd = region(argv[2], size, &p);
		struct ashmem_pin pin = {(unsigned)(size / 2), 0};
		if (ioctl(fd, ASHMEM_UNPIN, &pin) < 0)
			die("ASHMEM_UNPIN");
		ready();
		for (;;)
			pause();
	}
	fprintf(stderr, "holder: bad arguments\n");
	return 64;
}
