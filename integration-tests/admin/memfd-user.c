/*
 * A plain memfd user, as libcutils in memfd mode is: memfd-user NAME SIZE creates a memfd named
 * NAME, maps SIZE bytes of it shared, touches every page, prints "ready" and keeps it until
 * killed. No ashmemd involved: `ashmemctl scan` must show it as kind memfd.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: memfd-user NAME SIZE\n");
		return 64;
	}
	size_t size = strtoul(argv[2], NULL, 0);
	int fd = memfd_create(argv[1], MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
		fprintf(stderr, "memfd-user: memfd_create/ftruncate: %s\n", strerror(errno));
		return 2;
	}
	unsigned char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "memfd-user: mmap: %s\n", strerror(errno));
		return 2;
	}
	memset(p, 0xa5, size);
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
