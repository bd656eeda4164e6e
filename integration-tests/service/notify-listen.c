/*
 * Stands in for systemd's notification socket: binds a datagram socket at PATH and writes each
 * message it receives to LOG as one line, "<seconds> <message, newlines as spaces>", seconds on
 * CLOCK_BOOTTIME, the clock of the first field of /proc/uptime, so scripts can compare.
 * When a message carries READY=1 it first checks that every CHECK path exists at that moment
 * (stat, following links) and writes "ready-check ok PATH" or "ready-check missing PATH": what a
 * client started right after READY=1 would find.
 *
 * usage: notify-listen PATH LOG [CHECK...]      runs until killed
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s PATH LOG [CHECK...]\n", argv[0]);
		return 2;
	}
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (strlen(argv[1]) >= sizeof a.sun_path) {
		fprintf(stderr, "socket path too long\n");
		return 2;
	}
	strcpy(a.sun_path, argv[1]);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	unlink(argv[1]);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		perror("socket/bind");
		return 2;
	}
	FILE *log = fopen(argv[2], "a");
	if (!log) {
		perror(argv[2]);
		return 2;
	}
	setvbuf(log, NULL, _IOLBF, 0);
	char buf[4097];
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("recv");
			return 2;
		}
		buf[n] = 0;
		double t = now();
		/* READY=1 as a line of its own, not a substring of another value */
		int ready = !strncmp(buf, "READY=1", 7) && (buf[7] == 0 || buf[7] == '\n');
		ready = ready || strstr(buf, "\nREADY=1\n") || (n >= 8 && !strcmp(buf + n - 8, "\nREADY=1"));
		if (ready) {
			for (int i = 3; i < argc; i++) {
				struct stat st;
				fprintf(log, "%.3f ready-check %s %s\n", t, stat(argv[i], &st) == 0 ? "ok" : "missing",
					argv[i]);
			}
		}
		for (char *p = buf; *p; p++)
			if (*p == '\n')
				*p = ' ';
		fprintf(log, "%.3f %s\n", t, buf);
	}
}
