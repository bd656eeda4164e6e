/*
 * fuzz.c: one process of the fuzz suite. For SECONDS it throws random calls at /dev/ashmem:
 * ioctls with ashmem's numbers, ashmemd's own, their neighbours (other size fields and
 * directions) and random numbers, with random values and pointers (NULL, no-access, kernel
 * addresses, the last bytes before a PROT_NONE page, valid buffers of random content), and
 * random open/close/mmap/munmap/read/write/lseek. Run with the preload library in LD_PRELOAD,
 * mmap and lseek go through the broker; without it they reach the device directly.
 *
 *   fuzz SEED SECONDS CALL_LIMIT STATE_FILE [UID]
 *
 * Every call is bounded by an alarm of CALL_LIMIT seconds whose default action kills the
 * process (a call waiting for an unanswered CUSE request wakes only for a fatal signal); before
 * each call its description is written to STATE_FILE (shared, on tmpfs), so whoever finds the
 * process killed by SIGALRM can say which call hung. Every 200 calls a known-good sequence on a
 * fresh fd (open, SET_NAME, SET_SIZE, GET_SIZE, GET_NAME, close) must give exactly the driver's
 * answers: the daemon keeps answering right while it is fuzzed. Calls failing with ENOTCONN or
 * ECONNABORTED (the daemon is gone) are counted.
 *
 * The same SEED gives the same sequence of calls (the daemon's answers may differ in timing).
 * Output, last line: "fuzz seed S calls N ... sanity_failed N daemon_gone N max_call_ms N".
 * Exit status 0 when the sanity checks passed and the daemon never went away, 1 otherwise,
 * 2 on a usage error; killed by SIGALRM when a call hung.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "../../native-headers/ashmem_abi.h"
#include "../../native-headers/ashmemd.h"

#define PG 4096UL
#define MAX_FDS 16
#define MAX_MAPS 16
#define SANITY_EVERY 200

static const char *device(void)
{
	const char *d = getenv("ASHMEM_DEV");
	return d && *d ? d : "/dev/ashmem";
}

/* ---- reproducible randomness (xorshift64*) ---- */

static uint64_t rng_state;
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}
static unsigned below(unsigned n) { return (unsigned)(rnd() % n); }

/* ---- the call in progress, for whoever finds this process killed by the alarm ---- */

static char *state; /* STATE_FILE, mapped shared */
static unsigned call_limit;
static unsigned long calls;
static long max_call_ms;
static struct timespec call_t0;

