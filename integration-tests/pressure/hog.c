/*
 * Memory pressure for the pressure suite: hog MIB SECONDS touches MIB MiB of anonymous memory a
 * MiB at a time, prints how long that took, holds it SECONDS and exits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: hog MIB SECONDS\n");
		return 64;
	}
	int mib = atoi(argv[1]), hold = atoi(argv[2]);
	double t0 = now();
	for (int i = 0; i < mib; i++) {
		char *p = malloc(1 << 20);
		if (!p) {
			printf("hog: out of memory after %d MiB\n", i);
			return 1;
		}
		memset(p, 1, 1 << 20);
	}
	printf("hog: %d MiB touched in %.1f s\n", mib, now() - t0);
	fflush(stdout);
	sleep((unsigned)hold);
	return 0;
}
