/*
 * bench: what an ashmemd region costs next to what it cannot cost less than, measured in one boot
 * and printed as a Markdown table.
 *
 *   bench warm    --ashmem DEV --floor DEV --preload LIB [--scale F]
 *   bench measure --ashmem DEV --floor DEV --preload LIB [--scale F] [--tsv FILE]
 *   bench --count MARKDEV SPEC...   exact operation counts and nothing else, for tracing
 *   bench --child SPEC...     one measurement process (started by warm and measure)
 *
 * Baselines: the floor (bench/cuse-floor, a libfuse3 CUSE server answering every ioctl with a
 * constant through the same exchanges ashmemd needs) for the per-request costs, a plain memfd for
 * the region cycle and for memory bandwidth.
 *
 * Under emulation on a shared host the speed of everything drifts by large factors within
 * seconds, so ashmemd and its baseline are never measured apart: one process alternates between
 * them (A B, then B A, ...), and the table reports medians. Operations shorter than the host's
 * scheduling quantum (GET_SIZE, UNPIN+PIN) are timed one by one, so that most run undisturbed;
 * longer ones in alternating time slices, each adjacent pair giving one ratio. The ashmemd and floor measurements
 * run with LD_PRELOAD=LIB (the mmap path needs it, the rest does not notice it), so the memfd
 * slices do too: on a memfd the library adds a call and one relaxed load to mmap and munmap.
 *
 * SPEC is KIND,ARGS (devices are paths, or "memfd"):
 *   getsize,A,B,SECS,-           ASHMEM_GET_SIZE, timed one by one  -> ns per ioctl
 *   pin,A,B,SECS,-               UNPIN + PIN of a whole 16 KiB region, mapped first where it can
 *                                be (the floor cannot map), timed one by one -> ns per pair
 *   broker,A,-,SECS              GET_TOKEN + the broker exchange for the memfd, over one
 *                                connection opened once (A side) and over a new connection
 *                                each time, as the library's mmap does (B side, through
 *                                ashmemd_fetch_memfd), timed one by one -> ns per exchange
 *   ioc,A,B,SECS,SLICE           open + SET_NAME + SET_SIZE + GET_TOKEN + close: the CUSE part
 *                                of the region cycle                -> ns per cycle
 *   cycle,A,B,THREADS,SECS,SLICE open + SET_NAME + SET_SIZE + mmap 16 KiB + touch each page +
 *                                munmap + close (memfd: memfd_create + ftruncate instead of the
 *                                open and ioctls)                   -> cycles/s, all threads
 *   rate,DEV,THREADS,SECS        DEV's cycle alone                  -> cycles/s, all threads
 *   bw,A,B,MIB,PASSES[,BFIRST]   memset passes over a MIB mapping of each, after the first
 *                                touch, alternating 1 MiB chunks    -> median GB/s per pass
 *                                (BFIRST 1: B's mapping is created and touched first)
 *   steps,DEV,SECS               the cycle step by step, its mmap split into GET_TOKEN, the
 *                                broker exchange and the mmap of the memfd -> us per step
 *   rsteps,DEV,SECS              the same, filed as the C reference's (run with its broker)
 *   warm,DEV,N,SECS              N cycles at one thread, 0.4 N at eight, 3 N GET_SIZE, 1.5 N
 *                                UNPIN+PIN and 0.3 N CUSE parts, interleaved, and where DEV
 *                                can map 0.2 N broker exchanges and 0.025 N unnamed 1 MiB
 *                                mappings; at most SECS
 *   getsize-n,DEV,N  pin-n,DEV,N  ioc-n,DEV,N  cycle-n,DEV,N  cycle8-n,DEV,N (N over 8 threads)
 *                                exact counts, for --count
 * Output lines: "P KEY A B" (one slice pair), "S KEY WHO VALUE" (a single figure).
 *
 * --count MARKDEV SPEC...: before, between and after the specs an ioctl no server knows,
 * BENCH_MARKER, goes to MARKDEV, so that a trace of the server can be cut into the specs.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../native-headers/ashmem_abi.h"
#include "../../native-headers/ashmemd.h"

#define REGION (16 * 1024)
#define PAGE 4096
#define MAX_THREADS 64
#define MAX_SAMPLES 1024
#define MAX_KEYS 32
#define BENCH_MARKER _IO(__ASHMEMIOC, 0xEE)

extern char **environ;

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Page-aligned, so SET_NAME's first fetch (up to the end of the caller's page) always holds the
   NUL: two rounds every time, never three. */
static char g_name[ASHMEM_NAME_LEN] __attribute__((aligned(PAGE))) = "bench-region";

static int is_memfd(const char *dev)
{
	return strcmp(dev, "memfd") == 0;
}

static int open_dev(const char *dev)
{
	int fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("open %s: %s", dev, strerror(errno));
	return fd;
}

static long xioctl(int fd, unsigned long cmd, unsigned long arg, const char *what)
{
	long r = ioctl(fd, cmd, arg);
	if (r < 0)
		die("ioctl %s: %s", what, strerror(errno));
	return r;
}

static void touch(volatile unsigned char *p, size_t len)
{
	for (size_t off = 0; off < len; off += PAGE)
		p[off] = (unsigned char)(off / PAGE + 1);
}

/* ---- the operations ---- */

static void cycle_once(const char *dev)
{
	int fd;
	if (is_memfd(dev)) {
		fd = memfd_create(g_name, MFD_CLOEXEC);
		if (fd < 0)
			die("memfd_create: %s", strerror(errno));
		if (ftruncate(fd, REGION) != 0)
			die("ftruncate: %s", strerror(errno));
	} else {
		fd = open_dev(dev);
		xioctl(fd, ASHMEM_SET_NAME, (unsigned long)g_name, "SET_NAME");
		xioctl(fd, ASHMEM_SET_SIZE, REGION, "SET_SIZE");
	}
	void *p = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap of %s: %s%s", dev, strerror(errno),
		    errno == ENODEV ? " (is the preload library loaded?)" : "");
	touch(p, REGION);
	if (munmap(p, REGION) != 0)
		die("munmap: %s", strerror(errno));
	if (close(fd) != 0)
		die("close: %s", strerror(errno));
}

/* The CUSE requests of the cycle and nothing else; the token is never redeemed (it dies with the
   open file). */
static void ioc_once(const char *dev)
{
	int fd = open_dev(dev);
	xioctl(fd, ASHMEM_SET_NAME, (unsigned long)g_name, "SET_NAME");
	xioctl(fd, ASHMEM_SET_SIZE, REGION, "SET_SIZE");
	xioctl(fd, ASHMEMD_IOC_GET_TOKEN, ASHMEMD_MAP_ARG(REGION / PAGE, PROT_READ | PROT_WRITE, 1),
	       "GET_TOKEN");
	if (close(fd) != 0)
		die("close: %s", strerror(errno));
}

struct target {
	const char *dev;
	int fd;
	void *map;
};

/* An open region of REGION bytes; mapped when the server can map (the floor answers GET_SIZE
   with a constant and has no memory). */
static void target_open(struct target *t, const char *dev, int want_map)
{
	t->dev = dev;
	t->map = NULL;
	t->fd = open_dev(dev);
	xioctl(t->fd, ASHMEM_SET_NAME, (unsigned long)g_name, "SET_NAME");
	xioctl(t->fd, ASHMEM_SET_SIZE, REGION, "SET_SIZE");
	if (want_map && ioctl(t->fd, ASHMEM_GET_SIZE) == REGION) {
		t->map = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_SHARED, t->fd, 0);
		if (t->map == MAP_FAILED)
			die("mmap of %s: %s", dev, strerror(errno));
		touch(t->map, REGION);
	}
}

