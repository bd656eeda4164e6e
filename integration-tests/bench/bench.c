/*
 * bench: what an ashmemd region costs next to what it cannot cost less than, measured in one boot
 * and printed as a Markdown table.
 *
 *   bench --ashmem DEV --floor DEV --preload LIB [--rounds N] [--scale F] [--tsv FILE]
 *   bench --child SPEC...     one measurement process (the parent starts these)
 *   bench --count SPEC        one exact-count run, for syscall tracing (no timing)
 *
 * Baselines: the floor (bench/cuse-floor, a libfuse3 CUSE server that answers every ioctl with a
 * constant through the same exchanges ashmemd needs) for the per-request costs, and a plain memfd
 * for the region cycle and the memory bandwidth. Timings under emulation are meaningless alone,
 * so every figure is paired with its baseline in the same round, rounds alternate the order of
 * the measurements, and the table gives medians over rounds.
 *
 * The ashmemd and floor measurements run in a child with LD_PRELOAD=LIB (the mmap path needs it,
 * the others do not notice it); the memfd cycle runs in a child without it, as a program that
 * never heard of ashmemd would.
 *
 * SPEC is KIND,DEV[,ARGS]:
 *   getsize,DEV,SECS          ASHMEM_GET_SIZE in a loop -> ns per ioctl
 *   pin,DEV,SECS              UNPIN + PIN of a whole 16 KiB region -> ns per pair (the region is
 *                             mapped first when DEV is ashmemd; the floor cannot map)
 *   ioc,DEV,SECS              open + SET_NAME + SET_SIZE + GET_TOKEN + close -> us per cycle
 *                             (the CUSE part of the region cycle, nothing else)
 *   cycle,DEV,THREADS,SECS    open + SET_NAME + SET_SIZE + mmap 16 KiB + touch + munmap + close
 *                             (DEV "memfd": memfd_create + ftruncate + mmap + touch + munmap +
 *                             close) -> cycles/s over all threads
 *   bw,DEV,MIB,PASSES         memset passes over a DEV mapping and a memfd mapping, alternating,
 *                             after the first touch -> GB/s per pass
 *   warm,DEV,N                N GET_SIZE, N/6 UNPIN+PIN, N/12 ioc and N/8 cycles (1 and 8
 *                             threads): gets the daemon's JIT compiler past its thresholds
 *   getsize-n,DEV,N  cycle-n,DEV,N  pin-n,DEV,N   exactly N operations (--count)
 */
#define _GNU_SOURCE
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
#define MAX_SAMPLES 512
#define MAX_KEYS 64

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

/* Page-aligned, so SET_NAME's first fetch (to the end of the caller's page) always holds the NUL:
   two rounds every time, never three. */
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

/* ---- one region cycle ---- */

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

/* The CUSE requests of the cycle and nothing else: the token is never redeemed (it dies with
   the open file). */
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

/* ---- timed loops: run until the time is up, checking the clock every few operations ---- */

static double per_op_ns(double secs, int batch, void (*op)(void *), void *arg, long *ops_out)
{
	long ops = 0;
	double t0 = now(), t;
	do {
		for (int i = 0; i < batch; i++)
			op(arg);
		ops += batch;
		t = now();
	} while (t - t0 < secs);
	if (ops_out)
		*ops_out = ops;
	return (t - t0) * 1e9 / (double)ops;
}

struct fdarg {
	int fd;
};

static void op_getsize(void *a)
{
	xioctl(((struct fdarg *)a)->fd, ASHMEM_GET_SIZE, 0, "GET_SIZE");
}

static void op_pinpair(void *a)
{
	int fd = ((struct fdarg *)a)->fd;
	struct ashmem_pin pin = { 0, 0 }; /* the whole region */
	xioctl(fd, ASHMEM_UNPIN, (unsigned long)&pin, "UNPIN");
	xioctl(fd, ASHMEM_PIN, (unsigned long)&pin, "PIN");
}

static void op_ioc(void *a)
{
	ioc_once((const char *)a);
}

