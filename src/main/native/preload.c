/*
 * mmap and lseek for ashmemd fds. CUSE devices have no mmap (the kernel answers ENODEV) and never
 * see lseek (the kernel answers 0), so:
 *  - mmap: the real system call first; only ENODEV on a character device takes the slow path
 *    (GET_TOKEN ioctl, then the broker's memfd for MAP_SHARED or anonymous memory for MAP_PRIVATE);
 *  - lseek: the real system call first; only a 0 on a character device asks the daemon (SEEK ioctl).
 * Anything that is not an ashmemd fd gets exactly what the kernel said.
 */
#include "internal.h"

/* ---- mmap ---- */

static unsigned private_mask(int fd)
{
	long r;
	do
		r = sys_ioctl(fd, ASHMEM_GET_PROT_MASK, 0);
	while (r == -EINTR);
	return r >= 0 ? (unsigned)r & ASHMEMD_PROT_RWX : ASHMEMD_PROT_RWX;
}

static long map_raw(void *addr, usize len, int prot, int flags, int fd, s64 off)
{
#if ASHMEMD_LP64
	return sys_mmap(addr, len, prot, flags, fd, off);
#else
	/* mmap2 counts in 4096-byte units; libc rejects what it cannot express */
	if ((off & 4095) || off < 0 || ((u64)off >> 12) > 0xffffffffULL)
		return -EINVAL;
	return sys_mmap2(addr, len, prot, flags, fd, (unsigned long)((u64)off >> 12));
#endif
}

/* The kernel said ENODEV for a character device: an ashmemd fd, or really no mmap. */
static long map_slow(void *addr, usize len, int prot, int flags, int fd, s64 off)
{
	int shared = (flags & MAP_TYPE) != MAP_PRIVATE; /* SHARED or SHARED_VALIDATE, the kernel
							   rejected every other type already */
	/* the kernel checks this after ENODEV, before the driver's mmap would run */
	if (flags & MAP_GROWSDOWN)
		return ashmemd_is_ashmemd_fd(fd) ? -EINVAL : -ENODEV;

	long t = ashmemd_get_token(fd, len, prot, shared);
	if (t < 0) {
		/* the daemon's own refusals (size 0, too long: EINVAL; outside the mask: EPERM) pass;
		   a foreign device keeps the kernel's answer */
		if (t == -ENOTTY || t == -ENOSYS || !ashmemd_is_ashmemd_fd(fd))
			return -ENODEV;
		return t;
	}

	unsigned mask;
	long r;
	if (!shared) {
		/* the driver maps private requests as anonymous, zero-filled memory */
		mask = private_mask(fd);
		r = map_raw(addr, len, prot, (flags & ~MAP_TYPE) | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	} else {
		if (t == 0)
			return -EPROTO;
		struct ashmemd_broker_reply rep;
		int mfd = ashmemd_map_memfd(fd, len, prot, t, &rep);
		if (mfd < 0)
			return mfd;
		mask = rep.prot_mask & ASHMEMD_PROT_RWX;
		r = map_raw(addr, len, prot, flags, mfd, off);
		sys_close(mfd); /* the mapping keeps the memory */
	}
	if (sys_failed(r))
		return r;

	if (ashmemd_guards_present())
		ashmemd_guard_cut((uptr)r, len);
	unsigned forbid = ~mask & ASHMEMD_PROT_RWX;
	/* a shared mapping's PROT_WRITE is already the kernel's (read-only or sealed memfd) */
	if (shared ? (forbid & (PROT_READ | PROT_EXEC)) : forbid)
		ashmemd_guard_add((uptr)r, len, forbid); /* table full: left unguarded */
	return r;
}

static long map_any(void *addr, usize len, int prot, int flags, int fd, s64 off)
{
	long r = map_raw(addr, len, prot, flags, fd, off);
	if (r == -ENODEV && !(flags & MAP_ANONYMOUS) && ashmemd_is_chr(fd))
		return map_slow(addr, len, prot, flags, fd, off);
	/* whatever was there before is gone, guards included */
	if (!sys_failed(r) && ashmemd_guards_present())
		ashmemd_guard_cut((uptr)r, len);
	return r;
}

static void *map_result(long r)
{
	if (sys_failed(r)) {
		ashmemd_set_errno((int)-r);
		return MAP_FAILED;
	}
	return (void *)r;
}

/* ---- lseek ---- */

static int seek_failed(s64 r)
{
	return (u64)r > (u64)-4096;
}

static s64 seek_any(int fd, s64 off, int whence)
{
	s64 r = sys_lseek(fd, off, whence);
	if (r != 0 || !ashmemd_is_chr(fd))
		return r;
	struct ashmemd_seek s;
	memset(&s, 0, sizeof s);
	s.offset = off;
	s.whence = whence;
	long e;
	do
		e = sys_ioctl(fd, ASHMEMD_IOC_SEEK, (unsigned long)&s);
	while (e == -EINTR);
	if (e >= 0)
		return s.offset >= 0 ? s.offset : 0;
	/* EINVAL (size 0), EBADF (never mapped), ENXIO (SEEK_DATA/HOLE past the end) are the
	   daemon's; other devices keep the kernel's 0 */
	if (e == -ENOTTY || !ashmemd_is_ashmemd_fd(fd))
		return 0;
	return e;
}

/* ---- exported entry points: the same names and argument types in glibc and bionic ---- */

#if ASHMEMD_LP64

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off)
{
	return map_result(map_any(addr, len, prot, flags, fd, off));
}
EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, long off)
	__attribute__((alias("mmap")));

EXPORT long lseek(int fd, long off, int whence)
{
	s64 r = seek_any(fd, off, whence);
	if (seek_failed(r)) {
		ashmemd_set_errno((int)-r);
		return -1;
	}
	return r;
}
EXPORT long lseek64(int fd, long off, int whence) __attribute__((alias("lseek")));
EXPORT long llseek(int fd, long off, int whence) __attribute__((alias("lseek")));

#else

/* off_t is 32 bits: glibc reads the offset as unsigned (up to 4 GiB - 4096) */
EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off)
{
	return map_result(map_any(addr, len, prot, flags, fd, (s64)(unsigned long)off));
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, s64 off)
{
	return map_result(map_any(addr, len, prot, flags, fd, off));
}

EXPORT long lseek(int fd, long off, int whence)
{
	s64 r = seek_any(fd, off, whence);
	if (seek_failed(r)) {
		ashmemd_set_errno((int)-r);
		return -1;
	}
	if (r > 0x7fffffffLL) {
		ashmemd_set_errno(EOVERFLOW);
		return -1;
	}
	return (long)r;
}

EXPORT s64 lseek64(int fd, s64 off, int whence)
{
	s64 r = seek_any(fd, off, whence);
	if (seek_failed(r)) {
		ashmemd_set_errno((int)-r);
		return -1;
	}
	return r;
}
EXPORT s64 llseek(int fd, s64 off, int whence) __attribute__((alias("lseek64")));

#endif