static void target_close(struct target *t)
{
	if (t->map)
		munmap(t->map, REGION);
	close(t->fd);
}

static void op_getsize(void *a)
{
	xioctl(((struct target *)a)->fd, ASHMEM_GET_SIZE, 0, "GET_SIZE");
}

static void op_pinpair(void *a)
{
	int fd = ((struct target *)a)->fd;
	struct ashmem_pin pin = { 0, 0 }; /* the whole region */
	xioctl(fd, ASHMEM_UNPIN, (unsigned long)&pin, "UNPIN");
	xioctl(fd, ASHMEM_PIN, (unsigned long)&pin, "PIN");
}

static void op_ioc(void *a)
{
	ioc_once(((struct target *)a)->dev);
}

/* A token and the memfd for it, over an open broker connection (sock) or a new one (sock < 0). */
struct broker_op {
	int fd;
	int sock;
	int (*fetch)(unsigned, struct ashmemd_broker_reply *);
	int (*connect)(const char *);
	int (*exchange)(int, unsigned, struct ashmemd_broker_reply *);
};

static void op_broker(void *arg)
{
	struct broker_op *b = arg;
	struct ashmemd_broker_reply rep;
	long token = xioctl(b->fd, ASHMEMD_IOC_GET_TOKEN,
			    ASHMEMD_MAP_ARG(REGION / PAGE, PROT_READ | PROT_WRITE, 1), "GET_TOKEN");
	int mfd = b->sock >= 0 ? b->exchange(b->sock, (unsigned)token, &rep) : b->fetch((unsigned)token, &rep);
	if (mfd < 0)
		die("broker: %s", strerror(-mfd));
	close(mfd);
}

static void *lib_symbol(const char *name)
{
	void *p = dlsym(RTLD_DEFAULT, name);
	if (!p)
		die("%s not found: is the preload library loaded?", name);
	return p;
}

/* ---- alternating slices, one thread ---- */

typedef void (*op_fn)(void *);

/* The two ways to fetch the memfd of a token on region fd: fresh connects for each exchange, as
   the library's mmap does; kept uses one connection, opened here. */
static void broker_ops(int fd, struct broker_op *fresh, struct broker_op *kept)
{
	*fresh = (struct broker_op){
		fd, -1, (int (*)(unsigned, struct ashmemd_broker_reply *))lib_symbol("ashmemd_fetch_memfd"),
		(int (*)(const char *))lib_symbol("ashmemd_broker_connect"),
		(int (*)(int, unsigned, struct ashmemd_broker_reply *))lib_symbol("ashmemd_broker_exchange")
	};
	*kept = *fresh;
	kept->sock = fresh->connect(NULL);
	if (kept->sock < 0)
		die("broker connect: %s", strerror(-kept->sock));
}

static int cmp_double(const void *x, const void *y)
{
	double p = *(const double *)x, q = *(const double *)y;
	return p < q ? -1 : p > q;
}

static double median_of(const double *v, int n)
{
	double w[4096];
	if (n <= 0)
		return NAN;
	if (n > 4096)
		n = 4096;
	memcpy(w, v, sizeof(double) * (size_t)n);
	qsort(w, (size_t)n, sizeof w[0], cmp_double);
	return n % 2 ? w[n / 2] : (w[n / 2 - 1] + w[n / 2]) / 2;
}

/* The cost of one clock read (the median of a few runs), to take out of timed operations. */
static double clock_cost(void)
{
	double v[5];
	for (int k = 0; k < 5; k++) {
		double t0 = now(), t = t0;
		for (int i = 0; i < 100; i++)
			t = now();
		v[k] = (t - t0) / 100;
	}
	return median_of(v, 5);
}

/*
 * Operations shorter than the host's scheduling quantum, timed one by one, the two sides taking
 * turns (A B, B A, ...): most operations then run undisturbed, and medians ignore the others. One
 * "P" line per chunk of CHUNK pairs: the median ns of each side in it.
 */
#define CHUNK 128
static void alternate_ops(const char *key, op_fn op, void *a, void *b, double secs)
{
	double va[CHUNK], vb[CHUNK], end = now() + secs;
	for (int chunk = 0; chunk < 3 || now() < end; chunk++) {
		double cc = clock_cost();
		for (int i = 0; i < CHUNK; i++) {
			double t0 = now();
			op(i & 1 ? b : a);
			double t1 = now();
			op(i & 1 ? a : b);
			double t2 = now();
			va[i] = ((i & 1) ? t2 - t1 : t1 - t0) - cc;
			vb[i] = ((i & 1) ? t1 - t0 : t2 - t1) - cc;
		}
		printf("P %s %.1f %.1f\n", key, median_of(va, CHUNK) * 1e9, median_of(vb, CHUNK) * 1e9);
	}
}

/* ns per operation over one slice of whole batches. The clock is read once per batch: reading it
   can be a system call (no vDSO clock under emulation), which would blur the difference. */
static double slice_ns(op_fn op, void *arg, double slice, int batch)
{
	long ops = 0;
	double t0 = now(), t;
	do {
		for (int i = 0; i < batch; i++)
			op(arg);
		ops += batch;
		t = now();
	} while (t - t0 < slice);
	return (t - t0) * 1e9 / (double)ops;
}

static void alternate(const char *key, op_fn op, void *a, void *b, double secs, double slice, int batch)
{
	double end = now() + secs;
	for (int pair = 0; pair < 2 || now() < end; pair++) {
		double va, vb;
		if (pair & 1) {
			vb = slice_ns(op, b, slice, batch);
			va = slice_ns(op, a, slice, batch);
		} else {
			va = slice_ns(op, a, slice, batch);
			vb = slice_ns(op, b, slice, batch);
		}
		printf("P %s %.1f %.1f\n", key, va, vb);
	}
}

/* ---- alternating slices, many threads: every thread runs the same side in each phase ---- */

struct pool;

struct worker {
	pthread_t th;
	struct pool *pool;
	long cycles; /* in the current phase */
};

struct pool {
	int n;
	pthread_barrier_t go, done;
	const char *volatile dev;
	volatile int stop, finish;
	long limit; /* > 0: each thread runs exactly this many cycles in the phase */
	struct worker w[MAX_THREADS];
};

static void *cycle_worker(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->pool;
	for (;;) {
		pthread_barrier_wait(&p->go);
		if (p->finish)
			return NULL;
		const char *dev = p->dev;
		w->cycles = 0;
		while (p->limit > 0 ? w->cycles < p->limit : !__atomic_load_n(&p->stop, __ATOMIC_RELAXED)) {
			cycle_once(dev);
			w->cycles++;
		}
		pthread_barrier_wait(&p->done);
	}
}

static void pool_start(struct pool *p, int threads)
{
	if (threads < 1 || threads > MAX_THREADS)
		die("threads must be 1..%d", MAX_THREADS);
	p->n = threads;
	p->finish = 0;
	pthread_barrier_init(&p->go, NULL, (unsigned)threads + 1);
	pthread_barrier_init(&p->done, NULL, (unsigned)threads + 1);
	for (int i = 0; i < threads; i++) {
		p->w[i].pool = p;
		int e = pthread_create(&p->w[i].th, NULL, cycle_worker, &p->w[i]);
		if (e)
			die("pthread_create: %s", strerror(e));
	}
}

