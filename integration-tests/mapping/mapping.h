/*
 * mapping.h: helpers shared by the programs that test regions after their first mmap (mapping/)
 * and the broker's security (security/). Built on lib/check.h.
 *
 * Environment (set by the suites): ASHMEM_DEV (the device), ASHMEMD_PID (the daemon's JVM, for
 * its /proc/PID/fd), ASHMEMD_LOG (the daemon's log file).
 */
#ifndef ASHMEMD_IT_MAPPING_H
#define ASHMEMD_IT_MAPPING_H

#include "../lib/check.h"
#include "../../native-headers/ashmemd.h"

#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

#define PG ((size_t)4096) /* x86 and i386: the only page size */
#define RWX (PROT_READ | PROT_WRITE | PROT_EXEC)
#define RW (PROT_READ | PROT_WRITE)

/* ---- regions ---- */

CHECK_HELPER void set_name_or_fail(int fd, const char *name)
{
	char buf[ASHMEM_NAME_LEN] = { 0 };
	snprintf(buf, sizeof(buf), "%s", name);
	CHECK_RET(ioctl(fd, ASHMEM_SET_NAME, buf), 0);
}

/* A fresh region of `size` bytes, opened with `flags`, named unless `name` is NULL. */
CHECK_HELPER int region_flags(size_t size, const char *name, int flags)
{
	int fd = open_dev_flags(flags);
	if (name)
		set_name_or_fail(fd, name);
	CHECK_RET(ioctl(fd, ASHMEM_SET_SIZE, (unsigned long)size), 0);
	return fd;
}

CHECK_HELPER int region(size_t size, const char *name)
{
	return region_flags(size, name, O_RDWR | O_CLOEXEC);
}

CHECK_HELPER void set_mask(int fd, unsigned long mask)
{
	CHECK_RET(ioctl(fd, ASHMEM_SET_PROT_MASK, mask), 0);
	CHECK_RET(ioctl(fd, ASHMEM_GET_PROT_MASK), (long)mask);
}

/* mmap that must succeed; fails the test with the call's line otherwise. */
#define MAP_AT(addr, len, prot, flags, fd, off)                                                     \
	({                                                                                          \
		errno = 0;                                                                          \
		void *map_p_ = mmap((addr), (len), (prot), (flags), (fd), (off));                   \
		if (map_p_ == MAP_FAILED)                                                           \
			FAIL("%s:%d: mmap(len %zu, prot %d, flags 0x%x, off %lld): %s",             \
			     check_where(__FILE__), __LINE__, (size_t)(len), (int)(prot),           \
			     (int)(flags), (long long)(off), check_errname(errno));                 \
		(unsigned char *)map_p_;                                                            \
	})
#define MAP(len, prot, flags, fd, off) MAP_AT(NULL, len, prot, flags, fd, off)
#define MAP_SH(fd, len) MAP(len, RW, MAP_SHARED, fd, 0)

/* ---- content ---- */

CHECK_HELPER unsigned char pattern_byte(unsigned seed, size_t i)
{
	return (unsigned char)((i * 131u + seed * 7u + (i >> 12) * 17u + 1u) & 0xff);
}

CHECK_HELPER void fill(unsigned char *p, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = pattern_byte(seed, i);
}

/* Index of the first byte that is not the pattern, or -1. `base` is p's offset in the pattern. */
CHECK_HELPER long pattern_mismatch(const unsigned char *p, size_t len, unsigned seed, size_t base)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != pattern_byte(seed, base + i))
			return (long)i;
	return -1;
}

CHECK_HELPER long nonzero_at(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return (long)i;
	return -1;
}

#define CHECK_PATTERN(p, len, seed, base, what)                                                     \
	do {                                                                                        \
		long mm_ = pattern_mismatch((p), (len), (seed), (base));                            \
		if (mm_ >= 0)                                                                       \
			FAIL("%s:%d: %s: byte %ld is 0x%02x, expected 0x%02x",                      \
			     check_where(__FILE__), __LINE__, (what), mm_, (p)[mm_],                \
			     pattern_byte((seed), (base) + (size_t)mm_));                           \
	} while (0)

#define CHECK_ZERO(p, len, what)                                                                    \
	do {                                                                                        \
		long nz_ = nonzero_at((p), (len));                                                  \
		if (nz_ >= 0)                                                                       \
			FAIL("%s:%d: %s: byte %ld is 0x%02x, expected 0", check_where(__FILE__),    \
			     __LINE__, (what), nz_, (p)[nz_]);                                      \
	} while (0)

/* ---- faults ---- */

static sigjmp_buf probe_jmp;
static volatile sig_atomic_t probe_sig;

