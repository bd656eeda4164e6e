/*
 * scale.c: grows the number of live mapped regions to the largest of LEVELS, held by PROCS
 * holder processes (each region: open, SET_NAME, SET_SIZE one page, mmap through the preload
 * library, one byte written; the fd stays open and the mapping stays), and measures at each
 * level:
 *   - create_ms: the time per 1,000 regions of the growth to this level (all holders at once),
 *   - cycle_ms: the time per 1,000 full cycles (open, name, size, map, touch, unmap, close) of
 *     one more process while the level's regions are alive.
 * At the largest level it prints "holding N" and waits for a line (or EOF) on stdin, so that the
 * caller can measure the daemon; then every holder closes and unmaps all of its regions and it
 * prints the time per 1,000 releases.
 *
 *   scale PROCS LEVEL...      (levels ascending, e.g. 1000 10000 100000)
 *
 * Output lines: "level N create_ms X cycle_ms Y", "holding N", "release_ms X", "done".
 * Exit status 0, 1 when a call failed (the error is printed), 2 on a usage error.
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
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../native-headers/ashmem_abi.h"

#define PG 4096UL

static const char *device(void)
{
	const char *d = getenv("ASHMEM_DEV");
	return d && *d ? d : "/dev/ashmem";
}

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000.0 + t.tv_nsec / 1e6;
}

static void die(const char *what, unsigned long i)
{
	fprintf(stderr, "scale: pid %d, region %lu: %s: %s\n", (int)getpid(), i, what, strerror(errno));
	exit(1);
}

/* One region, left open and mapped; its fd (and mapping through *map). */
static int make_region(unsigned long id, void **map, int keep)
{
	char name[ASHMEM_NAME_LEN];
	int fd = open(device(), O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("open", id);
	snprintf(name, sizeof name, "scale-%lu", id);
	if (ioctl(fd, ASHMEM_SET_NAME, name) != 0)
		die("ASHMEM_SET_NAME", id);
	if (ioctl(fd, ASHMEM_SET_SIZE, PG) != 0)
		die("ASHMEM_SET_SIZE", id);
	unsigned char *p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap", id);
	p[0] = (unsigned char)id;
	if (!keep) {
		if (munmap(p, PG) != 0)
			die("munmap", id);
		if (close(fd) != 0)
			die("close", id);
		return -1;
	}
	*map = p;
	return fd;
}

/*
 * A holder: reads commands from `in` ("grow N" adds N regions, "release" closes all, "exit"),
 * answers "ok\n" on `out` after each.
 */
static void holder(unsigned idx, int in, int out, unsigned long max)
{
	int *fds = calloc(max, sizeof *fds);
	void **maps = calloc(max, sizeof *maps);
	unsigned long n = 0;
	char cmd[64];
	FILE *f = fdopen(in, "r");
	while (fgets(cmd, sizeof cmd, f)) {
		if (strncmp(cmd, "grow ", 5) == 0) {
			unsigned long k = strtoul(cmd + 5, NULL, 10);
			for (unsigned long i = 0; i < k && n < max; i++, n++)
				fds[n] = make_region((unsigned long)idx * 10000000UL + n, &maps[n], 1);
		} else if (strncmp(cmd, "release", 7) == 0) {
			for (unsigned long i = 0; i < n; i++) {
				if (munmap(maps[i], PG) != 0)
					die("munmap", i);
				if (close(fds[i]) != 0)
					die("close", i);
			}
			n = 0;
		} else {
			break;
		}
		if (write(out, "ok\n", 3) != 3)
			exit(1);
	}
	exit(0);
}

static unsigned procs;
static int to_holder[1024], from_holder[1024];

/* Sends CMD to every holder (each gets its own text) and waits for all to answer. */
static void all_do(char cmds[][64])
{
	for (unsigned i = 0; i < procs; i++)
		if (write(to_holder[i], cmds[i], strlen(cmds[i])) < 0)
			die("write to a holder", i);
	for (unsigned i = 0; i < procs; i++) {
		char ok[3];
		if (read(from_holder[i], ok, 3) != 3 || memcmp(ok, "ok\n", 3) != 0) {
			fprintf(stderr, "scale: holder %u failed (see its error above)\n", i);
			exit(1);
		}
	}
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s PROCS LEVEL...\n", argv[0]);
		return 2;
	}
	procs = strtoul(argv[1], NULL, 10);
	if (procs == 0 || procs > 1024) {
		fprintf(stderr, "scale: PROCS must be 1..1024\n");
		return 2;
	}
	unsigned long levels[64], nlevels = 0;
	for (int a = 2; a < argc && nlevels < 64; a++) {
		levels[nlevels] = strtoul(argv[a], NULL, 10);
		if (levels[nlevels] == 0 || (nlevels && levels[nlevels] <= levels[nlevels - 1])) {
			fprintf(stderr, "scale: levels must be ascending and positive\n");
			return 2;
		}
		nlevels++;
	}
	unsigned long top = levels[nlevels - 1], per = (top + procs - 1) / procs;
	/* Each holder keeps per fds: raise the soft limit as far as the hard one allows. */
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < per + 1100) {
		fprintf(stderr, "scale: RLIMIT_NOFILE hard limit %lu is below the %lu fds a holder needs\n",
			(unsigned long)rl.rlim_max, per + 1100);
		return 2;
	}
	rl.rlim_cur = per + 1100;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		perror("scale: setrlimit");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	for (unsigned i = 0; i < procs; i++) {
		int a[2], b[2];
		if (pipe(a) || pipe(b))
			die("pipe", i);
		pid_t pid = fork();
		if (pid < 0)
			die("fork", i);
		if (pid == 0) {
			close(a[1]);
			close(b[0]);
			holder(i, a[0], b[1], per);
		}
		close(a[0]);
		close(b[1]);
		to_holder[i] = a[1];
		from_holder[i] = b[0];
	}
	static char cmds[1024][64];
	unsigned long have = 0;
	for (unsigned long l = 0; l < nlevels; l++) {
		unsigned long add = levels[l] - have;
		for (unsigned i = 0; i < procs; i++) /* the first holders take the remainder */
			snprintf(cmds[i], 64, "grow %lu\n", add / procs + (i < add % procs));
		double t0 = now_ms();
		all_do(cmds);
		double create = (now_ms() - t0) * 1000.0 / (double)add;
		have = levels[l];
		t0 = now_ms();
		for (unsigned long i = 0; i < 1000; i++)
			make_region(900000000UL + i, NULL, 0);
		double cycle = now_ms() - t0;
		printf("level %lu create_ms %.0f cycle_ms %.0f\n", have, create, cycle);
		fflush(stdout);
	}
	printf("holding %lu\n", have);
	fflush(stdout);
	char line[16];
	if (!fgets(line, sizeof line, stdin))
		line[0] = 0;
	for (unsigned i = 0; i < procs; i++)
		snprintf(cmds[i], 64, "release\n");
	double t0 = now_ms();
	all_do(cmds);
	printf("release_ms %.0f\n", (now_ms() - t0) * 1000.0 / (double)have);
	for (unsigned i = 0; i < procs; i++)
		close(to_holder[i]);
	int bad = 0, ws;
	while (wait(&ws) > 0)
		bad |= !WIFEXITED(ws) || WEXITSTATUS(ws) != 0;
	printf("done\n");
	return bad;
}
