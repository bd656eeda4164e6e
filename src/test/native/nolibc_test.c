/*
 * A process without any libc: only the dynamic linker and libashmemd-preload.so. Neither errno
 * accessor resolves, so the library must still return the right results without writing errno.
 * Exit status 0 when everything held.
 */
/* its own system calls do not need the library's vDSO lookup */
#define ASHMEMD_SYS_INT80_ONLY
#include "../../main/native/sys.h"
#include <linux/fcntl.h>
#include <linux/mman.h>
#include <linux/errno.h>

#if ASHMEMD_LP64
void *mmap(void *addr, unsigned long len, int prot, int flags, int fd, long off);
#else
void *mmap64(void *addr, unsigned long len, int prot, int flags, int fd, long long off);
#define mmap mmap64
#endif
long long lseek64(int fd, long long off, int whence);
int ashmemd_fetch_memfd(unsigned int token, void *reply);

__attribute__((noreturn)) void cmain(void);

#if defined(__x86_64__)
__asm__(".text\n.global _start\n_start:\n\txor %rbp, %rbp\n\tand $-16, %rsp\n\tcall cmain\n\thlt\n");
#elif defined(__i386__)
__asm__(".text\n.global _start\n_start:\n\txor %ebp, %ebp\n\tand $-16, %esp\n\tcall cmain\n\thlt\n");
#elif defined(__aarch64__)
__asm__(".text\n.global _start\n_start:\n\tmov x29, #0\n\tbl cmain\n\tbrk #0\n");
#elif defined(__arm__)
__asm__(".text\n.global _start\n_start:\n\tmov fp, #0\n\tbl cmain\n\tudf #0\n");
#endif

static void say(const char *s)
{
	unsigned long n = 0;
	while (s[n])
		n++;
	SC3(__NR_write, 1, s, n);
}

void cmain(void)
{
	int bad = 0;
	long fd = sys_openat(AT_FDCWD, "/dev/null", O_RDWR);
	if (fd < 0) {
		say("nolibc: cannot open /dev/null\n");
		SC1(__NR_exit_group, 2);
	}
	/* /dev/null has no mmap and answers no ioctl: ENODEV, without an errno to write */
	if (mmap(0, 4096, PROT_READ, MAP_SHARED, (int)fd, 0) != (void *)-1) {
		say("nolibc: mmap(/dev/null) did not fail\n");
		bad = 1;
	}
	if (mmap(0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != (void *)-1) {
		say("nolibc: mmap(len 0) did not fail\n");
		bad = 1;
	}
	void *p = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == (void *)-1) {
		say("nolibc: anonymous mmap failed\n");
		bad = 1;
	}
	if (lseek64((int)fd, 77, 0) != 0) {
		say("nolibc: lseek(/dev/null) is not 0\n");
		bad = 1;
	}
	if (lseek64(-1, 0, 0) != -1) {
		say("nolibc: lseek(-1) did not fail\n");
		bad = 1;
	}
	/* no broker here: a negative errno, no crash */
	if (ashmemd_fetch_memfd(1, 0) >= 0) {
		say("nolibc: fetch without a broker succeeded\n");
		bad = 1;
	}
	say(bad ? "nolibc: FAILED\n" : "nolibc: ok (no errno accessor resolved, no crash, right results)\n");
	SC1(__NR_exit_group, bad);
	for (;;)
		;
}