/* A region to pin: mapped (the daemon then has its memory, as in real use) unless on the floor. */
struct pinned {
	int fd;
	void *map;
};

static struct pinned pin_setup(const char *dev, int mapped)
{
	struct pinned r = { open_dev(dev), NULL };
	xioctl(r.fd, ASHMEM_SET_NAME, (unsigned long)g_name, "SET_NAME");
	xioctl(r.fd, ASHMEM_SET_SIZE, REGION, "SET_SIZE");
	if (mapped) {
		r.map = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_SHARED, r.fd, 0);
		if (r.map == MAP_FAILED)
			die("mmap of %s: %s", dev, strerror(errno));
		touch(r.map, REGION);
	}
	return r;
}

static void pin_teardown(struct pinned *r)
{
	if (r->map)
		munmap(r->map, REGION);
	close(r->fd);
}

/* The floor answers GET_SIZE with a constant and cannot map; anything else is ashmemd. */
static int can_map(const char *dev, int fd)
{
	(void)dev;
	return ioctl(fd, ASHMEM_GET_SIZE) == REGION;
}

/* ---- the multi-threaded cycle ---- */

struct worker {
	pthread_t th;
	const char *dev;
	long cycles;
	long limit; /* >0: exactly this many, then stop */
};

static pthread_barrier_t g_start;
static volatile int g_stop;

static void *cycle_worker(void *arg)
{
	struct worker *w = arg;
	pthread_barrier_wait(&g_start);
	while (w->limit > 0 ? w->cycles < w->limit : !__atomic_load_n(&g_stop, __ATOMIC_RELAXED)) {
		cycle_once(w->dev);
		w->cycles++;
	}
	return NULL;
}

/* Cycles per second over all threads: time from the common start to the last thread's last
   cycle. With limit > 0 each thread does exactly limit cycles and secs is ignored. */
static double run_cycles(const char *dev, int threads, double secs, long limit)
{
	struct worker w[MAX_THREADS];
	if (threads < 1 || threads > MAX_THREADS)
		die("threads must be 1..%d", MAX_THREADS);
	g_stop = 0;
	pthread_barrier_init(&g_start, NULL, (unsigned)threads + 1);
	for (int i = 0; i < threads; i++) {
		w[i] = (struct worker){ .dev = dev, .limit = limit };
		int e = pthread_create(&w[i].th, NULL, cycle_worker, &w[i]);
		if (e)
			die("pthread_create: %s", strerror(e));
	}
	pthread_barrier_wait(&g_start);
	double t0 = now();
	if (limit <= 0) {
		sleep_s(secs);
		__atomic_store_n(&g_stop, 1, __ATOMIC_RELAXED);
	}
	long total = 0;
	for (int i = 0; i < threads; i++) {
		pthread_join(w[i].th, NULL);
		total += w[i].cycles;
	}
	double t1 = now();
	pthread_barrier_destroy(&g_start);
	return (double)total / (t1 - t0);
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
	memset(m.p, 0x5a, len); /* first touch: allocation is not bandwidth */
	__asm__ volatile("" ::: "memory");
	return m;
}

static double pass_gbs(struct mapping *m, int value)
{
	double t0 = now();
	memset(m->p, value, m->len);
	__asm__ volatile("" ::: "memory");
	double t1 = now();
	return (double)m->len / (t1 - t0) / 1e9;
}

static void unmap_big(struct mapping *m)
{
	munmap(m->p, m->len);
	close(m->fd);
}

/* ---- child: run specs, print "R key value" lines ---- */

static char *field(char **s)
{
	char *f = strsep(s, ",");
	if (!f || !*f)
		die("bad spec");
	return f;
}