/* One phase on dev: for slice seconds, or limit cycles per thread. Returns cycles/s. */
static double pool_phase(struct pool *p, const char *dev, double slice, long limit)
{
	p->dev = dev;
	p->limit = limit;
	__atomic_store_n(&p->stop, 0, __ATOMIC_RELAXED);
	pthread_barrier_wait(&p->go);
	double t0 = now();
	if (limit <= 0) {
		sleep_s(slice);
		__atomic_store_n(&p->stop, 1, __ATOMIC_RELAXED);
	}
	pthread_barrier_wait(&p->done); /* the last cycle of every thread counts to this phase */
	double t1 = now();
	long total = 0;
	for (int i = 0; i < p->n; i++)
		total += p->w[i].cycles;
	return (double)total / (t1 - t0);
}

static void pool_stop(struct pool *p)
{
	p->finish = 1;
	pthread_barrier_wait(&p->go);
	for (int i = 0; i < p->n; i++)
		pthread_join(p->w[i].th, NULL);
	pthread_barrier_destroy(&p->go);
	pthread_barrier_destroy(&p->done);
}

/* ---- teams: worker processes started once, for comparisons across processes ---- */

/*
 * A team serves one device with up to MAX_PROCS single-threaded worker processes, forked once
 * from a process of its own (bench --team DEV), so that each side can have its own environment:
 * the preload library reads ASHMEMD_BROKER once per process, so ashmemd and the C reference
 * (another broker) cannot share a process. A phase runs the first N workers for SECS.
 */
#define MAX_PROCS 8

struct team_shared {
	double secs;
	long cycles[MAX_PROCS];
	double elapsed[MAX_PROCS];
};

