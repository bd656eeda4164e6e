/*
 * Raw Linux system calls for the four supported ABIs, so the library imports nothing from libc.
 * Every wrapper returns the kernel's result: >= 0, or -errno.
 * Only kernel UAPI headers are included (never libc headers).
 */
#ifndef ASHMEMD_SYS_H
#define ASHMEMD_SYS_H

#include <asm/unistd.h>
#include <asm/stat.h>
#include <linux/types.h>

#if defined(__x86_64__) && !defined(__ILP32__)
#define ASHMEMD_LP64 1
#elif defined(__aarch64__) && !defined(__ILP32__)
#define ASHMEMD_LP64 1
#elif defined(__i386__)
#define ASHMEMD_LP64 0
#elif defined(__arm__) && defined(__ARM_EABI__)
#define ASHMEMD_LP64 0
#else
#error "unsupported architecture (x86_64, i386, arm64 and EABI arm only)"
#endif

typedef unsigned long uptr;
typedef __SIZE_TYPE__ usize;
typedef __s64 s64;
typedef __u64 u64;
typedef __u32 u32;

#if defined(__x86_64__)

static inline long sc6(long n, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#elif defined(__i386__)

/*
 * The sixth argument goes in %ebp, which cannot be named as an operand (it may be the frame
 * pointer), and every other register is taken: pass {nr, entry, arg6} through memory at %eax.
 */
static inline long sc6_int80(long n, long a, long b, long c, long d, long e, long f)
{
	long blk[3] = { n, 0, f };
	long ret;
	__asm__ volatile("push %%ebp\n\t"
			 "movl 8(%%eax), %%ebp\n\t"
			 "movl (%%eax), %%eax\n\t"
			 "int $0x80\n\t"
			 "pop %%ebp"
			 : "=a"(ret)
			 : "a"(blk), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e)
			 : "memory");
	return ret;
}

#ifdef ASHMEMD_SYS_INT80_ONLY
#define sc6 sc6_int80
#else
/*
 * int $0x80 is the slow entry (and disabled on some kernels); libc enters through the vDSO's
 * __kernel_vsyscall, found once from AT_SYSINFO (rt.c). Same registers, called instead of trapped.
 */
__attribute__((visibility("hidden"))) extern unsigned long ashmemd_vsyscall; /* 0 unknown, 1 none */
__attribute__((visibility("hidden"))) unsigned long ashmemd_find_vsyscall(void);

static inline long sc6(long n, long a, long b, long c, long d, long e, long f)
{
	unsigned long entry = __atomic_load_n(&ashmemd_vsyscall, __ATOMIC_RELAXED);
	if (entry == 0)
		entry = ashmemd_find_vsyscall();
	if (entry == 1)
		return sc6_int80(n, a, b, c, d, e, f);
	long blk[3] = { n, (long)entry, f };
	long ret;
	__asm__ volatile("push %%ebp\n\t"
			 "movl 8(%%eax), %%ebp\n\t"
			 "pushl 4(%%eax)\n\t"
			 "movl (%%eax), %%eax\n\t"
			 "call *(%%esp)\n\t"
			 "addl $4, %%esp\n\t"
			 "pop %%ebp"
			 : "=a"(ret)
			 : "a"(blk), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e)
			 : "memory");
	return ret;
}
#endif

#elif defined(__aarch64__)

static inline long sc6(long n, long a, long b, long c, long d, long e, long f)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;
	__asm__ volatile("svc 0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
}

#elif defined(__arm__)

/* EABI: number in r7 (built in ARM state, where r7 is never the frame pointer). */
static inline long sc6(long n, long a, long b, long c, long d, long e, long f)
{
	register long r7 __asm__("r7") = n;
	register long r0 __asm__("r0") = a;
	register long r1 __asm__("r1") = b;
	register long r2 __asm__("r2") = c;
	register long r3 __asm__("r3") = d;
	register long r4 __asm__("r4") = e;
	register long r5 __asm__("r5") = f;
	__asm__ volatile("svc 0"
			 : "+r"(r0)
			 : "r"(r7), "r"(r1), "r"(r2), "r"(r3), "r"(r4), "r"(r5)
			 : "memory");
	return r0;
}

#endif

static inline long sc5(long n, long a, long b, long c, long d, long e)
{
	return sc6(n, a, b, c, d, e, 0);
}

#define SC0(n) sc5((n), 0, 0, 0, 0, 0)
#define SC1(n, a) sc5((n), (long)(a), 0, 0, 0, 0)
#define SC2(n, a, b) sc5((n), (long)(a), (long)(b), 0, 0, 0)
#define SC3(n, a, b, c) sc5((n), (long)(a), (long)(b), (long)(c), 0, 0)
#define SC4(n, a, b, c, d) sc5((n), (long)(a), (long)(b), (long)(c), (long)(d), 0)
#define SC5(n, a, b, c, d, e) sc5((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e))