static void run_spec(char *spec, int counting)
{
	char *s = spec;
	char *kind = field(&s);
	char *dev = field(&s);
	const char *who = is_memfd(dev) ? "memfd" : dev;

	if (strcmp(kind, "getsize") == 0 || strcmp(kind, "getsize-n") == 0) {
		struct fdarg a = { open_dev(dev) };
		xioctl(a.fd, ASHMEM_SET_SIZE, REGION, "SET_SIZE");
		if (counting) {
			long n = atol(field(&s));
			for (long i = 0; i < n; i++)
				op_getsize(&a);
		} else {
			double ns = per_op_ns(atof(field(&s)), 32, op_getsize, &a, NULL);
			printf("R getsize %s %.1f\n", who, ns);
		}
		close(a.fd);
	} else if (strcmp(kind, "pin") == 0 || strcmp(kind, "pin-n") == 0) {
		int probe = open_dev(dev);
		xioctl(probe, ASHMEM_SET_SIZE, REGION, "SET_SIZE");
		int mapped = can_map(dev, probe);
		close(probe);
		struct pinned r = pin_setup(dev, mapped);
		struct fdarg a = { r.fd };
		if (counting) {
			long n = atol(field(&s));
			for (long i = 0; i < n; i++)
				op_pinpair(&a);
		} else {
			double ns = per_op_ns(atof(field(&s)), 8, op_pinpair, &a, NULL);
			printf("R pin %s %.1f\n", who, ns);
		}
		pin_teardown(&r);
	} else if (strcmp(kind, "ioc") == 0 || strcmp(kind, "ioc-n") == 0) {
		if (counting) {
			long n = atol(field(&s));
			for (long i = 0; i < n; i++)
				ioc_once(dev);
		} else {
			double ns = per_op_ns(atof(field(&s)), 2, op_ioc, dev, NULL);
			printf("R ioc %s %.3f\n", who, ns / 1e3);
		}
	} else if (strcmp(kind, "cycle") == 0) {
		int threads = atoi(field(&s));
		double cps = run_cycles(dev, threads, atof(field(&s)), 0);
		printf("R cycle%d %s %.1f\n", threads, who, cps);
	} else if (strcmp(kind, "cycle-n") == 0) {
		long n = atol(field(&s));
		run_cycles(dev, 1, 0, n);
	} else if (strcmp(kind, "bw") == 0) {
		size_t len = (size_t)atol(field(&s)) << 20;
		int passes = atoi(field(&s));
		struct mapping a = map_big(dev, len);
		struct mapping b = map_big("memfd", len);
		/* ABBA order, so neither side always runs first */
		for (int i = 0; i < passes; i++) {
			int value = (i & 0x7f) + 1;
			if (i & 1) {
				printf("R bw memfd %.4f\n", pass_gbs(&b, value));
				printf("R bw %s %.4f\n", who, pass_gbs(&a, value));
			} else {
				printf("R bw %s %.4f\n", who, pass_gbs(&a, value));
				printf("R bw memfd %.4f\n", pass_gbs(&b, value));
			}
		}
		unmap_big(&a);
		unmap_big(&b);
	} else if (strcmp(kind, "warm") == 0) {
		long n = atol(field(&s));
		double t0 = now();
		struct fdarg a = { open_dev(dev) };
		xioctl(a.fd, ASHMEM_SET_SIZE, REGION, "SET_SIZE");
		for (long i = 0; i < n; i++)
			op_getsize(&a);
		close(a.fd);
		int probe = open_dev(dev);
		xioctl(probe, ASHMEM_SET_SIZE, REGION, "SET_SIZE");
		int mapped = can_map(dev, probe);
		close(probe);
		struct pinned r = pin_setup(dev, mapped);
		a.fd = r.fd;
		for (long i = 0; i < n / 6; i++)
			op_pinpair(&a);
		pin_teardown(&r);
		for (long i = 0; i < n / 12; i++)
			ioc_once(dev);
		if (mapped) {
			run_cycles(dev, 1, 0, n / 16);
			run_cycles(dev, 8, 0, n / 128);
		}
		printf("R warm %s %.1f\n", who, now() - t0);
	} else {
		die("unknown measurement '%s'", kind);
	}
	fflush(stdout);
}

/* ---- parent: rounds of children, then the table ---- */

struct series {
	char key[400];
	double v[MAX_SAMPLES];
	int n;
	int round_of[MAX_SAMPLES];
};

static struct series g_series[MAX_KEYS];
static int g_nseries;
static int g_round;

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