/* bench --team DEV: "N SECS" lines on stdin, one "CYCLES_PER_S" line back for each. */
static void team_serve(const char *dev)
{
	struct team_shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int gate[MAX_PROCS][2], done[2];
	pid_t pids[MAX_PROCS];
	if (sh == MAP_FAILED || pipe2(done, O_CLOEXEC) != 0)
		die("team: %s", strerror(errno));
	for (int i = 0; i < MAX_PROCS; i++) {
		if (pipe2(gate[i], O_CLOEXEC) != 0)
			die("team: pipe: %s", strerror(errno));
		fflush(NULL);
		pids[i] = fork();
		if (pids[i] < 0)
			die("team: fork: %s", strerror(errno));
		if (pids[i] == 0) {
			close(gate[i][1]);
			close(done[0]);
			char c;
			while (read(gate[i][0], &c, 1) == 1) {
				double t0 = now(), end = t0 + sh->secs, t;
				long n = 0;
				do {
					cycle_once(dev);
					n++;
				} while ((t = now()) < end);
				sh->cycles[i] = n;
				sh->elapsed[i] = t - t0;
				if (write(done[1], "d", 1) != 1)
					_exit(1);
			}
			_exit(0);
		}
		close(gate[i][0]);
	}
	close(done[1]);
	char line[128];
	while (fgets(line, sizeof line, stdin)) {
		int n;
		double secs;
		if (sscanf(line, "%d %lf", &n, &secs) != 2 || n < 1 || n > MAX_PROCS || !(secs > 0))
			die("team: bad phase '%s'", line);
		sh->secs = secs;
		for (int i = 0; i < n; i++)
			if (write(gate[i][1], "g", 1) != 1)
				die("team: a worker is gone");
		double rate = 0;
		for (int i = 0; i < n; i++) {
			char c;
			if (read(done[0], &c, 1) != 1)
				die("team: a worker died");
		}
		for (int i = 0; i < n; i++)
			rate += (double)sh->cycles[i] / sh->elapsed[i];
		printf("%.3f\n", rate);
		fflush(stdout);
	}
	for (int i = 0; i < MAX_PROCS; i++)
		close(gate[i][1]);
	for (int i = 0; i < MAX_PROCS; i++) {
		int st;
		while (waitpid(pids[i], &st, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			die("team: worker %d ended badly", i);
	}
}

/* ---- bandwidth ---- */

struct mapping {
	int fd;
	unsigned char *p;
	size_t len;
};

static struct mapping map_big(const char *dev, size_t len)
{
	struct mapping m = { -1, NULL, len };
	if (is_memfd(dev)) {
		m.fd = memfd_create("bench-bw", MFD_CLOEXEC);
		if (m.fd < 0 || ftruncate(m.fd, (off_t)len) != 0)
			die("memfd of %zu bytes: %s", len, strerror(errno));
	} else {
		m.fd = open_dev(dev);
		xioctl(m.fd, ASHMEM_SET_SIZE, len, "SET_SIZE");
	}
	m.p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, m.fd, 0);
	if (m.p == MAP_FAILED)
		die("mmap of %zu bytes of %s: %s", len, dev, strerror(errno));
	memset(m.p, 0x5a, len); /* the first touch allocates: that is not bandwidth */
	__asm__ volatile("" ::: "memory");
	return m;
}

static void unmap_big(struct mapping *m)
{
	munmap(m->p, m->len);
	close(m->fd);
}

/* ---- child: run specs ---- */

static char *field(char **s)
{
	char *f = strsep(s, ",");
	if (!f || !*f)
		die("bad measurement spec");
	return f;
}

static const char *label(const char *dev)
{
	return is_memfd(dev) ? "memfd" : dev;
}

static const char *const step_name[] = {
	"open (OPEN)", "SET_NAME (2 IOCTL)", "SET_SIZE (IOCTL)", "GET_TOKEN (IOCTL)",
	"broker exchange (connect, round trip with SCM_RIGHTS, close)", "mmap of the memfd + its close", "touch 4 pages",
	"munmap", "close (RELEASE)",
};
#define NSTEPS ((int)(sizeof step_name / sizeof step_name[0]))

/* The cycle one step at a time, through the library's client API for the mmap part; one "S" line
   per step and chunk of about a quarter of a second, so that the parent takes medians. */
static void steps(const char *dev, double secs, const char *prefix)
{
	int (*fetch)(unsigned, struct ashmemd_broker_reply *) =
		(int (*)(unsigned, struct ashmemd_broker_reply *))dlsym(RTLD_DEFAULT, "ashmemd_fetch_memfd");
	if (!fetch)
		die("ashmemd_fetch_memfd not found: is the preload library loaded?");
	enum { N = NSTEPS };
	double end = now() + secs;
	int chunk = 0;
	while (chunk < 4 || now() < end) {
		double sum[N] = { 0 }, cc = clock_cost();
		long cycles = 0;
		double chunk_end = now() + 0.25;
		while (cycles < 2 || now() < chunk_end) {
			double t[N + 1];
			struct ashmemd_broker_reply rep;
			t[0] = now();
			int fd = open_dev(dev);
			t[1] = now();
			xioctl(fd, ASHMEM_SET_NAME, (unsigned long)g_name, "SET_NAME");
			t[2] = now();
			xioctl(fd, ASHMEM_SET_SIZE, REGION, "SET_SIZE");
			t[3] = now();
			long token = xioctl(fd, ASHMEMD_IOC_GET_TOKEN,
					    ASHMEMD_MAP_ARG(REGION / PAGE, PROT_READ | PROT_WRITE, 1), "GET_TOKEN");
			t[4] = now();
			int mfd = fetch((unsigned)token, &rep);
			if (mfd < 0)
				die("broker: %s", strerror(-mfd));
			t[5] = now();
			void *p = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
			if (p == MAP_FAILED)
				die("mmap of the memfd: %s", strerror(errno));
			close(mfd);
			t[6] = now();
			touch(p, REGION);
			t[7] = now();
			munmap(p, REGION);
			t[8] = now();
			close(fd);
			t[9] = now();
			for (int i = 0; i < N; i++)
				sum[i] += t[i + 1] - t[i] - cc;
			cycles++;
		}
		for (int i = 0; i < N; i++)
			printf("S %s%d - %.2f\n", prefix, i, sum[i] / (double)cycles * 1e6);
		chunk++;
	}
}

/* Every path a measurement takes, in small interleaved batches, so that each gets its share even
   when the time limit ends the warm-up early. */
static void warm(const char *dev, long n, double secs)
{
	double t0 = now(), end = t0 + secs;
	long done[5] = { 0 };
	struct target t;
	target_open(&t, dev, 1);
	int mapped = t.map != NULL;
	struct pool one, eight;
	struct broker_op fresh, kept;
	if (mapped) {
		pool_start(&one, 1);
		pool_start(&eight, 8);
		broker_ops(t.fd, &fresh, &kept);
	}
	for (long i = 0; done[0] < n && now() < end; i++) {
		if (mapped) {
			pool_phase(&one, dev, 0, 10);
			if (i % 4 == 0) {
				pool_phase(&eight, dev, 0, 2);
				done[1] += 16;
				/* what the broker and bandwidth measurements do besides: tokens for a region
				   mapped already, over a kept connection and new ones, and a region without a
				   name; else their paths leave compiled code for the first time while measured */
				for (int k = 0; k < 4; k++) {
					op_broker(&kept);
					op_broker(&fresh);
				}
				struct mapping m = map_big(dev, 1 << 20);
				unmap_big(&m);
			}
		}
		done[0] += 10;
		/* GET_SIZE is measured on a region that is never mapped: its release takes other branches */
		struct target u;
		target_open(&u, dev, 0);
		for (int k = 0; k < 30; k++)
			op_getsize(k < 3 ? &u : &t);
		target_close(&u);
		done[2] += 30;
		/* a pair is four requests through the range and LRU code: as many as the GET_SIZEs, so that
		   those paths reach their final compilation in the warm-up too */
		for (int k = 0; k < 15; k++)
			op_pinpair(&t);
		done[3] += 15;
		for (int k = 0; k < 3; k++)
			ioc_once(dev);
		done[4] += 3;
	}
	if (mapped) {
		pool_stop(&one);
		pool_stop(&eight);
		close(kept.sock);
	} else {
		done[0] = done[1] = 0;
	}
	target_close(&t);
	fprintf(stderr, "bench: warm-up of %s: %ld cycles (1 thread), %ld cycles (8 threads), %ld GET_SIZE, "
			"%ld UNPIN+PIN, %ld CUSE parts in %.1f s%s\n",
		dev, done[0], done[1], done[2], done[3], done[4], now() - t0,
		now() >= end ? " (stopped by its time limit)" : "");
}

static void run_spec(char *spec, int counting)
{
	char *s = spec;
	char *kind = field(&s);
	char *a = field(&s);

	if (counting) {
		long n = atol(field(&s));
		struct target t;
		if (strcmp(kind, "getsize-n") == 0 || strcmp(kind, "pin-n") == 0) {
			target_open(&t, a, kind[0] == 'p');
			for (long i = 0; i < n; i++)
				kind[0] == 'p' ? op_pinpair(&t) : op_getsize(&t);
			target_close(&t);
		} else if (strcmp(kind, "ioc-n") == 0) {
			for (long i = 0; i < n; i++)
				ioc_once(a);
		} else if (strcmp(kind, "cycle-n") == 0 || strcmp(kind, "cycle8-n") == 0) {
			/* on worker threads, as in the measurement; cycle8-n: n in all over 8 threads */
			int threads = kind[5] == '8' ? 8 : 1;
			struct pool p;
			pool_start(&p, threads);
			if (n >= threads)
				pool_phase(&p, a, 0, n / threads);
			pool_stop(&p);
		} else {
			die("unknown count '%s'", kind);
		}
		return;
	}
	if (strcmp(kind, "warm") == 0) {
		long n = atol(field(&s));
		warm(a, n, atof(field(&s)));
		return;
	}
	if (strcmp(kind, "steps") == 0 || strcmp(kind, "rsteps") == 0) {
		steps(a, atof(field(&s)), kind[0] == 'r' ? "rstep" : "step");
		return;
	}
	char *b = field(&s);
	char key[256];
	if (strcmp(kind, "getsize") == 0 || strcmp(kind, "pin") == 0) {
		double secs = atof(field(&s)), slice = atof(field(&s));
		int pin = kind[0] == 'p';
		struct target ta, tb;
		target_open(&ta, a, pin);
		target_open(&tb, b, pin);
		(void)slice;
		alternate_ops(kind, pin ? op_pinpair : op_getsize, &ta, &tb, secs);
		target_close(&ta);
		target_close(&tb);
	} else if (strcmp(kind, "broker") == 0) {
		/* a (one connection, opened once) against b (a new connection per exchange, the
		   library's way), on one region */
		double secs = atof(field(&s));
		struct target t;
		target_open(&t, a, 1);
		struct broker_op fresh, open_conn;
		broker_ops(t.fd, &fresh, &open_conn);
		alternate_ops("broker", op_broker, &open_conn, &fresh, secs);
		close(open_conn.sock);
		target_close(&t);
	} else if (strcmp(kind, "ioc") == 0) {
		double secs = atof(field(&s)), slice = atof(field(&s));
		struct target ta = { .dev = a }, tb = { .dev = b };
		alternate("ioc", op_ioc, &ta, &tb, secs, slice, 1);
	} else if (strcmp(kind, "cycle") == 0) {
		int threads = atoi(field(&s));
		double secs = atof(field(&s)), slice = atof(field(&s));
		snprintf(key, sizeof key, "cycle%d", threads);
		struct pool p;
		pool_start(&p, threads);
		if (is_memfd(a) && is_memfd(b)) {
			double end = now() + secs, sum = 0;
			int k = 0;
			while (k < 2 || now() < end) {
				sum += pool_phase(&p, a, slice, 0);
				k++;
			}
			printf("S %s-alone %s %.1f\n", key, label(a), sum / k);
		} else {
			double end = now() + secs;
			for (int pair = 0; pair < 2 || now() < end; pair++) {
				double va, vb;
				if (pair & 1) {
					vb = pool_phase(&p, b, slice, 0);
					va = pool_phase(&p, a, slice, 0);
				} else {
					va = pool_phase(&p, a, slice, 0);
					vb = pool_phase(&p, b, slice, 0);
				}
				printf("P %s %.1f %.1f\n", key, va, vb);
			}
		}
		pool_stop(&p);
	} else if (strcmp(kind, "rate") == 0) {
		/* one side alone, for comparisons across processes */
		int threads = atoi(b);
		double secs = atof(field(&s));
		struct pool p;
		pool_start(&p, threads);
		pool_phase(&p, a, secs / 4, 0); /* the process's own warm-up: connection, page tables */
		printf("S rate%d-%s - %.1f\n", threads, label(a), pool_phase(&p, a, secs, 0));
		pool_stop(&p);
	} else if (strcmp(kind, "bw") == 0) {
		/* Every pass covers both whole mappings, 1 MiB at a time, the two sides taking turns
		   chunk by chunk (a chunk takes well under the host's scheduling quantum, so most run
		   undisturbed); one "P" line per pass: the median GB/s of each side's chunks. */
		size_t len = (size_t)atol(field(&s)) << 20, step = (size_t)1 << 20;
		int passes = atoi(field(&s)), n = (int)(len / step);
		/* which side is created (and first touched) first: the suite runs both orders, so that
		   where each lands in (guest and host) memory cannot favour one */
		int b_first = s && *s ? atoi(field(&s)) : 0;
		struct mapping ma, mb;
		if (b_first) {
			mb = map_big(b, len);
			ma = map_big(a, len);
		} else {
			ma = map_big(a, len);
			mb = map_big(b, len);
		}
		double va[4096], vb[4096];
		if (n > 4096)
			die("mapping too large for bw");
		for (int pass = 0; pass < passes; pass++) {
			double cc = clock_cost();
			int value = (pass & 0x7f) + 1;
			for (int i = 0; i < n; i++) {
				size_t off = (size_t)i * step;
				struct mapping *first = (i + pass) & 1 ? &mb : &ma, *second = first == &ma ? &mb : &ma;
				double t0 = now();
				memset(first->p + off, value, step);
				__asm__ volatile("" ::: "memory");
				double t1 = now();
				memset(second->p + off, value, step);
				__asm__ volatile("" ::: "memory");
				double t2 = now();
				double d1 = t1 - t0 - cc, d2 = t2 - t1 - cc;
				va[i] = (double)step / (first == &ma ? d1 : d2) / 1e9;
				vb[i] = (double)step / (first == &ma ? d2 : d1) / 1e9;
			}
			printf("P bw %.4f %.4f\n", median_of(va, n), median_of(vb, n));
		}
		unmap_big(&ma);
		unmap_big(&mb);
	} else {
		die("unknown measurement '%s'", kind);
	}
	fflush(stdout);
}

/* ---- parent ---- */

struct series {
	char key[64];
	double a[MAX_SAMPLES], b[MAX_SAMPLES];
	int n;
};

static struct series g_series[MAX_KEYS];
static int g_nseries;

static struct series *series(const char *key)
{
	for (int i = 0; i < g_nseries; i++)
		if (strcmp(g_series[i].key, key) == 0)
			return &g_series[i];
	if (g_nseries == MAX_KEYS)
		die("too many series");
	struct series *s = &g_series[g_nseries++];
	snprintf(s->key, sizeof s->key, "%s", key);
	return s;
}

/* what = 'a', 'b', or 'r' (per-pair ratio a / b, or b / a with invert) over samples [from, to) */
static double med(const char *key, char what, int invert, int from, int to)
{
	struct series *s = series(key);
	double v[MAX_SAMPLES];
	if (to > s->n || to < 0)
		to = s->n;
	int n = 0;
	for (int i = from; i < to; i++)
		v[n++] = what == 'a' ? s->a[i] : what == 'b' ? s->b[i] : invert ? s->b[i] / s->a[i] : s->a[i] / s->b[i];
	return median_of(v, n);
}

static const char *g_self;
static const char *g_preload;

static double g_last_single; /* the value of the last "S" line a child printed */

/* A child's environment: ours with LD_PRELOAD=preload (none when NULL) and, when broker is not
   NULL, ASHMEMD_BROKER=broker. The strings live until the next call. */
static void child_env(char **envp, int cap, const char *preload, const char *broker)
{
	static char ld[4200], br[4200];
	int envc = 0;
	for (char **e = environ; *e && envc < cap - 3; e++)
		if (strncmp(*e, "LD_PRELOAD=", 11) != 0 && (!broker || strncmp(*e, "ASHMEMD_BROKER=", 15) != 0))
			envp[envc++] = *e;
	if (preload) {
		snprintf(ld, sizeof ld, "LD_PRELOAD=%s", preload);
		envp[envc++] = ld;
	}
	if (broker) {
		snprintf(br, sizeof br, "ASHMEMD_BROKER=%s", broker);
		envp[envc++] = br;
	}
	envp[envc] = NULL;
}

struct team {
	pid_t pid;
	FILE *to, *from;
	const char *dev;
};

/* A team for dev (bench --team), its clients with the preload library and ASHMEMD_BROKER=broker
   (NULL: the default broker). */
static void team_start(struct team *t, const char *dev, const char *broker)
{
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0)
		die("pipe: %s", strerror(errno));
	char *argv[] = { (char *)g_self, "--team", (char *)dev, NULL };
	char *envp[512];
	child_env(envp, 512, g_preload, broker);
	fflush(NULL);
	t->pid = fork();
	if (t->pid < 0)
		die("fork: %s", strerror(errno));
	if (t->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		execve(g_self, argv, envp);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	t->to = fdopen(in[1], "w");
	t->from = fdopen(out[0], "r");
	t->dev = dev;
}

/* The machine's busy and total time from /proc/stat's first line, in clock ticks: busy leaves out
   idle and iowait, so two vCPUs fully used for a second count 2 * HZ. */
static void cpu_ticks(unsigned long long *busy, unsigned long long *total)
{
	unsigned long long v[10] = { 0 };
	FILE *f = fopen("/proc/stat", "re");
	if (!f || fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
			 &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]) < 8)
		die("cannot read /proc/stat");
	fclose(f);
	/* guest and guest_nice are already counted in user and nice */
	*total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
	*busy = *total - v[3] - v[4];
}

