/*
 * Makes one thread of a running process hang inside a request, as a deadlock or a stuck system
 * call would: attaches to the thread named NAME of process PID with ptrace (that thread only;
 * the rest of the process runs on), lets it run until a read(2) returns data (for a CUSE reader:
 * it has just taken a request from /dev/cuse) and then until its next file system call (it is
 * working on that request: the /proc reads of an OPEN, at the latest the write(2) of the reply),
 * and keeps it stopped there, as a call that does not return would. Every other call is let
 * through: clock reads (system calls where the clock has no vDSO, as under QEMU TCG) and the
 * JVM's own futex, mprotect or madvise calls. Stopped inside one of those, the thread can hold
 * the JVM itself (a safepoint waits for it, or a compile request it was queueing), and then every
 * thread stops: a frozen JVM, not one hung request. Prints "hung TID SYSCALL
 * SECONDS" (SECONDS on CLOCK_BOOTTIME, the first field of /proc/uptime) and waits; on SIGTERM or
 * SIGINT it detaches, the thread's system call goes ahead and the request finishes as
 * if nothing had happened.
 *
 * usage: hang-reader PID NAME
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static long find_thread(const char *pid, const char *name)
{
	char dir[64], path[384], comm[64];
	snprintf(dir, sizeof dir, "/proc/%s/task", pid);
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	struct dirent *e;
	long tid = -1;
	while ((e = readdir(d)) && tid < 0) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s/comm", dir, e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof comm, f)) {
			comm[strcspn(comm, "\n")] = 0;
			if (!strcmp(comm, name))
				tid = atol(e->d_name);
		}
		fclose(f);
	}
	closedir(d);
	return tid;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s PID THREAD-NAME\n", argv[0]);
		return 2;
	}
	long tid = find_thread(argv[1], argv[2]);
	if (tid < 0) {
		fprintf(stderr, "no thread named %s in process %s\n", argv[2], argv[1]);
		return 2;
	}
	if (ptrace(PTRACE_SEIZE, tid, 0, PTRACE_O_TRACESYSGOOD) != 0 || ptrace(PTRACE_INTERRUPT, tid, 0, 0) != 0) {
		perror("ptrace seize");
		return 2;
	}
	int status;
	if (waitpid(tid, &status, __WALL) != tid) {
		perror("waitpid");
		return 2;
	}
	long entered = -1;
	int got_request = 0;
	for (;;) {
		if (ptrace(PTRACE_SYSCALL, tid, 0, 0) != 0) {
			perror("ptrace syscall");
			return 2;
		}
		if (waitpid(tid, &status, __WALL) != tid) {
			perror("waitpid");
			return 2;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			fprintf(stderr, "thread %ld ended\n", tid);
			return 2;
		}
		if (!WIFSTOPPED(status) || WSTOPSIG(status) != (SIGTRAP | 0x80))
			continue; /* a signal or event stop: just go on (signals are not passed on: none expected) */
		struct __ptrace_syscall_info info;
		if (ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof info, &info) <= 0) {
			perror("ptrace get_syscall_info");
			return 2;
		}
		if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
			entered = (long)info.entry.nr;
			if (got_request && (entered == SYS_openat || entered == SYS_read || entered == SYS_pread64 ||
					    entered == SYS_write || entered == SYS_writev))
				break; /* stopped on entry: the call has not run yet */
		} else if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
			if (entered == SYS_read && !info.exit.is_error && info.exit.rval > 0)
				got_request = 1;
			entered = -1;
		}
	}
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &old);
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	printf("hung %ld %ld %.3f\n", tid, entered, ts.tv_sec + ts.tv_nsec / 1e9);
	fflush(stdout);
	while (!stop)
		sigsuspend(&old);
	/* detaching resumes the thread with the read's result intact */
	ptrace(PTRACE_DETACH, tid, 0, 0);
	return 0;
}
