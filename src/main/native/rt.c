/*
 * The little runtime the library needs instead of libc: errno through the caller's libc, the
 * memory functions the compiler may emit calls to, the page size, and small file reads.
 */
#include "internal.h"

/*
 * Weak references: glibc (and musl) define __errno_location, bionic defines __errno. Whichever the
 * process has resolves at load time; the other stays 0. Unversioned on purpose, so the library
 * carries no version requirement that bionic's linker would reject.
 */
extern int *__errno_location(void) __attribute__((weak));
extern int *__errno(void) __attribute__((weak));

HIDDEN void ashmemd_set_errno(int e)
{
	int *p = 0;
	if (__errno_location)
		p = __errno_location();
	else if (__errno)
		p = __errno();
	if (p)
		*p = e;
}

/*
 * Hidden, so calls the compiler emits bind here and the process's own functions are untouched.
 * -fno-tree-loop-distribute-patterns keeps these loops from being turned back into calls.
 */
HIDDEN void *memset(void *d, int c, usize n)
{
	unsigned char *p = d;
	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

HIDDEN void *memcpy(void *d, const void *s, usize n)
{
	unsigned char *p = d;
	const unsigned char *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

HIDDEN void *memmove(void *d, const void *s, usize n)
{
	unsigned char *p = d;
	const unsigned char *q = s;
	if (p < q) {
		while (n--)
			*p++ = *q++;
	} else {
		while (n--)
			p[n] = q[n];
	}
	return d;
}

HIDDEN int memcmp(const void *a, const void *b, usize n)
{
	const unsigned char *p = a, *q = b;
	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p < *q ? -1 : 1;
	return 0;
}

HIDDEN uptr ashmemd_page_size(void)
{
#if defined(__x86_64__) || defined(__i386__) || defined(__arm__)
	return 4096; /* the only base page size these architectures have */
#else
	/*
	 * arm64 kernels use 4, 16 or 64 KiB pages. Probe without /proc (unreadable in some sandboxes):
	 * a fresh mapping starts on a page boundary, and msync() rejects an unaligned address with
	 * EINVAL, so the first offset it does not reject is the page size.
	 */
	static uptr cached;
	uptr ps = __atomic_load_n(&cached, __ATOMIC_RELAXED);
	if (ps)
		return ps;
	ps = 4096;
	long a = sys_mmap(0, 1, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!sys_failed(a)) {
		for (uptr s = 4096; s <= 65536; s <<= 1) {
			if (sys_msync((void *)(a + s), 1, MS_ASYNC) != -EINVAL) {
				ps = s;
				break;
			}
		}
		sys_munmap((void *)a, 1);
	}
	__atomic_store_n(&cached, ps, __ATOMIC_RELAXED);
	return ps;
#endif
}

/* 1 if fd is a character device, 0 otherwise (also when fstat fails) */
HIDDEN int ashmemd_is_chr(int fd)
{
	ashmemd_kstat st;
	if (sys_fstat(fd, &st) < 0)
		return 0;
	return S_ISCHR(st.st_mode);
}

#if defined(__i386__)
/*
 * The vDSO's __kernel_vsyscall (AT_SYSINFO) for sys.h, found with int $0x80 calls only.
 * /proc/self/auxv is unreadable for non-dumpable processes, /proc/self/maps is not: the [vdso]
 * line gives the vDSO's ELF header, whose entry point is __kernel_vsyscall.
 */
HIDDEN unsigned long ashmemd_vsyscall;

static long i80(long n, long a, long b, long c)
{
	return sc6_int80(n, a, b, c, 0, 0, 0);
}

static unsigned long from_auxv(void)
{
	u32 v[2 * 64];
	long fd = i80(__NR_openat, AT_FDCWD, (long)"/proc/self/auxv", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	usize n = 0;
	while (n < sizeof v) {
		long r = i80(__NR_read, fd, (long)((char *)v + n), (long)(sizeof v - n));
		if (r == -EINTR)
			continue;
		if (r <= 0)
			break;
		n += (usize)r;
	}
	i80(__NR_close, fd, 0, 0);
	for (usize i = 0; i + 1 < n / sizeof(u32); i += 2) {
		if (v[i] == 0) /* AT_NULL */
			break;
		if (v[i] == 32) /* AT_SYSINFO */
			return v[i + 1];
	}
	return 0;
}

static unsigned long from_maps(void)
{
	static const char pat[] = "[vdso]";
	long fd = i80(__NR_openat, AT_FDCWD, (long)"/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	char buf[512];
	unsigned long cur = 0, base = 0;
	int in_addr = 1;
	usize match = 0;
	while (!base) {
		long n = i80(__NR_read, fd, (long)buf, sizeof buf);
		if (n == -EINTR)
			continue;
		if (n <= 0)
			break;
		for (long i = 0; i < n && !base; i++) {
			char c = buf[i];
			if (c == '\n') {
				if (match == sizeof pat - 1)
					base = cur;
				cur = 0;
				in_addr = 1;
				match = 0;
				continue;
			}
			if (in_addr) {
				int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
				if (d < 0)
					in_addr = 0;
				else
					cur = cur * 16 + (unsigned long)d;
			}
			if (match < sizeof pat - 1)
				match = c == pat[match] ? match + 1 : c == pat[0] ? 1 : 0;
		}
	}
	i80(__NR_close, fd, 0, 0);
	if (!base)
		return 0;
	const unsigned char *h = (const unsigned char *)base;
	unsigned short machine;
	u32 entry;
	if (h[0] != 0x7f || h[1] != 'E' || h[2] != 'L' || h[3] != 'F' || h[4] != 1 /* ELFCLASS32 */)
		return 0;
	memcpy(&machine, h + 18, sizeof machine);
	memcpy(&entry, h + 24, sizeof entry);
	if (machine != 3 /* EM_386 */ || entry == 0)
		return 0;
	return entry < base ? base + entry : entry;
}

HIDDEN unsigned long ashmemd_find_vsyscall(void)
{
	unsigned long e = from_auxv();
	if (e <= 1)
		e = from_maps();
	if (e <= 1)
		e = 1; /* int $0x80 */
	__atomic_store_n(&ashmemd_vsyscall, e, __ATOMIC_RELAXED);
	return e;
}

/* At load, before the program may confine itself (a sandbox refusing open); sys.h also looks
   it up lazily in case a call comes first. */
__attribute__((constructor)) static void find_vsyscall_at_load(void)
{
	if (!__atomic_load_n(&ashmemd_vsyscall, __ATOMIC_RELAXED))
		ashmemd_find_vsyscall();
}
#endif