/* Runs one phase of N workers for SECS; cycles/s of all of them. busy (when not NULL): how many
   vCPUs the whole machine kept busy meanwhile, on average. */
static double team_phase_busy(struct team *t, int n, double secs, double *busy)
{
	char line[128];
	unsigned long long b0, t0, b1, t1;
	double w0 = now();
	cpu_ticks(&b0, &t0);
	fprintf(t->to, "%d %g\n", n, secs);
	fflush(t->to);
	if (!fgets(line, sizeof line, t->from))
		die("the team of %s ended (see its error above)", t->dev);
	cpu_ticks(&b1, &t1);
	if (busy)
		*busy = (double)(b1 - b0) / sysconf(_SC_CLK_TCK) / (now() - w0);
	return atof(line);
}

static double team_phase(struct team *t, int n, double secs)
{
	return team_phase_busy(t, n, secs, NULL);
}

static void team_stop(struct team *t)
{
	fclose(t->to);
	fclose(t->from);
	int st;
	while (waitpid(t->pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("the team of %s failed", t->dev);
}

/* One pair of phases, the order alternating with k: a and b in cycles/s, filed under key. */
static void team_pair(const char *key, struct team *a, struct team *b, int n, double secs, int k)
{
	double va, vb;
	if (k & 1) {
		vb = team_phase(b, n, secs);
		va = team_phase(a, n, secs);
	} else {
		va = team_phase(a, n, secs);
		vb = team_phase(b, n, secs);
	}
	struct series *se = series(key);
	if (se->n < MAX_SAMPLES) {
		se->a[se->n] = va;
		se->b[se->n++] = vb;
	}
}

/* Runs one child with the given preload library (NULL: none) and ASHMEMD_BROKER=broker (NULL:
   the default broker), and files what it prints. */
static void run_child_with(const char *preload, const char *broker, char **specs, int nspecs)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) != 0)
		die("pipe: %s", strerror(errno));
	char *argv[64];
	int argc = 0;
	argv[argc++] = (char *)g_self;
	argv[argc++] = "--child";
	for (int i = 0; i < nspecs && argc < 62; i++)
		argv[argc++] = specs[i];
	argv[argc] = NULL;

	char *envp[512];
	child_env(envp, 512, preload, broker);

	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(pfd[1], 1);
		execve(g_self, argv, envp);
		_exit(127);
	}
	close(pfd[1]);
	FILE *in = fdopen(pfd[0], "r");
	char line[512];
	while (fgets(line, sizeof line, in)) {
		char key[64], who[256];
		double va, vb;
		if (sscanf(line, "P %63s %lf %lf", key, &va, &vb) == 3) {
			struct series *s = series(key);
			if (s->n < MAX_SAMPLES) {
				s->a[s->n] = va;
				s->b[s->n++] = vb;
			}
		} else if (sscanf(line, "S %63s %255s %lf", key, who, &va) == 3) {
			g_last_single = va;
			struct series *s = series(key);
			if (s->n < MAX_SAMPLES) {
				s->a[s->n] = va;
				s->b[s->n++] = va;
			}
		} else {
			fputs(line, stderr);
		}
	}
	fclose(in);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bench: a measurement failed (");
		for (int i = 0; i < nspecs; i++)
			fprintf(stderr, "%s%s", i ? " " : "", specs[i]);
		die(") with %s %d", WIFEXITED(st) ? "status" : "signal",
		    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	}
}

