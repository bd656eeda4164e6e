/*
 * load.c: PROCS client processes, each doing CYCLES full region cycles at once against the
 * device: open, SET_NAME, SET_SIZE, GET_SIZE, mmap (through the preload library), touch every
 * page, a random UNPIN/PIN of a page range (or of the whole region) with GET_PIN_STATUS, check
 * the data, munmap, close. Every answer is checked against the driver's; every call is timed.
 *
 *   load PROCS CYCLES SEED
 *
 * Prints "load procs P cycles C calls N errors E max_ms M p99_ms P p50_ms Q over_1s K" (per-call
 * latency over all processes), then up to 10 error lines. Exit status 0 when every answer was
 * right, 1 otherwise, 2 on a usage or setup error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../native-headers/ashmem_abi.h"

#define PG 4096UL
#define MAX_PAGES 8
/* Latency histogram: 100 us bins up to 2 s, then one overflow bin; the maximum is kept exactly. */
#define BIN_US 100
#define BINS (2 * 1000 * 1000 / BIN_US)

struct stats {
	uint64_t calls, errors, over_1s, max_us;
	uint64_t bins[BINS + 1];
	char first_errors[10][160];
};

static struct stats *st; /* this process's, in memory shared with the parent */
static uint64_t rng;
static unsigned below(unsigned n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (unsigned)((rng * 0x2545F4914F6CDD1DULL) % n);
}

static const char *device(void)
{
	const char *d = getenv("ASHMEM_DEV");
	return d && *d ? d : "/dev/ashmem";
}

static struct timespec t0;
static void start(void) { clock_gettime(CLOCK_MONOTONIC, &t0); }
static void stop(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	int64_t signed_us = ((int64_t)t.tv_sec - t0.tv_sec) * 1000000 + ((int64_t)t.tv_nsec - t0.tv_nsec) / 1000;
	uint64_t us = signed_us > 0 ? (uint64_t)signed_us : 0;
	st->calls++;
	st->bins[us / BIN_US < BINS ? us / BIN_US : BINS]++;
	if (us > st->max_us)
		st->max_us = us;
	if (us > 1000000)
		st->over_1s++;
}

static void error(unsigned cycle, const char *what, long got, const char *want)
{
	int e = errno;
	if (st->errors < 10)
		snprintf(st->first_errors[st->errors], sizeof st->first_errors[0],
			 "pid %d cycle %u: %s returned %ld%s%s, expected %s", (int)getpid(), cycle, what, got,
			 got < 0 ? " errno " : "", got < 0 ? strerror(e) : "", want);
	st->errors++;
}

/* One timed call: R = CALL; an error line unless OK. Returns OK. */
#define TIMED(cycle, what, R, CALL, OK, WANT)                                                       \
	({                                                                                          \
		start();                                                                            \
		R = (CALL);                                                                         \
		stop();                                                                             \
		int ok_ = (OK);                                                                     \
		if (!ok_)                                                                           \
			error(cycle, what, (long)(R), WANT);                                        \
		ok_;                                                                                \
	})