static void add_sample(const char *key, double v)
{
	struct series *s = series(key);
	if (s->n < MAX_SAMPLES) {
		s->round_of[s->n] = g_round;
		s->v[s->n++] = v;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* median, min and max; NAN when there is no sample */
static double stat_of(const char *key, double *lo, double *hi)
{
	struct series *s = series(key);
	double v[MAX_SAMPLES];
	if (s->n == 0) {
		if (lo)
			*lo = NAN;
		if (hi)
			*hi = NAN;
		return NAN;
	}
	memcpy(v, s->v, sizeof(double) * (size_t)s->n);
	qsort(v, (size_t)s->n, sizeof v[0], cmp_double);
	if (lo)
		*lo = v[0];
	if (hi)
		*hi = v[s->n - 1];
	return s->n % 2 ? v[s->n / 2] : (v[s->n / 2 - 1] + v[s->n / 2]) / 2;
}

static double median(const char *key)
{
	return stat_of(key, NULL, NULL);
}

static const char *g_self;
static const char *g_preload;

/* Runs one child with or without the preload library and files its results. */
static void run_child(int preload, char **specs, int nspecs)
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
	int envc = 0;
	static char ld[4200];
	for (char **e = environ; *e && envc < 500; e++)
		if (strncmp(*e, "LD_PRELOAD=", 11) != 0)
			envp[envc++] = *e;
	if (preload) {
		snprintf(ld, sizeof ld, "LD_PRELOAD=%s", g_preload);
		envp[envc++] = ld;
	}
	envp[envc] = NULL;

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
		char kind[32], who[300];
		double v;
		if (sscanf(line, "R %31s %299s %lf", kind, who, &v) == 3) {
			char key[400];
			snprintf(key, sizeof key, "%s/%s", kind, who);
			add_sample(key, v);
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

static void reverse(char **v, int n)
{
	for (int i = 0; i < n / 2; i++) {
		char *t = v[i];
		v[i] = v[n - 1 - i];
		v[n - 1 - i] = t;
	}
}

static FILE *g_tsv;

/* One table row. ratio = a / b; kind: 0 no target, 1 ratio <= target, 2 ratio >= target */
static void row(const char *id, const char *what, const char *unit, double a, double b,
		const char *base_name, double ratio, int kind, double target, const char *fmt)
{
	char av[32], bv[32], rv[32], tv[32];
	snprintf(av, sizeof av, fmt, a);
	snprintf(bv, sizeof bv, fmt, b);
	snprintf(rv, sizeof rv, "%.2f×", ratio);
	const char *met = "";
	if (kind == 1) {
		snprintf(tv, sizeof tv, "≤ %.2f×", target);
		met = ratio <= target ? "yes" : "**no**";
	} else if (kind == 2) {
		snprintf(tv, sizeof tv, "≥ %.2f×", target);
		met = ratio >= target ? "yes" : "**no**";
	} else {
		snprintf(tv, sizeof tv, "–");
	}
	printf("| %s | %s | %s | %s | %s | %s | %s | %s |\n", what, unit, av, base_name, bv, rv, tv, met);
	if (g_tsv)
		fprintf(g_tsv, "%s\t%.6g\t%.6g\t%.4f\t%s\t%.4g\t%s\n", id, a, b, ratio,
			kind == 1 ? "le" : kind == 2 ? "ge" : "-", kind ? target : 0.0,
			kind == 0 ? "-" : (kind == 1 ? ratio <= target : ratio >= target) ? "met" : "missed");
}

static void usage(void)
{
	fprintf(stderr, "usage: bench --ashmem DEV --floor DEV --preload LIB [--rounds N] [--scale F] [--tsv FILE]\n"
			"       bench --child SPEC...\n"
			"       bench --count SPEC\n");
	exit(64);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "--child") == 0) {
		for (int i = 2; i < argc; i++)
			run_spec(argv[i], 0);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "--count") == 0) {
		run_spec(argv[2], 1);
		return 0;
	}

	const char *ashmem = NULL, *floor_dev = NULL, *tsv = NULL;
	int rounds = 7;
	double scale = 1.0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			usage();
		if (strcmp(a, "--ashmem") == 0)
			ashmem = v;
		else if (strcmp(a, "--floor") == 0)
			floor_dev = v;
		else if (strcmp(a, "--preload") == 0)
			g_preload = v;
		else if (strcmp(a, "--rounds") == 0)
			rounds = atoi(v);
		else if (strcmp(a, "--scale") == 0)
			scale = atof(v);
		else if (strcmp(a, "--tsv") == 0)
			tsv = v;
		else
			usage();
		i++;
	}
	if (!ashmem || !floor_dev || !g_preload || rounds < 1 || rounds > 50 || !(scale > 0))
		usage();
	if (access(g_preload, R_OK) != 0)
		die("%s: %s", g_preload, strerror(errno));
	static char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		die("cannot find my own executable");
	self[n] = 0;
	g_self = self;
	if (tsv && !(g_tsv = fopen(tsv, "w")))
		die("%s: %s", tsv, strerror(errno));

	const char *A = ashmem, *F = floor_dev;
	double t_start = now();

	/* ---- warm-up: the JIT compiles after thousands of calls of each path ---- */
	long warm_n = (long)(30000 * scale);
	if (warm_n < 1200)
		warm_n = 1200;
	char *w[] = { spec("warm,%s,%ld", A, warm_n), spec("warm,%s,%ld", F, warm_n / 10) };
	g_round = 0;
	run_child(1, w, 2);
	fprintf(stderr, "bench: warm-up: ashmemd %.1f s (%ld GET_SIZE, %ld UNPIN+PIN, %ld CUSE cycles, %ld full cycles)\n",
		median(spec("warm/%s", A)), warm_n, warm_n / 6, warm_n / 12, warm_n / 16 + (warm_n / 128) * 8);

	/* ---- rounds ---- */
	double d = 0.4 * scale;  /* seconds per short sample */
	double dc = 0.8 * scale; /* seconds per cycle sample */
	int passes = 4;
	for (int r = 1; r <= rounds; r++) {
		g_round = r;
		char *pre[] = {
			spec("getsize,%s,%g", A, d), spec("getsize,%s,%g", F, d),
			spec("pin,%s,%g", A, d),     spec("pin,%s,%g", F, d),
			spec("ioc,%s,%g", A, d),     spec("ioc,%s,%g", F, d),
			spec("cycle,%s,1,%g", A, dc), spec("cycle,%s,2,%g", A, dc),
			spec("cycle,%s,8,%g", A, dc), spec("bw,%s,64,%d", A, passes),
		};
		char *plain[] = {
			spec("cycle,memfd,1,%g", d), spec("cycle,memfd,2,%g", d), spec("cycle,memfd,8,%g", d),
		};
		int npre = (int)(sizeof pre / sizeof pre[0]), nplain = (int)(sizeof plain / sizeof plain[0]);
		if (r % 2 == 0) {
			reverse(pre, npre);
			reverse(plain, nplain);
			run_child(0, plain, nplain);
			run_child(1, pre, npre);
		} else {
			run_child(1, pre, npre);
			run_child(0, plain, nplain);
		}
		fprintf(stderr, "bench: round %d/%d done at %.1f s\n", r, rounds, now() - t_start);
	}

	/* ---- the table ---- */
	char k[8][128];
	snprintf(k[0], sizeof k[0], "getsize/%s", A);
	snprintf(k[1], sizeof k[1], "getsize/%s", F);
	snprintf(k[2], sizeof k[2], "pin/%s", A);
	snprintf(k[3], sizeof k[3], "pin/%s", F);
	snprintf(k[4], sizeof k[4], "ioc/%s", A);
	snprintf(k[5], sizeof k[5], "ioc/%s", F);
	char ka[3][128];
	int th[3] = { 1, 2, 8 };
	for (int i = 0; i < 3; i++)
		snprintf(ka[i], sizeof ka[i], "cycle%d/%s", th[i], A);
	char kbw[128];
	snprintf(kbw, sizeof kbw, "bw/%s", A);

	double gs_a = median(k[0]), gs_f = median(k[1]);
	double pin_a = median(k[2]), pin_f = median(k[3]);
	double ioc_a = median(k[4]), ioc_f = median(k[5]);
	double c_a[3], c_m[3];
	for (int i = 0; i < 3; i++) {
		char km[64];
		snprintf(km, sizeof km, "cycle%d/memfd", th[i]);
		c_a[i] = median(ka[i]);
		c_m[i] = median(km);
	}
	double bw_a = median(kbw), bw_m = median("bw/memfd");

	printf("| measurement | unit | ashmemd | baseline | baseline value | ratio | target | met |\n");
	printf("|---|---|---:|---|---:|---:|---|---|\n");
	row("getsize", "GET_SIZE ioctl round trip", "ns/op", gs_a, gs_f, "C CUSE floor", gs_a / gs_f, 1, 1.25, "%.0f");
	row("unpin_pin", "UNPIN+PIN pair on a mapped 16 KiB region", "ns/pair", pin_a, pin_f, "C CUSE floor",
	    pin_a / pin_f, 1, 1.25, "%.0f");
	row("cycle1", "full cycle, 1 thread", "µs/cycle", 1e6 / c_a[0], 1e6 / c_m[0], "plain memfd",
	    c_m[0] / c_a[0], 1, 6.0, "%.1f");
	row("cycle2", "full cycle, 2 threads", "cycles/s", c_a[1], c_m[1], "plain memfd", c_m[1] / c_a[1], 0, 0,
	    "%.0f");
	row("cycle8", "full cycle, 8 threads", "cycles/s", c_a[2], c_m[2], "plain memfd", c_m[2] / c_a[2], 0, 0,
	    "%.0f");
	row("bandwidth", "memset through a 64 MiB mapping", "GB/s", bw_a, bw_m, "plain memfd", bw_a / bw_m, 2, 0.97,
	    "%.3f");
	row("cuse_cycle", "CUSE part of the cycle (open+SET_NAME+SET_SIZE+GET_TOKEN+close)", "µs/cycle", ioc_a, ioc_f,
	    "C CUSE floor", ioc_a / ioc_f, 0, 0, "%.1f");
	row("rest_of_cycle", "rest of the cycle (broker hop, mmap, touch, munmap): full − CUSE part", "µs/cycle",
	    1e6 / c_a[0] - ioc_a, 1e6 / c_m[0], "plain memfd (whole cycle)", (1e6 / c_a[0] - ioc_a) / (1e6 / c_m[0]),
	    0, 0, "%.1f");
	row("floor_cycle_vs_memfd", "floor's CUSE part alone vs the memfd cycle (bound for any CUSE server)",
	    "µs/cycle", ioc_f, 1e6 / c_m[0], "plain memfd", ioc_f / (1e6 / c_m[0]), 0, 0, "%.1f");
	printf("\nRatios are ashmemd ÷ baseline for times, baseline ÷ ashmemd for the multi-threaded cycle rates "
	       "(so above 1× is slower everywhere except bandwidth, where ratio is ashmemd ÷ memfd). "
	       "Medians over %d rounds; each round runs every measurement once, in alternating order.\n",
	       rounds);

	/* every sample, to judge spread and whether the warm-up was enough */
	printf("\n| series | median | min | max | per round |\n|---|---:|---:|---:|---|\n");
	for (int i = 0; i < g_nseries; i++) {
		struct series *s = &g_series[i];
		if (strncmp(s->key, "warm/", 5) == 0)
			continue;
		double lo, hi, m = stat_of(s->key, &lo, &hi);
		printf("| %s | %.4g | %.4g | %.4g |", s->key, m, lo, hi);
		int shown = 0;
		for (int j = 0; j < s->n && shown < 32; j++, shown++)
			printf(" %.4g", s->v[j]);
		printf(" |\n");
	}
	fprintf(stderr, "bench: done in %.1f s\n", now() - t_start);
	if (g_tsv)
		fclose(g_tsv);
	return 0;
}
