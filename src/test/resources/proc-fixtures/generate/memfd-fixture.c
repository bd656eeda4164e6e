/*
 * Sets up every kind of ashmem memory /proc can show, then copies this process's own /proc
 * entries (maps, smaps, status, comm, cgroup, fd links, fdinfo) into OUTDIR/<role>/.
 *
 *   memfd-fixture OUTDIR MAPPER_CGROUP_PROCS HOLDER_CGROUP_PROCS
 *
 * The parent ("mapper") maps regions of each kind; a forked child ("holder") unmaps them all and
 * keeps only fds to the memfds, as the daemon does. Each joins the cgroups whose cgroup.procs
 * files are given (comma separated, "-" for none) before its entries are copied. A new cgroup
 * namespace, rooted where the program started, makes the paths start at "/" as on a host.
 *
 * Kernel-driver regions are tmpfs files named /dev/ashmem/NAME, mapped shared and unlinked, in
 * a private mount namespace with a tmpfs on /dev: /proc shows them exactly as the driver's
 * backing files ("/dev/ashmem/NAME (deleted)"). The /dev/ashmem node held open there carries
 * /dev/null's numbers, since this kernel has no ashmem driver.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#define KIB 1024L

static void die(const char *what) {
	perror(what);
	exit(1);
}

static int memfd(const char *name, long size) {
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0 || ftruncate(fd, size) < 0)
		die(name);
	return fd;
}

static char *map(int fd, long size, long touch) {
	char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	for (long i = 0; i < touch; i += 4096)
		p[i] = 1;
	return p;
}

/* A driver-style backing file: created, mapped, unlinked. */
static char *kernel_style(const char *path, long size, long touch) {
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || ftruncate(fd, size) < 0)
		die(path);
	char *p = map(fd, size, touch);
	close(fd);
	if (unlink(path) < 0)
		die("unlink");
	return p;
}

static void copy(const char *from, const char *to) {
	char buf[65536];
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (in < 0 || out < 0)
		die(from);
	ssize_t n;
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, n) != n)
			die("write");
	close(in);
	close(out);
}

static void join(const char *list) {
	if (strcmp(list, "-") == 0)
		return;
	char *copy_ = strdup(list), *save, *procs;
	for (procs = strtok_r(copy_, ",", &save); procs; procs = strtok_r(NULL, ",", &save)) {
		FILE *f = fopen(procs, "w");
		if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f) != 0)
			die(procs);
	}
	free(copy_);
}

/* fd/N links as "N -> target" lines (symlinks do not survive a Maven resource copy), fdinfo as files. */
static void dump(const char *outdir, const char *role) {
	char dir[1024], path[4096], from[512], target[4096];
	snprintf(dir, sizeof dir, "%s/%s", outdir, role);
	mkdir(dir, 0755);
	static const char *files[] = {"maps", "smaps", "status", "comm", "cgroup"};
	for (unsigned i = 0; i < sizeof files / sizeof *files; i++) {
		snprintf(from, sizeof from, "/proc/self/%s", files[i]);
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		copy(from, path);
	}
	snprintf(path, sizeof path, "%s/fdinfo", dir);
	mkdir(path, 0755);
	/* gathered first, so that the list does not show its own file */
	static char list[65536];
	size_t used = 0;
	DIR *d = opendir("/proc/self/fd");
	int self = dirfd(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == self)
			continue;
		snprintf(from, sizeof from, "/proc/self/fd/%s", e->d_name);
		ssize_t n = readlink(from, target, sizeof target - 1);
		if (n < 0)
			continue;
		target[n] = 0;
		struct stat st;
		if (stat(from, &st) == 0 && S_ISCHR(st.st_mode))
			used += snprintf(list + used, sizeof list - used, "%s -> %s\t# char %u:%u\n", e->d_name, target,
					major(st.st_rdev), minor(st.st_rdev));
		else
			used += snprintf(list + used, sizeof list - used, "%s -> %s\n", e->d_name, target);
		snprintf(from, sizeof from, "/proc/self/fdinfo/%s", e->d_name);
		snprintf(path, sizeof path, "%s/fdinfo/%s", dir, e->d_name);
		copy(from, path);
	}
	closedir(d);
	snprintf(path, sizeof path, "%s/fd.links", dir);
	FILE *links = fopen(path, "w");
	if (!links || fwrite(list, 1, used, links) != used || fclose(links) != 0)
		die(path);
}

int main(int argc, char **argv) {
	if (argc < 4) {
		fprintf(stderr, "usage: %s OUTDIR MAPPER_PROCS HOLDER_PROCS\n", argv[0]);
		return 64;
	}
	close_range(3, ~0U, 0); /* only what is made here shows in fd/ */
	if (unshare(CLONE_NEWCGROUP) < 0)
		die("cgroup namespace");
	/* memfds: ashmemd names them dev/ashmem/NAME; Android's libcutils uses the bare name */
	int named = memfd("dev/ashmem/fixture-region", 1024 * KIB);
	memfd("dev/ashmem/held-unmapped", 64 * KIB); /* held by both, mapped by none */
	int unnamed = memfd("dev/ashmem", 8 * KIB);
	int spaced = memfd("dev/ashmem/name with spaces", 4 * KIB);
	int cutils = memfd("fixture-cutils", 256 * KIB);
	map(named, 1024 * KIB, 256 * KIB);
	map(unnamed, 8 * KIB, 8 * KIB);
	map(spaced, 4 * KIB, 0);
	map(cutils, 256 * KIB, 128 * KIB);
	map(cutils, 256 * KIB, 0);

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0
			|| mount("tmpfs", "/dev", "tmpfs", 0, "mode=0755") < 0)
		die("private /dev");
	if (mkdir("/dev/ashmem", 0755) < 0)
		die("mkdir");
	kernel_style("/dev/ashmem/fixture-kernel", 128 * KIB, 128 * KIB);
	if (rmdir("/dev/ashmem") < 0)
		die("rmdir");
	kernel_style("/dev/ashmem", 4 * KIB, 4 * KIB);
	if (mknod("/dev/ashmem", S_IFCHR | 0666, makedev(1, 3)) < 0)
		die("mknod");
	int device = open("/dev/ashmem", O_RDWR | O_CLOEXEC);
	if (device < 0)
		die("open /dev/ashmem");

	pid_t child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		/* the holder: no mappings of its own, fds to the ashmemd memfds */
		FILE *maps = fopen("/proc/self/maps", "r");
		char line[4096];
		unsigned long start, end;
		while (fgets(line, sizeof line, maps))
			if ((strstr(line, "/memfd:") || strstr(line, "/dev/ashmem"))
					&& sscanf(line, "%lx-%lx", &start, &end) == 2)
				munmap((void *)start, end - start);
		fclose(maps);
		close(cutils);
		close(device);
		join(argv[3]);
		dump(argv[1], "holder");
		return 0;
	}
	close(named);
	join(argv[2]);
	dump(argv[1], "mapper");
	int status;
	waitpid(child, &status, 0);
	char pids[1024];
	snprintf(pids, sizeof pids, "%s/pids", argv[1]);
	FILE *f = fopen(pids, "w");
	if (!f)
		die(pids);
	fprintf(f, "mapper %d\nholder %d\n", getpid(), child);
	fclose(f);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
