/*
 * Populates a host for `ashmemctl scan` timing: starts TOTAL processes, MAPPERS of which map a
 * memfd named like ashmemd's regions (and hold an fd to it), the others exec sleep(1). Prints
 * "ready" when all exist and stays until stdin closes or a signal comes, then kills them all;
 * every child also dies with it (PR_SET_PDEATHSIG).
 *
 *   scan-procs TOTAL MAPPERS
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void mapper(int i) {
	char name[64];
	snprintf(name, sizeof name, "dev/ashmem/bench-%d", i);
	int fd = memfd_create(name, MFD_CLOEXEC);
	long size = 64 * 1024;
	if (fd < 0 || ftruncate(fd, size) < 0)
		_exit(1);
	char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		_exit(1);
	memset(p, 1, 16 * 1024);
	for (;;)
		pause();
}

int main(int argc, char **argv) {
	if (argc != 3) {
		fprintf(stderr, "usage: %s TOTAL MAPPERS\n", argv[0]);
		return 64;
	}
	int total = atoi(argv[1]), mappers = atoi(argv[2]);
	pid_t *pids = calloc(total, sizeof *pids);
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, NULL);
	pid_t parent = getpid();
	for (int i = 0; i < total; i++) {
		pid_t c = fork();
		if (c < 0) {
			perror("fork");
			total = i;
			break;
		}
		if (c == 0) {
			sigprocmask(SIG_UNBLOCK, &block, NULL);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(0);
			if (i < mappers)
				mapper(i);
			execlp("sleep", "sleep", "3600", (char *)NULL);
			_exit(127);
		}
		pids[i] = c;
	}
	printf("ready %d\n", total);
	fflush(stdout);
	/* until stdin closes or a signal arrives */
	if (fork() == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		char b[64];
		while (read(0, b, sizeof b) > 0)
			;
		kill(getppid(), SIGTERM);
		_exit(0);
	}
	int sig;
	sigwait(&block, &sig);
	for (int i = 0; i < total; i++)
		kill(pids[i], SIGKILL);
	while (wait(NULL) > 0)
		;
	return 0;
}
