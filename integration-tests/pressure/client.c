/*
 * The ashmem client of the pressure suite: client N MIB KEEP READY opens N regions of MIB MiB on
 * the ashmemd device, maps them (through the preload library), fills region i with its own byte
 * (0x11 * (i + 1)), keeps regions 0..KEEP-1 pinned and unpins the others in ascending order (so
 * the daemon's least recently unpinned is KEEP). It then writes its pid to READY (atomically)
 * and waits for SIGUSR1; then it pins every unpinned region again and prints one line per region:
 *
 *   region I: pin=WAS_PURGED|NOT_PURGED|- data=PAGES zero=PAGES other=PAGES
 *
 * ("-": never unpinned; data: pages that still hold the region's byte; zero: pages of zeros).
 * The pages it writes are charged to its own memory cgroup. Exit status 2: a call failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../lib/check.h"

#define MAX_REGIONS 64

static volatile sig_atomic_t usr1;
static void on_usr1(int sig)
{
	(void)sig;
	usr1 = 1;
}

static unsigned char fill_of(int i)
{
	return (unsigned char)(0x11 * (i + 1));
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: client N MIB KEEP READY\n");
		return 64;
	}
	int n = atoi(argv[1]), keep = atoi(argv[3]);
	size_t size = strtoul(argv[2], NULL, 0) << 20;
	const char *dev = getenv("ASHMEM_DEV") ? getenv("ASHMEM_DEV") : "/dev/ashmem";
	if (n < 1 || n > MAX_REGIONS || keep < 0 || keep > n || size == 0) {
		fprintf(stderr, "client: bad arguments\n");
		return 64;
	}
	struct sigaction sa = {.sa_handler = on_usr1};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);

	int fds[MAX_REGIONS];
	unsigned char *maps[MAX_REGIONS];
	for (int i = 0; i < n; i++) {
		char name[ASHMEM_NAME_LEN] = {0};
		snprintf(name, sizeof name, "pressure-%d", i);
		fds[i] = open(dev, O_RDWR | O_CLOEXEC);
		if (fds[i] < 0)
			die_errno("region %d: open", i);
		if (ioctl(fds[i], ASHMEM_SET_NAME, name) < 0)
			die_errno("region %d: ASHMEM_SET_NAME", i);
		if (ioctl(fds[i], ASHMEM_SET_SIZE, size) < 0)
			die_errno("region %d: ASHMEM_SET_SIZE", i);
		maps[i] = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fds[i], 0);
		if (maps[i] == MAP_FAILED)
			die_errno("region %d: mmap", i);
		memset(maps[i], fill_of(i), size);
	}
	for (int i = keep; i < n; i++) {
		struct ashmem_pin pin = {0, (unsigned)size};
		if (ioctl(fds[i], ASHMEM_UNPIN, &pin) < 0)
			die_errno("region %d: ASHMEM_UNPIN", i);
	}

	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", argv[4]);
	FILE *f = fopen(tmp, "w");
	if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0 || rename(tmp, argv[4]) != 0)
		die_errno("ready file");

	while (!usr1)
		pause();

	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char *want = malloc(page), *zero = calloc(1, page);
	if (!want || !zero)
		die_errno("malloc");
	for (int i = 0; i < n; i++) {
		const char *pin = "-";
		if (i >= keep) {
			struct ashmem_pin p = {0, (unsigned)size};
			int r = ioctl(fds[i], ASHMEM_PIN, &p);
			if (r < 0)
				die_errno("region %d: ASHMEM_PIN", i);
			pin = r == ASHMEM_WAS_PURGED ? "WAS_PURGED" : r == ASHMEM_NOT_PURGED ? "NOT_PURGED" : "?";
		}
		memset(want, fill_of(i), page);
		size_t data = 0, zeros = 0, other = 0;
		for (size_t off = 0; off < size; off += page) {
			if (!memcmp(maps[i] + off, want, page))
				data++;
			else if (!memcmp(maps[i] + off, zero, page))
				zeros++;
			else
				other++;
		}
		printf("region %d: pin=%s data=%zu zero=%zu other=%zu\n", i, pin, data, zeros, other);
	}
	fflush(stdout);
	return 0;
}
