/*
 * Holds, leaks or churns ashmem regions for the admin suite, so that ashmemctl has something
 * real to show and to judge. Regions are opened on the ashmemd device, named, sized, mapped
 * (through the preload library) and touched, like a client would.
 *
 *   holder hold N NAME SIZE          open N regions (NAME-0...), keep them mapped until killed
 *   holder leak PERIOD_MS NAME SIZE  open, map and touch one more region every PERIOD_MS,
 *                                    never unmapping or closing any
 *   holder churn PERIOD_MS NAME SIZE open, map, touch, unmap and close a region every PERIOD_MS
 *                                    (no growth)
 *   holder unmapped N NAME SIZE      open N regions (NAME-0...) and never map them
 *   holder orphan NAME SIZE          hand a region (its fd, mapping and an fd to its memfd) to a
 *                                    child that keeps it, then exit
 *   holder shared NAME SIZE          one region mapped by this process and a child that read
 *                                    every page of it (so both have it resident) and also holds
 *                                    an fd to its memfd
 *   holder pinned NAME SIZE          one region: first half pinned with data, second half
 *                                    unpinned; on SIGUSR1 pins the second half again, prints
 *                                    "pin RESULT head=DATA/PAGES tail=ZERO/PAGES" and exits
 *
 * It prints "ready" (orphan and shared: "ready CHILD_PID") on stdout once its regions exist.
 * Exit status 2: a system call failed (named on stderr).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../lib/check.h"

#define FILL 0x5a

/* A region named NAME of SIZE bytes, not mapped. */
static int open_region(const char *name, size_t size)
{
	int fd = open(ashmem_dev(), O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die_errno("open");
	char buf[ASHMEM_NAME_LEN] = {0};
	snprintf(buf, sizeof buf, "%s", name);
	if (ioctl(fd, ASHMEM_SET_NAME, buf) < 0)
		die_errno("ASHMEM_SET_NAME");
	if (ioctl(fd, ASHMEM_SET_SIZE, size) < 0)
		die_errno("ASHMEM_SET_SIZE");
	return fd;
}

/* A region named NAME of SIZE bytes, mapped and touched; the mapping is returned in *map, or
   unmapped when map is NULL. */
static int region(const char *name, size_t size, unsigned char **map)
{
	int fd = open_region(name, size);
	unsigned char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die_errno("mmap");
	memset(p, FILL, size);
	if (map)
		*map = p;
	else
		munmap(p, size);
	return fd;
}

/* An fd to the memfd behind a mapping, as a process that was handed the region's memory holds
   (the preload library closes its own after mapping). Needs CAP_SYS_ADMIN, as the suites have. */
static int memfd_of(const unsigned char *map, size_t size)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/map_files/%lx-%lx", (unsigned long)(uintptr_t)map,
		 (unsigned long)((uintptr_t)map + size));
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die_errno("%s", path);
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

static void forever(void)
{
	for (;;)
		pause();
}

static volatile sig_atomic_t usr1;
static void on_usr1(int sig)
{
	(void)sig;
	usr1 = 1;
}

/* Pages of [p, p + len) whose every byte is `value`. */
static size_t pages_all(const unsigned char *p, size_t len, unsigned char value)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), n = 0;
	for (size_t off = 0; off + page <= len; off += page) {
		size_t i = 0;
		while (i < page && p[off + i] == value)
			i++;
		n += i == page;
	}
	return n;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: holder hold|leak|churn|unmapped|orphan|shared|pinned ...\n");
		return 64;
	}
	const char *mode = argv[1];
	if ((!strcmp(mode, "hold") || !strcmp(mode, "unmapped")) && argc == 5) {
		int n = atoi(argv[2]);
		size_t size = strtoul(argv[4], NULL, 0);
		for (int i = 0; i < n; i++) {
			char name[64];
			unsigned char *p;
			snprintf(name, sizeof name, "%s-%d", argv[3], i);
			if (!strcmp(mode, "hold"))
				region(name, size, &p);
			else
				open_region(name, size);
		}
		ready();
		forever();
	}
	if ((!strcmp(mode, "leak") || !strcmp(mode, "churn")) && argc == 5) {
		long period = atol(argv[2]);
		size_t size = strtoul(argv[4], NULL, 0);
		ready();
		for (;;) {
			unsigned char *p;
			if (!strcmp(mode, "churn"))
				close(region(argv[3], size, NULL));
			else
				region(argv[3], size, &p);
			sleep_ms(period);
		}
	}
	if ((!strcmp(mode, "orphan") || !strcmp(mode, "shared")) && argc == 4) {
		size_t size = strtoul(argv[3], NULL, 0);
		unsigned char *p;
		int fd = region(argv[2], size, &p);
		int mfd = memfd_of(p, size);
		int done[2];
		if (pipe(done) < 0)
			die_errno("pipe");
		fflush(stdout);
		pid_t child = fork();
		if (child < 0)
			die_errno("fork");
		if (child == 0) {
			/* keeps the inherited fds and mapping; fork copies no page tables of a shared
			   mapping, so the child reads the pages to have them resident as well */
			size_t page = (size_t)sysconf(_SC_PAGESIZE);
			unsigned sum = 0;
			for (size_t off = 0; off < size; off += page)
				sum += ((volatile unsigned char *)p)[off];
			if (write(done[1], &sum, 1) != 1)
				die_errno("write");
			forever();
		}
		unsigned char b;
		if (read(done[0], &b, 1) != 1)
			die_errno("read");
		close(done[0]);
		close(done[1]);
		close(mfd);
		printf("ready %d\n", (int)child);
		fflush(stdout);
		if (!strcmp(mode, "orphan"))
			return 0; /* the opener is gone; its child still holds the region */
		(void)fd;
		forever();
	}
	if (!strcmp(mode, "pinned") && argc == 4) {
		size_t size = strtoul(argv[3], NULL, 0), half = size / 2;
		unsigned char *p;
		struct sigaction sa = {.sa_handler = on_usr1};
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGUSR1, &sa, NULL) < 0)
			die_errno("sigaction");
		int fd = region(argv[2], size, &p);
		struct ashmem_pin pin = {(unsigned)half, (unsigned)(size - half)};
		if (ioctl(fd, ASHMEM_UNPIN, &pin) < 0)
			die_errno("ASHMEM_UNPIN");
		ready();
		while (!usr1)
			pause();
		int r = ioctl(fd, ASHMEM_PIN, &pin);
		if (r < 0)
			die_errno("ASHMEM_PIN");
		size_t page = (size_t)sysconf(_SC_PAGESIZE);
		printf("pin %s head=%zu/%zu tail=%zu/%zu\n",
		       r == ASHMEM_WAS_PURGED ? "WAS_PURGED" : r == ASHMEM_NOT_PURGED ? "NOT_PURGED" : "?",
		       pages_all(p, half, FILL), half / page, pages_all(p + half, size - half, 0),
		       (size - half) / page);
		fflush(stdout);
		return 0;
	}
	fprintf(stderr, "holder: bad arguments\n");
	return 64;
}