static void client(unsigned id, unsigned cycles)
{
	char name[ASHMEM_NAME_LEN];
	for (unsigned c = 0; c < cycles; c++) {
		long r;
		int fd;
		size_t pages = 1 + below(MAX_PAGES), size = pages * PG;
		unsigned char seed = (unsigned char)(id * 31 + c);
		if (!TIMED(c, "open", fd, open(device(), O_RDWR | O_CLOEXEC), fd >= 0, ">= 0"))
			continue;
		snprintf(name, sizeof name, "load-%u-%u", id, c);
		TIMED(c, "SET_NAME", r, ioctl(fd, ASHMEM_SET_NAME, name), r == 0, "0");
		TIMED(c, "SET_SIZE", r, ioctl(fd, ASHMEM_SET_SIZE, size), r == 0, "0");
		TIMED(c, "GET_SIZE", r, ioctl(fd, ASHMEM_GET_SIZE, 0), r == (long)size, "the size set");
		unsigned char *p;
		start();
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		stop();
		if (p == MAP_FAILED) {
			error(c, "mmap", -1, "a mapping");
		} else {
			for (size_t i = 0; i < pages; i++)
				memset(p + i * PG, seed + (int)i, PG);
			int purged = 0;
			if (below(2)) { /* a random page range, or the whole region (len 0) */
				struct ashmem_pin pin = { 0, 0 };
				if (below(2)) {
					pin.offset = below(pages) * PG;
					pin.len = (1 + below(pages - pin.offset / PG)) * PG;
				}
				TIMED(c, "UNPIN", r, ioctl(fd, ASHMEM_UNPIN, &pin), r == ASHMEM_NOT_PURGED, "0");
				TIMED(c, "GET_PIN_STATUS", r, ioctl(fd, ASHMEM_GET_PIN_STATUS, &pin),
				      r == ASHMEM_IS_UNPINNED, "ASHMEM_IS_UNPINNED");
				TIMED(c, "PIN", r, ioctl(fd, ASHMEM_PIN, &pin),
				      r == ASHMEM_NOT_PURGED || r == ASHMEM_WAS_PURGED, "NOT_PURGED or WAS_PURGED");
				purged = r == ASHMEM_WAS_PURGED;
				TIMED(c, "GET_PIN_STATUS", r, ioctl(fd, ASHMEM_GET_PIN_STATUS, &pin),
				      r == ASHMEM_IS_PINNED, "ASHMEM_IS_PINNED");
			}
			if (!purged) {
				for (size_t i = 0; i < pages; i++)
					if (p[i * PG] != (unsigned char)(seed + i) || p[i * PG + PG - 1] != (unsigned char)(seed + i)) {
						error(c, "data check (page content)", (long)i, "what was written");
						break;
					}
			}
			start();
			r = munmap(p, size);
			stop();
			if (r != 0)
				error(c, "munmap", r, "0");
		}
		TIMED(c, "close", r, close(fd), r == 0, "0");
	}
}

static uint64_t percentile(const struct stats *all, double q)
{
	uint64_t want = (uint64_t)(q * (double)all->calls), seen = 0;
	for (unsigned b = 0; b <= BINS; b++) {
		seen += all->bins[b];
		if (seen > want)
			return (uint64_t)(b + 1) * BIN_US; /* upper edge of the bin */
	}
	return all->max_us;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s PROCS CYCLES SEED\n", argv[0]);
		return 2;
	}
	unsigned procs = strtoul(argv[1], NULL, 10), cycles = strtoul(argv[2], NULL, 10);
	uint64_t seed = strtoull(argv[3], NULL, 0);
	if (procs == 0 || procs > 1024) {
		fprintf(stderr, "load: PROCS must be 1..1024\n");
		return 2;
	}
	struct stats *all = mmap(NULL, sizeof(struct stats) * (procs + 1), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (all == MAP_FAILED) {
		perror("load: mmap");
		return 2;
	}
	pid_t *pids = calloc(procs, sizeof *pids);
	for (unsigned i = 0; i < procs; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("load: fork");
			return 2;
		}
		if (pids[i] == 0) {
			st = &all[i + 1];
			rng = seed * 1000003 + i + 1;
			client(i, cycles);
			_exit(0);
		}
	}
	int bad_exit = 0;
	for (unsigned i = 0; i < procs; i++) {
		int ws;
		if (waitpid(pids[i], &ws, 0) < 0 || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
			fprintf(stderr, "load: client %u ended abnormally (status 0x%x)\n", i, ws);
			bad_exit = 1;
		}
	}
	struct stats *sum = &all[0];
	unsigned shown = 0;
	for (unsigned i = 1; i <= procs; i++) {
		sum->calls += all[i].calls;
		sum->errors += all[i].errors;
		sum->over_1s += all[i].over_1s;
		if (all[i].max_us > sum->max_us)
			sum->max_us = all[i].max_us;
		for (unsigned b = 0; b <= BINS; b++)
			sum->bins[b] += all[i].bins[b];
		for (unsigned e = 0; e < 10 && e < all[i].errors && shown < 10; e++, shown++)
			fprintf(stderr, "load: %s\n", all[i].first_errors[e]);
	}
	printf("load procs %u cycles %u calls %llu errors %llu max_ms %.1f p99_ms %.1f p50_ms %.1f over_1s %llu\n",
	       procs, cycles, (unsigned long long)sum->calls, (unsigned long long)sum->errors,
	       sum->max_us / 1000.0, percentile(sum, 0.99) / 1000.0, percentile(sum, 0.50) / 1000.0,
	       (unsigned long long)sum->over_1s);
	return sum->errors || bad_exit ? 1 : 0;
}