static void call_begin(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void call_begin(const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(state, PG, "call %lu: ", calls);
	va_start(ap, fmt);
	vsnprintf(state + n, PG - n, fmt, ap);
	va_end(ap);
	calls++;
	clock_gettime(CLOCK_MONOTONIC, &call_t0);
	alarm(call_limit);
}

static void call_end(void)
{
	struct timespec t;
	alarm(0);
	clock_gettime(CLOCK_MONOTONIC, &t);
	long ms = (t.tv_sec - call_t0.tv_sec) * 1000 + (t.tv_nsec - call_t0.tv_nsec) / 1000000;
	if (ms > max_call_ms)
		max_call_ms = ms;
}

static unsigned long daemon_gone, sanity_failed, faults;

static void judge(long r)
{
	call_end();
	if (r == -1 && (errno == ENOTCONN || errno == ECONNABORTED)) {
		if (daemon_gone++ < 3)
			fprintf(stderr, "fuzz: %s: %s (the daemon is gone)\n", state, strerror(errno));
	}
}

/* ---- memory the calls point into ---- */

static unsigned char *guarded; /* two pages: read-write, then PROT_NONE */
static unsigned char *unmapped; /* a page no access is allowed to (PROT_NONE): EFAULT for a copy */
/* Valid buffers: room for the largest write an ioctl number can ask for (_IOC_SIZE < 16 KiB)
   from any of the first PG offsets, so that the device's answers never run past it. */
static unsigned char buf[PG + (1 << 14)];

static sigjmp_buf fault_jmp;
static volatile sig_atomic_t in_touch;
static void say(const char *s)
{
	size_t n = 0;
	while (s[n] && n < PG)
		n++;
	if (write(2, s, n) < 0)
		_exit(3);
}
/* A fault while touching a mapping is expected (SIGBUS beyond the end); any other is this
   process's or the preload library's, and ends the process with the call in progress named. */
static void on_fault(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	if (in_touch)
		siglongjmp(fault_jmp, 1);
	char line[128];
	snprintf(line, sizeof line, "fuzz: signal %d (code %d, address %p) outside a touch, during: ", sig,
		 si->si_code, si->si_addr);
	say(line);
	say(state);
	say("\n");
	_exit(3);
}

/* A pointer argument: one of the hostile kinds or a valid buffer of random content. */
static void *pointer_arg(void)
{
	switch (below(8)) {
	case 0:
		return NULL;
	case 1:
		return unmapped + below(PG);
	case 2: /* kernel addresses (above the 32-bit task size for 32-bit callers) */
		if (sizeof(void *) == 8)
			return below(2) ? (void *)(uintptr_t)0xffffffff81000000ULL : (void *)(uintptr_t)0xffff888000000000ULL;
		return (void *)(uintptr_t)(0xfffff000UL + below(PG));
	case 3: /* the last 0..16 bytes before the guard page */
		return guarded + PG - below(17);
	case 4:
		return (void *)(uintptr_t)(1 + below(PG)); /* the zero page's neighbourhood */
	default: {
		unsigned off = below(PG);
		for (unsigned i = 0; i < 64; i++)
			buf[off + i] = (unsigned char)rnd();
		return buf + off;
	}
	}
}

/* A value argument: small, page-ish, huge, negative or random. */
static unsigned long value_arg(void)
{
	switch (below(7)) {
	case 0:
		return 0;
	case 1:
		return below(16);
	case 2:
		return PG * below(64);
	case 3:
		return PG * below(64) + below(2) - 1;
	case 4:
		return (unsigned long)-1L - below(4);
	case 5:
		return 1UL << below(sizeof(long) * 8);
	default:
		return (unsigned long)rnd();
	}
}

/* ---- the ioctl numbers ---- */

static const unsigned long known[] = {
	ASHMEM_SET_NAME, ASHMEM_GET_NAME, ASHMEM_SET_SIZE, ASHMEM_GET_SIZE, ASHMEM_SET_PROT_MASK,
	ASHMEM_GET_PROT_MASK, ASHMEM_PIN, ASHMEM_UNPIN, ASHMEM_GET_PIN_STATUS, ASHMEM_PURGE_ALL_CACHES,
	ASHMEM_GET_FILE_ID, COMPAT_ASHMEM_SET_SIZE, COMPAT_ASHMEM_SET_PROT_MASK, COMPAT_ASHMEM_GET_FILE_ID,
	ASHMEMD_IOC_GET_TOKEN, ASHMEMD_IOC_SEEK,
};
#define N_KNOWN (sizeof known / sizeof known[0])

/*
 * Types the VFS answers itself before the driver sees them and that act on the file system
 * holding the device node rather than on the device (FIFREEZE, FS_IOC_SETFLAGS, FICLONE, ...):
 * never sent, so that the fuzzer cannot freeze /dev or mark the node immutable.
 */
static int vfs_type(unsigned type) { return type == 'X' || type == 'f' || type == 0x94 || type == 0 || type == 0x12; }

static unsigned int ioctl_number(void)
{
	unsigned long n;
	switch (below(5)) {
	case 0:
	case 1:
		return (unsigned int)known[below(N_KNOWN)];
	case 2: /* a known number with another size field or direction */
		n = known[below(N_KNOWN)];
		return _IOC(below(4), _IOC_TYPE(n), _IOC_NR(n), below(2) ? below(16) : below(1 << 14));
	case 3: /* ashmem's type, any number */
		return _IOC(below(4), __ASHMEMIOC, below(256), below(2) ? 0 : below(1 << 14));
	default:
		do
			n = (unsigned int)rnd();
		while (vfs_type(_IOC_TYPE(n)));
		return (unsigned int)n;
	}
}

/* ---- the calls ---- */

static int fds[MAX_FDS];
static struct {
	void *addr;
	size_t len;
} maps[MAX_MAPS];

/* One of the open fds, now and then a closed or never opened one */
static int any_fd(void)
{
	if (below(16) == 0)
		return below(2) ? -1 : (int)(1000 + below(24));
	unsigned first = below(MAX_FDS);
	for (unsigned k = 0; k < MAX_FDS; k++)
		if (fds[(first + k) % MAX_FDS] >= 0)
			return fds[(first + k) % MAX_FDS];
	return -1;
}

static void do_open(void)
{
	static const int modes[] = { O_RDWR, O_RDONLY, O_WRONLY, O_RDWR | O_NONBLOCK, O_RDWR | O_APPEND, O_RDWR | O_TRUNC };
	int i = below(MAX_FDS), flags = modes[below(6)] | O_CLOEXEC;
	if (fds[i] >= 0) {
		call_begin("close(%d)", fds[i]);
		judge(close(fds[i]));
		fds[i] = -1;
	}
	call_begin("open(%s, 0%o)", device(), flags);
	fds[i] = open(device(), flags);
	judge(fds[i]);
}

static void do_close(void)
{
	int i = below(MAX_FDS);
	if (fds[i] < 0)
		return;
	call_begin("close(%d)", fds[i]);
	judge(close(fds[i]));
	fds[i] = -1;
}

static void do_ioctl(void)
{
	int fd = any_fd();
	unsigned int cmd = ioctl_number();
	unsigned long arg = below(2) ? (unsigned long)(uintptr_t)pointer_arg() : value_arg();
	/* Meaningful values for the commands that take one, now and then */
	if (cmd == ASHMEM_SET_SIZE && below(2))
		arg = PG * (1 + below(32));
	call_begin("ioctl(%d, 0x%08x, 0x%lx)", fd, cmd, arg);
	judge(ioctl(fd, cmd, arg));
}

static void do_mmap(void)
{
	static const int prots[] = { PROT_READ, PROT_READ | PROT_WRITE, PROT_WRITE, PROT_NONE, PROT_EXEC | PROT_READ };
	int slot = below(MAX_MAPS), fd = any_fd(), prot = prots[below(5)];
	int flags = below(4) ? MAP_SHARED : MAP_PRIVATE;
	size_t len = below(8) ? PG * (1 + below(16)) : (size_t)value_arg();
	off_t off = below(4) ? 0 : (off_t)(PG * below(4) + (below(4) ? 0 : below(PG)));
	if (maps[slot].addr) {
		call_begin("munmap(%p, %zu)", maps[slot].addr, maps[slot].len);
		judge(munmap(maps[slot].addr, maps[slot].len));
		maps[slot].addr = NULL;
	}
	call_begin("mmap(len %zu, prot %d, flags 0x%x, fd %d, off %lld)", len, prot, flags, fd, (long long)off);
	void *p = mmap(NULL, len, prot, flags, fd, off);
	judge(p == MAP_FAILED ? -1 : 0);
	if (p == MAP_FAILED)
		return;
	maps[slot].addr = p;
	maps[slot].len = len;
	/* Touch the first page; beyond the region's end (or after a purge) is SIGBUS, fine here */
	if (prot & PROT_WRITE) {
		in_touch = 1;
		if (!sigsetjmp(fault_jmp, 1))
			((volatile unsigned char *)p)[below(PG)] = (unsigned char)rnd();
		else
			faults++;
		in_touch = 0;
	}
}

static void do_rw_seek(void)
{
	int fd = any_fd();
	size_t len = below(4) ? below(2 * PG) : (size_t)value_arg();
	void *p = pointer_arg();
	switch (below(3)) {
	case 0:
		/* into the valid buffer no more than it holds: the device fills what it is asked for */
		if ((unsigned char *)p >= buf && (unsigned char *)p < buf + sizeof buf && len > (size_t)(buf + sizeof buf - (unsigned char *)p))
			len = (size_t)(buf + sizeof buf - (unsigned char *)p);
		call_begin("read(%d, %p, %zu)", fd, p, len);
		judge(read(fd, p, len));
		break;
	case 1:
		call_begin("write(%d, %p, %zu)", fd, p, len);
		judge(write(fd, p, len));
		break;
	default: {
		off_t off = below(2) ? (off_t)below(8 * PG) : (off_t)value_arg();
		int whence = below(6); /* SEEK_SET..SEEK_HOLE, and one past */
		call_begin("lseek(%d, %lld, %d)", fd, (long long)off, whence);
		judge(lseek(fd, off, whence));
	}
	}
}

/* The known-good sequence: exact answers or a failure line. */
static void sanity(void)
{
	char name[ASHMEM_NAME_LEN] = "fuzz-sanity", got[ASHMEM_NAME_LEN] = { 0 };
	const char *what = NULL;
	long r, bad = 0;
	int bad_errno = 0;
#define SANITY_STEP(label, call, ok)                                                                \
	do {                                                                                        \
		call_begin("sanity " label);                                                        \
		r = (call);                                                                         \
		judge(r);                                                                           \
		if (!(ok) && !what) {                                                               \
			what = label;                                                               \
			bad = r;                                                                    \
			bad_errno = errno;                                                          \
		}                                                                                   \
	} while (0)
	int fd;
	SANITY_STEP("open", fd = open(device(), O_RDWR | O_CLOEXEC), fd >= 0);
	if (fd >= 0) {
		SANITY_STEP("SET_NAME", ioctl(fd, ASHMEM_SET_NAME, name), r == 0);
		SANITY_STEP("SET_SIZE", ioctl(fd, ASHMEM_SET_SIZE, 3 * PG), r == 0);
		SANITY_STEP("GET_SIZE", ioctl(fd, ASHMEM_GET_SIZE, 0), r == (long)(3 * PG));
		SANITY_STEP("GET_NAME", ioctl(fd, ASHMEM_GET_NAME, got), r == 0 && strcmp(got, name) == 0);
		SANITY_STEP("close", close(fd), r == 0);
	}
#undef SANITY_STEP
	if (what && sanity_failed++ < 5)
		fprintf(stderr, "fuzz: sanity: %s answered %ld (%s)\n", what, bad, bad < 0 ? strerror(bad_errno) : "wrong value");
}

int main(int argc, char **argv)
{
	if (argc < 5 || argc > 6) {
		fprintf(stderr, "usage: %s SEED SECONDS CALL_LIMIT STATE_FILE [UID]\n", argv[0]);
		return 2;
	}
	uint64_t seed = strtoull(argv[1], NULL, 0);
	unsigned seconds = strtoul(argv[2], NULL, 10);
	call_limit = strtoul(argv[3], NULL, 10);
	if (call_limit == 0) {
		fprintf(stderr, "fuzz: CALL_LIMIT must be at least 1 s\n");
		return 2;
	}
	rng_state = seed ? seed : 0x9E3779B97F4A7C15ULL;

	int sfd = open(argv[4], O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (sfd < 0 || ftruncate(sfd, PG) < 0) {
		perror("fuzz: state file");
		return 2;
	}
	state = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);
	if (state == MAP_FAILED) {
		perror("fuzz: map the state file");
		return 2;
	}
	close(sfd);

	if (argc == 6) { /* an unprivileged caller, like a process in a container */
		uid_t uid = strtoul(argv[5], NULL, 10);
		if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0) {
			perror("fuzz: drop privileges");
			return 2;
		}
	}
	prctl(PR_SET_NAME, "ashmem-fuzz", 0, 0, 0);

	guarded = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	/* Kept mapped with no access: an address unmapped here could be handed to a later mapping
	   (of this process, its libc or the preload library), and the calls that write through it
	   would then write into that (FUZZ_SEED=1136893247 corrupted ld.so's list of objects). */
	unmapped = mmap(NULL, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guarded == MAP_FAILED || unmapped == MAP_FAILED || mprotect(guarded + PG, PG, PROT_NONE) < 0) {
		perror("fuzz: set up the guard pages");
		return 2;
	}
	struct sigaction sa = { .sa_sigaction = on_fault, .sa_flags = SA_SIGINFO };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, SIG_DFL); /* fatal: wakes a call that waits for the daemon's answer */

	for (int i = 0; i < MAX_FDS; i++)
		fds[i] = -1;
	printf("fuzz seed 0x%llx pid %d abi %zu-bit%s\n", (unsigned long long)seed, (int)getpid(),
	       8 * sizeof(void *), getenv("LD_PRELOAD") ? " preload" : " direct");
	fflush(stdout);

	time_t end = time(NULL) + seconds;
	unsigned long rounds = 0;
	while (time(NULL) < end) {
		switch (below(10)) {
		case 0:
			do_open();
			break;
		case 1:
			do_close();
			break;
		case 2:
			do_mmap();
			break;
		case 3:
			do_rw_seek();
			break;
		default:
			do_ioctl();
		}
		if (++rounds % SANITY_EVERY == 0)
			sanity();
	}
	sanity();
	snprintf(state, PG, "done");
	printf("fuzz seed 0x%llx calls %lu rounds %lu faults %lu sanity_failed %lu daemon_gone %lu max_call_ms %ld\n",
	       (unsigned long long)seed, calls, rounds, faults, sanity_failed, daemon_gone, max_call_ms);
	return sanity_failed || daemon_gone ? 1 : 0;
}
