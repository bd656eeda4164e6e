/*
 * A client of the restart suite: loops over create, name, size, map, write, unpin, pin, verify
 * and close of ashmem regions (mmap through the preload library), while the suite restarts or
 * kills the daemon, and checks afterwards that nothing was lost.
 *
 *   client STOPFILE
 *
 * It first creates ANCHORS regions it holds for the whole run, then keeps a rolling window of
 * KEEP more, replacing the oldest each cycle. Every call that fails with EINTR is retried and
 * counted apart (Android's libcutils does the same); any other failure is an error. Once STOPFILE
 * exists it stops and checks every region it holds: the data in its old mapping, the same data
 * in a fresh mapping of the old fd, GET_NAME and GET_SIZE, and that the device's st_rdev never
 * changed. It prints one line:
 *   cycles=N errors=N eintr=N held=N verified=N rdev=MAJ:MIN rdev_changes=N first_error=...
 * and exits 0 when errors=0, verified=held and rdev_changes=0, else 1.
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
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../../native-headers/ashmem_abi.h"

#define ANCHORS 4
#define KEEP 6
#define PAGES 3

struct region {
	int fd;
	unsigned char *map;
	size_t size;
	unsigned seq;
	char name[64];
};

static long errors, eintrs, rdev_changes;
static char first_error[200];
static dev_t rdev0;
static long page;

static void error(const char *what, unsigned seq)
{
	if (errors++ == 0)
		snprintf(first_error, sizeof first_error, "%s(region %u): %s", what, seq, strerror(errno));
}

/* ioctl, retried on EINTR as libcutils retries every ashmem ioctl (TEMP_FAILURE_RETRY). */
static int xioctl(int fd, unsigned long cmd, unsigned long arg)
{
	int r;
	while ((r = ioctl(fd, cmd, arg)) < 0 && errno == EINTR)
		eintrs++;
	return r;
}

static void check_rdev(int fd)
{
	struct stat st;
	if (fstat(fd, &st) == 0 && st.st_rdev != rdev0)
		rdev_changes++;
}

static unsigned char pattern(unsigned seq, size_t i)
{
	return (unsigned char)(seq * 31 + i / 7 + 1);
}

static int fill_ok(const unsigned char *p, size_t size, unsigned seq)
{
	for (size_t i = 0; i < size; i += 509)
		if (p[i] != pattern(seq, i))
			return 0;
	return 1;
}

static int create(struct region *r, unsigned seq)
{
	memset(r, 0, sizeof *r);
	r->fd = -1;
	r->seq = seq;
	r->size = PAGES * page;
	snprintf(r->name, sizeof r->name, "restart-%d-%u", (int)getpid(), seq);
	int fd;
	while ((fd = open("/dev/ashmem", O_RDWR | O_CLOEXEC)) < 0 && errno == EINTR)
		eintrs++;
	if (fd < 0) {
		error("open", seq);
		return -1;
	}
	r->fd = fd;
	if (rdev0 == 0) {
		struct stat st;
		if (fstat(fd, &st) == 0)
			rdev0 = st.st_rdev;
	}
	check_rdev(fd);
	char name[ASHMEM_NAME_LEN] = {0};
	snprintf(name, sizeof name, "%s", r->name);
	if (xioctl(fd, ASHMEM_SET_NAME, (unsigned long)name) < 0) {
		error("SET_NAME", seq);
		return -1;
	}
	if (xioctl(fd, ASHMEM_SET_SIZE, r->size) < 0) {
		error("SET_SIZE", seq);
		return -1;
	}
	void *m = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		error("mmap", seq);
		return -1;
	}
	r->map = m;
	for (size_t i = 0; i < r->size; i++)
		r->map[i] = pattern(seq, i);
	struct ashmem_pin pin = { .offset = (uint32_t)page, .len = (uint32_t)page };
	if (xioctl(fd, ASHMEM_UNPIN, (unsigned long)&pin) < 0) {
		error("UNPIN", seq);
		return -1;
	}
	int p = xioctl(fd, ASHMEM_PIN, (unsigned long)&pin);
	if (p < 0) {
		error("PIN", seq);
		return -1;
	}
	if (p == ASHMEM_WAS_PURGED) /* memory pressure took the page: write it again */
		for (size_t i = page; i < 2 * (size_t)page; i++)
			r->map[i] = pattern(seq, i);
	return 0;
}

/* Everything the region should still be; 1 when it is. */
static int verify(struct region *r)
{
	if (r->fd < 0 || !r->map)
		return 0;
	check_rdev(r->fd);
	if (!fill_ok(r->map, r->size, r->seq)) {
		errno = EIO;
		error("data in the old mapping", r->seq);
		return 0;
	}
	int size = xioctl(r->fd, ASHMEM_GET_SIZE, 0);
	if (size != (int)r->size) {
		error("GET_SIZE", r->seq);
		return 0;
	}
	char name[ASHMEM_NAME_LEN] = {0};
	if (xioctl(r->fd, ASHMEM_GET_NAME, (unsigned long)name) < 0 || strcmp(name, r->name) != 0) {
		if (errno == 0)
			errno = EIO;
		error("GET_NAME", r->seq);
		return 0;
	}
	void *m = mmap(NULL, r->size, PROT_READ, MAP_SHARED, r->fd, 0);
	if (m == MAP_FAILED) {
		error("fresh mmap of an old fd", r->seq);
		return 0;
	}
	int ok = fill_ok(m, r->size, r->seq);
	munmap(m, r->size);
	if (!ok) {
		errno = EIO;
		error("data in a fresh mapping", r->seq);
	}
	return ok;
}

static void drop(struct region *r)
{
	if (r->map)
		munmap(r->map, r->size);
	if (r->fd >= 0)
		close(r->fd);
	r->map = NULL;
	r->fd = -1;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: client STOPFILE\n");
		return 2;
	}
	page = sysconf(_SC_PAGESIZE);
	struct region anchors[ANCHORS], window[KEEP];
	unsigned seq = 0;
	long cycles = 0;
	for (int i = 0; i < ANCHORS; i++)
		if (create(&anchors[i], seq++) < 0)
			drop(&anchors[i]);
	for (int i = 0; i < KEEP; i++)
		window[i].fd = -1, window[i].map = NULL;
	printf("started\n");
	fflush(stdout);
	for (int slot = 0; access(argv[1], F_OK) != 0; slot = (slot + 1) % KEEP, cycles++) {
		struct region *r = &window[slot];
		if (r->fd >= 0) {
			verify(r);
			drop(r);
		}
		if (create(r, seq++) < 0)
			drop(r);
	}
	long held = 0, verified = 0;
	for (int i = 0; i < ANCHORS; i++, held++)
		verified += verify(&anchors[i]);
	for (int i = 0; i < KEEP; i++)
		if (window[i].fd >= 0) {
			held++;
			verified += verify(&window[i]);
		}
	printf("cycles=%ld errors=%ld eintr=%ld held=%ld verified=%ld rdev=%u:%u rdev_changes=%ld first_error=%s\n",
	       cycles, errors, eintrs, held, verified, major(rdev0), minor(rdev0), rdev_changes,
	       first_error[0] ? first_error : "none");
	return errors == 0 && verified == held && rdev_changes == 0 ? 0 : 1;
}