static void run_child(const char *preload, char **specs, int nspecs)
{
	run_child_with(preload, NULL, specs, nspecs);
}

static char *spec(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *spec(const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		die("out of memory");
	va_end(ap);
	return s;
}

static FILE *g_tsv;

enum goal { NONE, AT_MOST, AT_LEAST };

/* One row of the main table; ratio is the median of the per-pair ratios. */
static void row(const char *id, const char *what, const char *unit, const char *fmt, double a,
		const char *base, double b, double ratio, enum goal goal, double target)
{
	char av[32], bv[32], tv[32];
	snprintf(av, sizeof av, fmt, a);
	snprintf(bv, sizeof bv, fmt, b);
	const char *met = "";
	int ok = goal == AT_MOST ? ratio <= target : ratio >= target;
	if (goal == NONE)
		snprintf(tv, sizeof tv, "–");
	else {
		snprintf(tv, sizeof tv, "%s %.2f×", goal == AT_MOST ? "≤" : "≥", target);
		met = ok ? "yes" : "**no**";
	}
	printf("| %s | %s | %s | %s | %s | %.2f× | %s | %s |\n", what, unit, av, base, bv, ratio, tv, met);
	if (g_tsv)
		fprintf(g_tsv, "%s\t%.6g\t%.6g\t%.4f\t%s\t%.4g\t%s\n", id, a, b, ratio,
			goal == AT_MOST ? "<=" : goal == AT_LEAST ? ">=" : "-", goal == NONE ? 0.0 : target,
			goal == NONE ? "-" : ok ? "met" : "missed");
}

/*
 * Throughput with 1, 2, 4 and 8 client processes, ashmemd's and the C reference's in alternating
 * phases (every count in each round, the order turning), run without pinning: the suite lets
 * every process and server thread use every vCPU for this. The scaling of a round is its N-process
 * rate over its 1-process rate, so that drift between rounds drops out; the table shows medians.
 */
static int scale_table(const char *A, const char *R, const char *R_broker, double scale)
{
	static const int procs[] = { 1, 2, 4, 8 };
	enum { NP = sizeof procs / sizeof procs[0], ROUNDS = 8 };
	double slice = 0.5 * scale, ra[ROUNDS][NP], rr[ROUNDS][NP], ba[ROUNDS][NP], br[ROUNDS][NP];
	struct team ta, tr;
	team_start(&ta, A, NULL);
	team_start(&tr, R, R_broker);
	/* warm-up: every worker's own, and the daemon's for what its new clients do (their first
	   requests from a pid it has not seen, concurrency it had not had), two rounds of all counts */
	for (int k = 0; k < 2; k++)
		for (int i = NP - 1; i >= 0; i--) {
			team_phase(&ta, procs[i], slice);
			team_phase(&tr, procs[i], slice);
		}
	for (int k = 0; k < ROUNDS; k++)
		for (int i = 0; i < NP; i++) {
			int first_a = (k + i) % 2 == 0;
			double *x = first_a ? &ra[k][i] : &rr[k][i], *y = first_a ? &rr[k][i] : &ra[k][i];
			double *bx = first_a ? &ba[k][i] : &br[k][i], *by = first_a ? &br[k][i] : &ba[k][i];
			*x = team_phase_busy(first_a ? &ta : &tr, procs[i], slice, bx);
			*y = team_phase_busy(first_a ? &tr : &ta, procs[i], slice, by);
		}
	team_stop(&ta);
	team_stop(&tr);
	printf("| client processes | ashmemd cycles/s | ashmemd × 1 process | ashmemd vCPUs busy | "
	       "C reference cycles/s | C reference × 1 process | C reference vCPUs busy | "
	       "ashmemd ÷ C reference, time per cycle |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	double sa[NP], sr[NP];
	for (int i = 0; i < NP; i++) {
		double va[ROUNDS], vr[ROUNDS], xa[ROUNDS], xr[ROUNDS], q[ROUNDS], ua[ROUNDS], ur[ROUNDS];
		for (int k = 0; k < ROUNDS; k++) {
			va[k] = ra[k][i];
			vr[k] = rr[k][i];
			xa[k] = ra[k][i] / ra[k][0];
			xr[k] = rr[k][i] / rr[k][0];
			q[k] = rr[k][i] / ra[k][i];
			ua[k] = ba[k][i];
			ur[k] = br[k][i];
		}
		sa[i] = median_of(xa, ROUNDS);
		sr[i] = median_of(xr, ROUNDS);
		printf("| %d | %.0f | %.2f× | %.2f | %.0f | %.2f× | %.2f | %.2f× |\n", procs[i], median_of(va, ROUNDS),
		       sa[i], median_of(ua, ROUNDS), median_of(vr, ROUNDS), sr[i], median_of(ur, ROUNDS),
		       median_of(q, ROUNDS));
	}
	printf("\n%d rounds of phases of %.1f s (each count, both servers, the order turning); a round's "
	       "scaling is its N-process rate over its own 1-process rate, the table shows medians. "
	       "vCPUs busy: the whole machine's non-idle time over the phase (/proc/stat), %ld vCPUs; "
	       "with every vCPU busy, N processes can gain at most vCPUs over the 1-process figure.\n",
	       ROUNDS, slice, sysconf(_SC_NPROCESSORS_ONLN));
	if (g_tsv) {
		fprintf(g_tsv, "scale2\t%.6g\t%.6g\t%.4f\t>=\t1.6\t%s\n", sa[1], sr[1], sa[1], sa[1] >= 1.6 ? "met" : "missed");
		fprintf(g_tsv, "scale8\t%.6g\t%.6g\t%.4f\t>=\t2\t%s\n", sa[3], sr[3], sa[3], sa[3] >= 2.0 ? "met" : "missed");
		fclose(g_tsv);
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench warm|measure --ashmem DEV --floor DEV --preload LIB [--scale F] [--tsv FILE]\n"
			"                     [--preload-b LIB]   (measure: also compare a second build of the library)\n"
			"                     [--reference DEV --reference-broker PATH]   (measure: the C reference)\n"
			"       bench scale --ashmem DEV --reference DEV --reference-broker PATH --preload LIB\n"
			"                     [--scale F] [--tsv FILE]\n"
			"       bench --team DEV\n"
			"       bench --count MARKDEV SPEC...\n"
			"       bench --child SPEC...\n");
	exit(64);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--team") == 0) {
		team_serve(argv[2]);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "--child") == 0) {
		for (int i = 2; i < argc; i++)
			run_spec(argv[i], 0);
		return 0;
	}
	if (argc >= 4 && strcmp(argv[1], "--count") == 0) {
		int mark = open_dev(argv[2]);
		ioctl(mark, BENCH_MARKER); /* refused by ashmemd, a constant from the floor: either marks */
		for (int i = 3; i < argc; i++) {
			run_spec(argv[i], 1);
			ioctl(mark, BENCH_MARKER);
		}
		close(mark);
		return 0;
	}
	if (argc < 2 || (strcmp(argv[1], "warm") != 0 && strcmp(argv[1], "measure") != 0 &&
			 strcmp(argv[1], "scale") != 0))
		usage();
	int measure = argv[1][0] == 'm', scaling = argv[1][0] == 's';

	const char *A = NULL, *F = NULL, *R = NULL, *R_broker = NULL, *tsv = NULL, *preload_b = NULL;
	double scale = 1.0;
	for (int i = 2; i < argc; i += 2) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			usage();
		if (strcmp(k, "--ashmem") == 0)
			A = v;
		else if (strcmp(k, "--floor") == 0)
			F = v;
		else if (strcmp(k, "--reference") == 0)
			R = v;
		else if (strcmp(k, "--reference-broker") == 0)
			R_broker = v;
		else if (strcmp(k, "--preload") == 0)
			g_preload = v;
		else if (strcmp(k, "--preload-b") == 0)
			preload_b = v;
		else if (strcmp(k, "--scale") == 0)
			scale = atof(v);
		else if (strcmp(k, "--tsv") == 0)
			tsv = v;
		else
			usage();
	}
	if (!A || (!F && !scaling) || !g_preload || !(scale > 0) || !R != !R_broker || (scaling && !R))
		usage();
	if (access(g_preload, R_OK) != 0)
		die("%s: %s", g_preload, strerror(errno));
	static char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		die("cannot find my own executable");
	self[n] = 0;
	g_self = self;
	double t_start = now();

	if (!measure && !scaling) {
		/* HotSpot compiles a method fully only after thousands of calls: every path of a request
		   and of a cycle must get there before it is timed. One call is one round; the suite
		   repeats rounds until the daemon's JIT has nothing left to compile. */
		char *w[] = { spec("warm,%s,%ld,%g", A, (long)(500 * scale), 25 * scale),
			      spec("warm,%s,%ld,%g", F, (long)(50 * scale), 5 * scale) };
		run_child(g_preload, w, 2);
		return 0;
	}

	if (tsv && !(g_tsv = fopen(tsv, "w")))
		die("%s: %s", tsv, strerror(errno));
	if (scaling)
		return scale_table(A, R, R_broker, scale);
	double secs = 4 * scale;
	char *pre[] = {
		spec("getsize,%s,%s,%g,-", A, F, secs),
		spec("pin,%s,%s,%g,-", A, F, secs),
		spec("ioc,%s,%s,%g,0.1", A, F, secs),
		spec("broker,%s,-,%g", A, secs / 2),
		spec("cycle,%s,memfd,1,%g,0.1", A, 1.5 * secs),
		spec("cycle,%s,memfd,2,%g,0.1", A, secs),
		spec("cycle,%s,memfd,8,%g,0.1", A, secs),
		spec("bw,%s,memfd,64,%d,0", A, (int)(8 * scale) < 2 ? 2 : (int)(8 * scale)),
		spec("bw,%s,memfd,64,%d,1", A, (int)(8 * scale) < 2 ? 2 : (int)(8 * scale)),
	};
	for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++) {
		run_child(g_preload, &pre[i], 1);
		fprintf(stderr, "bench: %s done at %.1f s\n", pre[i], now() - t_start);
	}

	/* the cycle step by step, ashmemd's and (with --reference) the C reference's, in turns */
	for (int k = 0; k < 4; k++) {
		char *st[] = { spec("%ssteps,%s,%g", k & 1 ? "r" : "", k & 1 ? R : A, secs / 4) };
		if (k & 1 && !R)
			continue;
		run_child_with(g_preload, k & 1 ? R_broker : NULL, st, 1);
	}
	fprintf(stderr, "bench: the cycle step by step done at %.1f s\n", now() - t_start);

	/* the whole cycle against the C reference of the protocol: one worker process each, since
	   the two need different brokers; alternating slices of 100 ms */
	if (R) {
		struct team ta, tr;
		team_start(&ta, A, NULL);
		team_start(&tr, R, R_broker);
		team_phase(&ta, 1, 0.3 * scale); /* each process's own warm-up: library, page tables */
		team_phase(&tr, 1, 0.3 * scale);
		double end = now() + 1.5 * secs;
		for (int k = 0; k < 2 || now() < end; k++)
			team_pair("refcycle", &ta, &tr, 1, 0.1, k);
		team_stop(&ta);
		team_stop(&tr);
		fprintf(stderr, "bench: cycles against the C reference done at %.1f s\n", now() - t_start);
	}

	/* a second build of the library against the first, process against process, alternating */
	static const int ab_threads[] = { 1, 2, 8 };
	for (int i = 0; preload_b && i < 3; i++) {
		char key[32];
		snprintf(key, sizeof key, "ab%d", ab_threads[i]);
		char *r[] = { spec("rate,%s,%d,%g", A, ab_threads[i], secs / 4) };
		for (int k = 0; k < 8; k++) {
			double va, vb;
			if (k & 1) {
				run_child(preload_b, r, 1);
				vb = g_last_single;
				run_child(g_preload, r, 1);
				va = g_last_single;
			} else {
				run_child(g_preload, r, 1);
				va = g_last_single;
				run_child(preload_b, r, 1);
				vb = g_last_single;
			}
			struct series *se = series(key);
			se->a[se->n] = va;
			se->b[se->n++] = vb;
		}
		fprintf(stderr, "bench: %d-thread cycles with --preload-b done at %.1f s\n", ab_threads[i],
			now() - t_start);
	}

	/* ---- the table ---- */
	double gs_a = med("getsize", 'a', 0, 0, -1), gs_f = med("getsize", 'b', 0, 0, -1);
	double pin_a = med("pin", 'a', 0, 0, -1), pin_f = med("pin", 'b', 0, 0, -1);
	double ioc_a = med("ioc", 'a', 0, 0, -1), ioc_f = med("ioc", 'b', 0, 0, -1);
	double c1_a = med("cycle1", 'a', 0, 0, -1), c1_m = med("cycle1", 'b', 0, 0, -1);

	printf("| measurement | unit | ashmemd | baseline | baseline value | ratio | target | met |\n");
	printf("|---|---|---:|---|---:|---:|---|---|\n");
	row("getsize", "GET_SIZE ioctl round trip", "ns/op", "%.0f", gs_a, "C CUSE floor", gs_f,
	    med("getsize", 'r', 0, 0, -1), AT_MOST, 1.15);
	row("unpin_pin", "UNPIN+PIN pair, mapped 16 KiB region", "ns/pair", "%.0f", pin_a, "C CUSE floor", pin_f,
	    med("pin", 'r', 0, 0, -1), AT_MOST, 1.15);
	row("cycle1", "full cycle, 1 thread", "µs/cycle", "%.1f", 1e6 / c1_a, "plain memfd", 1e6 / c1_m,
	    med("cycle1", 'r', 1, 0, -1), NONE, 0);
	row("cycle2", "full cycle, 2 threads (aggregate)", "cycles/s", "%.0f", med("cycle2", 'a', 0, 0, -1),
	    "plain memfd", med("cycle2", 'b', 0, 0, -1), med("cycle2", 'r', 1, 0, -1), NONE, 0);
	row("cycle8", "full cycle, 8 threads (aggregate)", "cycles/s", "%.0f", med("cycle8", 'a', 0, 0, -1),
	    "plain memfd", med("cycle8", 'b', 0, 0, -1), med("cycle8", 'r', 1, 0, -1), NONE, 0);
	if (R) {
		double r_a = med("refcycle", 'a', 0, 0, -1), r_r = med("refcycle", 'b', 0, 0, -1);
		row("cycle_reference", "full cycle, 1 process, against the C reference of the same protocol (cuse-floor --broker)",
		    "µs/cycle", "%.1f", 1e6 / r_a, "C reference", 1e6 / r_r, med("refcycle", 'r', 1, 0, -1), AT_MOST, 1.25);
		row("reference_bound", "the C reference's full cycle vs the memfd cycle", "µs/cycle", "%.1f", 1e6 / r_r,
		    "plain memfd", 1e6 / c1_m, (1e6 / r_r) / (1e6 / c1_m), NONE, 0);
	}
	row("bandwidth", "memset through a 64 MiB mapping", "GB/s", "%.3f", med("bw", 'a', 0, 0, -1), "plain memfd",
	    med("bw", 'b', 0, 0, -1), med("bw", 'r', 0, 0, -1), AT_LEAST, 0.97);
	row("broker_new_conn", "GET_TOKEN + broker exchange: a new connection each time (the library's) vs one kept open", "µs/op",
	    "%.1f", med("broker", 'b', 0, 0, -1) / 1e3, "connection kept open", med("broker", 'a', 0, 0, -1) / 1e3,
	    med("broker", 'r', 1, 0, -1), NONE, 0);
	row("cuse_part", "CUSE part of the cycle: open+SET_NAME+SET_SIZE+GET_TOKEN+close", "µs/cycle", "%.1f",
	    ioc_a / 1e3, "C CUSE floor", ioc_f / 1e3, med("ioc", 'r', 0, 0, -1), NONE, 0);
	row("floor_bound", "the floor's CUSE part vs the memfd cycle (no CUSE server can go below)", "µs/cycle",
	    "%.1f", ioc_f / 1e3, "plain memfd", 1e6 / c1_m, ioc_f / 1e3 / (1e6 / c1_m), NONE, 0);
	for (int i = 0; preload_b && i < 3; i++) {
		char key[32], what[128];
		snprintf(key, sizeof key, "ab%d", ab_threads[i]);
		snprintf(what, sizeof what, "full cycle, %d thread%s, library B (--preload-b) vs A; ratio B ÷ A",
			 ab_threads[i], ab_threads[i] > 1 ? "s" : "");
		printf("| %s | cycles/s | %.0f (B) | library A | %.0f | %.2f× | – |  |\n", what,
		       med(key, 'b', 0, 0, -1), med(key, 'a', 0, 0, -1), med(key, 'r', 1, 0, -1));
	}
	printf("\nashmemd and its baseline take turns in one process (A B, B A, ...). GET_SIZE and UNPIN+PIN: "
	       "each operation timed on its own (the clock read taken out), medians per chunk of %d pairs; "
	       "bandwidth: 1 MiB memsets timed the same way, medians per 64 MiB pass; everything else: "
	       "alternating slices of 100 ms. "
	       "Each chunk or adjacent pair of slices gives one ratio; the table shows the median ratio "
	       "and the medians of the values. Times: ashmemd ÷ baseline. Rates (cycles/s): baseline ÷ "
	       "ashmemd, so above 1× means slower. Bandwidth: ashmemd ÷ memfd. The memfd side runs with the "
	       "preload library loaded too (same process), which adds a call and one relaxed load to its "
	       "mmap and munmap.\n", CHUNK);

	printf("\nWhere the time of one cycle goes: the steps done one by one (the mmap through the "
	       "library's client API, so without the kernel's failed mmap and the fstat of the preload "
	       "path), medians over chunks of a quarter second, the cost of reading the clock taken out; "
	       "ashmemd and the C reference in turns, two runs each:"
	       "\n\n| step | ashmemd µs | share | C reference µs | ashmemd − reference µs | ratio |"
	       "\n|---|---:|---:|---:|---:|---:|\n");
	double total = 0, rtotal = 0, st[NSTEPS], rst[NSTEPS];
	for (int i = 0; i < NSTEPS; i++) {
		char key[16];
		snprintf(key, sizeof key, "step%d", i);
		st[i] = med(key, 'a', 0, 0, -1);
		total += st[i];
		snprintf(key, sizeof key, "rstep%d", i);
		rst[i] = R ? med(key, 'a', 0, 0, -1) : 0;
		rtotal += rst[i];
	}
	for (int i = 0; i < NSTEPS; i++) {
		if (R)
			printf("| %s | %.1f | %.0f %% | %.1f | %+.1f | %.2f× |\n", step_name[i], st[i], 100 * st[i] / total,
			       rst[i], st[i] - rst[i], st[i] / rst[i]);
		else
			printf("| %s | %.1f | %.0f %% | – | – | – |\n", step_name[i], st[i], 100 * st[i] / total);
	}
	if (R)
		printf("| **sum** | **%.1f** | | **%.1f** | **%+.1f** | **%.2f×** |\n", total, rtotal, total - rtotal,
		       total / rtotal);
	else
		printf("| **sum** | **%.1f** | | – | – | – |\n", total);

	printf("\n| series | pairs | ashmemd median (min–max) | baseline median (min–max) | ratio, first half | "
	       "ratio, second half |\n|---|---:|---|---|---:|---:|\n");
	for (int i = 0; i < g_nseries; i++) {
		struct series *s = &g_series[i];
		if (strncmp(s->key, "step", 4) == 0 || strncmp(s->key, "rstep", 5) == 0 || strncmp(s->key, "rate", 4) == 0)
			continue;
		double lo_a = s->a[0], hi_a = s->a[0], lo_b = s->b[0], hi_b = s->b[0];
		for (int j = 1; j < s->n; j++) {
			lo_a = s->a[j] < lo_a ? s->a[j] : lo_a;
			hi_a = s->a[j] > hi_a ? s->a[j] : hi_a;
			lo_b = s->b[j] < lo_b ? s->b[j] : lo_b;
			hi_b = s->b[j] > hi_b ? s->b[j] : hi_b;
		}
		int inv = strncmp(s->key, "cycle", 5) == 0;
		printf("| %s | %d | %.4g (%.4g–%.4g) | %.4g (%.4g–%.4g) | %.3f | %.3f |\n", s->key, s->n,
		       med(s->key, 'a', 0, 0, -1), lo_a, hi_a, med(s->key, 'b', 0, 0, -1), lo_b, hi_b,
		       med(s->key, 'r', inv, 0, s->n / 2), med(s->key, 'r', inv, s->n / 2, -1));
	}
	fprintf(stderr, "bench: measured in %.1f s\n", now() - t_start);
	if (g_tsv)
		fclose(g_tsv);
	return 0;
}
