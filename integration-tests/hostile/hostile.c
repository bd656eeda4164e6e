/*
 * A hostile client for the hostile suite: what an unprivileged process in a container can throw
 * at the daemon. It starts as root, drops to UID (setresgid/setresuid, as a container's app
 * would be) and then:
 *
 *   hostile flood UID FIRST COUNT  issues COUNT distinct ioctl numbers the device does not know
 *                                  (numbers FIRST .. FIRST+COUNT-1 of a fixed enumeration), each
 *                                  on the same fd; every one must fail with ENOTTY. Prints
 *                                  "flood COUNT enotty N other M" and exits 0 when N == COUNT.
 *   hostile names UID              sets its comm (PR_SET_NAME) and its regions' names (SET_NAME)
 *                                  to text holding ESC sequences, newline, CR, DEL, invalid UTF-8
 *                                  and U+202E, maps and touches the first region, and opens
 *                                  regions until the daemon refuses one (the per-uid cap). Prints
 *                                  "ready OPENED ERRNO_NAME" and waits until killed.
 *   hostile comm                   prints the comm it sets, in hex (for the suite's checks).
 *   hostile name I                 prints the name of region I, in hex.
 *
 * Exit status 2: a system call failed (named on stderr).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "../lib/check.h"

/* 15 bytes, the most comm holds: ESC [ 3 1 m, newline, CR, DEL, an invalid byte, "FORGED". */
static const char COMM[] = "\x1b[31m\n\r\x7f\xff" "FORGED";

static void drop_to(const char *uid_text)
{
	char *end;
	long uid = strtol(uid_text, &end, 10);
	if (*end || uid <= 0)
		die_errno("UID must be a positive number");
	if (setgroups(0, NULL) < 0)
		die_errno("setgroups");
	if (setresgid(uid, uid, uid) < 0)
		die_errno("setresgid");
	if (setresuid(uid, uid, uid) < 0)
		die_errno("setresuid");
	if (getuid() != (uid_t)uid || geteuid() != (uid_t)uid)
		die_errno("still privileged after setresuid");
}

/* Distinct numbers unknown_ioctl() enumerates. */
#define UNKNOWN_IOCTLS (0x5fu * 256 * 64)

/*
 * The I-th unknown ioctl number: _IOC_NONE (no argument copied), type 0xa0..0xfe, any number, a
 * size field 0..63. Far from ashmem's type 0x77 and from the numbers the VFS answers itself
 * before the driver sees them (types 'T', 'X', 'f', 0x94, 0x15...), on 64- and 32-bit callers.
 */
static unsigned int unknown_ioctl(unsigned int i)
{
	unsigned int nr = i & 0xff;
	unsigned int type = 0xa0 + (i >> 8) % 0x5f;
	unsigned int size = i / (0x5fu * 256);
	return _IOC(_IOC_NONE, type, nr, size);
}

static int flood(const char *uid, const char *first_text, const char *count_text)
{
	unsigned int first = strtoul(first_text, NULL, 10), count = strtoul(count_text, NULL, 10);
	if (count == 0 || first + count > UNKNOWN_IOCTLS || first + count < first) {
		errno = EINVAL;
		die_errno("FIRST + COUNT goes beyond the numbers enumerated");
	}
	drop_to(uid);
	int fd = open(ashmem_dev(), O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die_errno("open");
	unsigned int enotty = 0, other = 0;
	for (unsigned int i = first; i < first + count; i++) {
		errno = 0;
		int r = ioctl(fd, unknown_ioctl(i), 0);
		if (r == -1 && errno == ENOTTY) {
			enotty++;
		} else {
			if (other < 5)
				fprintf(stderr, "hostile: ioctl 0x%08x: returned %d, errno %s\n", unknown_ioctl(i), r,
					strerror(errno));
			other++;
		}
	}
	close(fd);
	printf("flood %u enotty %u other %u\n", count, enotty, other);
	return enotty == count ? 0 : 1;
}

/* Region I's name: terminal escapes, line breaks, DEL, invalid UTF-8, U+202E, a backslash. Region
   1 has the longest name SET_NAME takes (255 bytes). */
static void region_name(unsigned int i, char *buf)
{
	memset(buf, 0, ASHMEM_NAME_LEN);
	int n = snprintf(buf, ASHMEM_NAME_LEN,
		"evil%u\x1b[2J\x1b]0;owned\x07\nFORGED LINE\r\x7f\xc3\x28\xff\xe2\x80\xae" "txt.exe\\x1b", i);
	if (i == 1) {
		for (; n < ASHMEM_NAME_LEN - 1; n++)
			buf[n] = n % 7 == 0 ? '\x1b' : n % 5 == 0 ? '\n' : 'L';
		buf[ASHMEM_NAME_LEN - 1] = 0;
	}
}

static void print_hex(const char *s)
{
	for (; *s; s++)
		printf("%02x", (unsigned char)*s);
	printf("\n");
}

static int names(const char *uid)
{
	drop_to(uid);
	if (prctl(PR_SET_NAME, COMM, 0, 0, 0) < 0)
		die_errno("PR_SET_NAME");
	unsigned int opened = 0;
	int refusal = 0;
	for (;;) {
		int fd = open(ashmem_dev(), O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			refusal = errno;
			break;
		}
		char buf[ASHMEM_NAME_LEN];
		region_name(opened, buf);
		if (ioctl(fd, ASHMEM_SET_NAME, buf) < 0)
			die_errno("ASHMEM_SET_NAME");
		if (ioctl(fd, ASHMEM_SET_SIZE, (size_t)4096) < 0)
			die_errno("ASHMEM_SET_SIZE");
		if (opened == 0) { /* one mapped region: its name shows in /proc/PID/maps too */
			char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			if (p == MAP_FAILED)
				die_errno("mmap");
			memset(p, 0x5a, 4096);
		}
		if (++opened > 100000) {
			errno = EOVERFLOW;
			die_errno("the daemon never refused an open");
		}
	}
	printf("ready %u %s\n", opened, refusal == EMFILE ? "EMFILE" : strerror(refusal));
	fflush(stdout);
	for (;;)
		pause();
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "flood"))
		return flood(argv[2], argv[3], argv[4]);
	if (argc == 3 && !strcmp(argv[1], "names"))
		return names(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "comm")) {
		print_hex(COMM);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "name")) {
		char buf[ASHMEM_NAME_LEN];
		region_name(strtoul(argv[2], NULL, 10), buf);
		print_hex(buf);
		return 0;
	}
	fprintf(stderr, "usage: hostile flood UID FIRST COUNT | names UID | comm | name I\n");
	return 2;
}