static void probe_handler(int sig)
{
	probe_sig = sig;
	siglongjmp(probe_jmp, 1);
}

/* Touches one byte (reads, or writes `value` when write is set); returns 0 or the signal. */
CHECK_HELPER int probe(volatile unsigned char *p, int write, unsigned char value)
{
	struct sigaction sa, old_segv, old_bus;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = probe_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
	probe_sig = 0;
	if (sigsetjmp(probe_jmp, 1) == 0) {
		if (write)
			*p = value;
		else
			(void)*p;
	}
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	return probe_sig;
}

/* ---- read() on the device ---- */

CHECK_HELPER size_t read_full(int fd, unsigned char *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);
		if (n < 0)
			FAIL("read: %s", check_errname(errno));
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return got;
}

/* ---- /proc ---- */

CHECK_HELPER int count_fds(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return pid == getpid() ? n - 1 : n; /* not the directory's own fd */
}

/* The daemon's JVM pid from ASHMEMD_PID, or 0. */
CHECK_HELPER pid_t daemon_pid(void)
{
	const char *s = getenv("ASHMEMD_PID");
	return s && *s ? (pid_t)atoi(s) : 0;
}

/* How many of pid's fds link to exactly `target`. */
CHECK_HELPER int fds_linking_to(pid_t pid, const char *target)
{
	char path[64], link[PATH_MAX + 1], lpath[PATH_MAX];
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(lpath, sizeof(lpath), "%s/%s", path, e->d_name);
		ssize_t k = readlink(lpath, link, sizeof(link) - 1);
		if (k < 0)
			continue;
		link[k] = 0;
		if (strcmp(link, target) == 0)
			n++;
	}
	closedir(d);
	return n;
}

/* The path column of the /proc/self/maps line that starts at addr ("" for none). */
CHECK_HELPER void maps_path_of(const void *addr, char *out, size_t outlen)
{
	FILE *f = fopen("/proc/self/maps", "re");
	if (!f)
		FAIL("open /proc/self/maps: %s", check_errname(errno));
	char line[1024];
	out[0] = 0;
	int found = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start;
		int pos = 0;
		if (sscanf(line, "%llx-%*x %*s %*s %*s %*s %n", &start, &pos) < 1 || pos == 0)
			continue;
		if ((uintptr_t)start != (uintptr_t)addr)
			continue;
		found = 1;
		snprintf(out, outlen, "%s", line + pos);
		out[strcspn(out, "\n")] = 0;
		break;
	}
	fclose(f);
	if (!found)
		FAIL("no /proc/self/maps line starts at %p", addr);
}

/* The inode of the file behind the mapping at addr (/proc/self/map_files needs CAP_SYS_ADMIN). */
CHECK_HELPER unsigned long long mapped_inode(const void *addr, size_t len)
{
	char path[128];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx", (unsigned long)(uintptr_t)addr,
		 (unsigned long)((uintptr_t)addr + len));
	if (stat(path, &st) != 0)
		FAIL("stat %s: %s", path, check_errname(errno));
	return (unsigned long long)st.st_ino;
}

/* ---- the preload library's client API, looked up at run time ---- */

typedef int (*get_memfd_fn)(int fd, size_t len, int prot, struct ashmemd_broker_reply *reply);

CHECK_HELPER get_memfd_fn client_get_memfd(void)
{
	get_memfd_fn f = (get_memfd_fn)dlsym(RTLD_DEFAULT, "ashmemd_get_memfd");
	if (!f)
		FAIL("ashmemd_get_memfd is not there: libashmemd-preload.so is not loaded (LD_PRELOAD)");
	return f;
}

/* ---- two processes in step ---- */

CHECK_HELPER pid_t fork_or_fail(void)
{
	pid_t pid = fork();
	CHECK(pid >= 0, "fork: %s", check_errname(errno));
	return pid;
}

CHECK_HELPER double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

CHECK_HELPER void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---- PURGE_ALL_CACHES ---- */

CHECK_HELPER long purge_all(int fd)
{
	if (geteuid() != 0)
		SKIP("PURGE_ALL_CACHES needs CAP_SYS_ADMIN: run as root");
	errno = 0;
	long r = ioctl(fd, ASHMEM_PURGE_ALL_CACHES);
	if (r < 0)
		FAIL("PURGE_ALL_CACHES: %ld errno %s", r, check_errname(errno));
	return r;
}

#define PIN_CALL(fd, cmd, off, len)                                                                 \
	({                                                                                          \
		struct ashmem_pin pin_ = { (__u32)(off), (__u32)(len) };                            \
		ioctl((fd), (cmd), &pin_);                                                          \
	})

#endif