/* An error result is -4095..-1 (addresses above that range are valid on 32-bit). */
static inline int sys_failed(long r)
{
	return (unsigned long)r > -4096UL;
}

static inline long sys_close(int fd) { return SC1(__NR_close, fd); }
static inline long sys_read(int fd, void *buf, uptr n) { return SC3(__NR_read, fd, buf, n); }
static inline long sys_openat(int dirfd, const char *path, int flags)
{
	return SC4(__NR_openat, dirfd, path, flags, 0);
}
static inline long sys_ioctl(int fd, unsigned long cmd, unsigned long arg)
{
	return SC3(__NR_ioctl, fd, cmd, arg);
}
static inline long sys_getpid(void) { return SC0(__NR_getpid); }
static inline long sys_gettid(void) { return SC0(__NR_gettid); }
static inline long sys_tgkill(int tgid, int tid, int sig) { return SC3(__NR_tgkill, tgid, tid, sig); }
static inline long sys_sched_yield(void) { return SC0(__NR_sched_yield); }
/* struct timespec of the ABI's native longs: what nanosleep takes on every architecture here */
struct ashmemd_timespec {
	long sec;
	long nsec;
};
static inline long sys_nanosleep(const struct ashmemd_timespec *t) { return SC2(__NR_nanosleep, t, 0); }
static inline long sys_munmap(void *a, uptr len) { return SC2(__NR_munmap, a, len); }
static inline long sys_mprotect(void *a, uptr len, int prot) { return SC3(__NR_mprotect, a, len, prot); }
static inline long sys_mremap(void *a, uptr old_len, uptr new_len, int flags, void *new_addr)
{
	return SC5(__NR_mremap, a, old_len, new_len, flags, new_addr);
}
static inline long sys_msync(void *a, uptr len, int flags) { return SC3(__NR_msync, a, len, flags); }

#if ASHMEMD_LP64
typedef struct stat ashmemd_kstat;
static inline long sys_fstat(int fd, ashmemd_kstat *st) { return SC2(__NR_fstat, fd, st); }
/* off is in bytes */
static inline long sys_mmap(void *addr, uptr len, int prot, int flags, int fd, s64 off)
{
	return sc6(__NR_mmap, (long)addr, (long)len, prot, flags, fd, (long)off);
}
static inline s64 sys_lseek(int fd, s64 off, int whence) { return SC3(__NR_lseek, fd, off, whence); }
#else
typedef struct stat64 ashmemd_kstat;
static inline long sys_fstat(int fd, ashmemd_kstat *st) { return SC2(__NR_fstat64, fd, st); }
/* mmap2 takes the offset in 4096-byte units whatever the page size */
static inline long sys_mmap2(void *addr, uptr len, int prot, int flags, int fd, unsigned long pgoff)
{
	return sc6(__NR_mmap2, (long)addr, (long)len, prot, flags, fd, (long)pgoff);
}
static inline s64 sys_lseek(int fd, s64 off, int whence)
{
	s64 res = 0;
	long r = SC5(__NR__llseek, fd, (unsigned long)((u64)off >> 32), (unsigned long)off, &res, whence);
	return r < 0 ? (s64)r : res;
}
#endif

/* Sockets: i386 goes through socketcall, which every kernel and seccomp policy there allows. */
#if defined(__i386__)
#define ASHMEMD_SOCKETCALL_SOCKET 1
#define ASHMEMD_SOCKETCALL_CONNECT 3
#define ASHMEMD_SOCKETCALL_SENDMSG 16
#define ASHMEMD_SOCKETCALL_RECVMSG 17
static inline long sys_socketcall(int call, long a, long b, long c)
{
	long args[3] = { a, b, c };
	return SC2(__NR_socketcall, call, args);
}
static inline long sys_socket(int domain, int type, int proto)
{
	return sys_socketcall(ASHMEMD_SOCKETCALL_SOCKET, domain, type, proto);
}
static inline long sys_connect(int fd, const void *addr, int len)
{
	return sys_socketcall(ASHMEMD_SOCKETCALL_CONNECT, fd, (long)addr, len);
}
static inline long sys_sendmsg(int fd, const void *msg, int flags)
{
	return sys_socketcall(ASHMEMD_SOCKETCALL_SENDMSG, fd, (long)msg, flags);
}
static inline long sys_recvmsg(int fd, void *msg, int flags)
{
	return sys_socketcall(ASHMEMD_SOCKETCALL_RECVMSG, fd, (long)msg, flags);
}
#else
static inline long sys_socket(int domain, int type, int proto) { return SC3(__NR_socket, domain, type, proto); }
static inline long sys_connect(int fd, const void *addr, int len) { return SC3(__NR_connect, fd, addr, len); }
static inline long sys_sendmsg(int fd, const void *msg, int flags) { return SC3(__NR_sendmsg, fd, msg, flags); }
static inline long sys_recvmsg(int fd, void *msg, int flags) { return SC3(__NR_recvmsg, fd, msg, flags); }
#endif

#endif
