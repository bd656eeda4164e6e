/*
 * What identifies a mapped region: ASHMEM_GET_FILE_ID reports the backing memory's inode (the
 * memfd's here), and /proc/PID/maps names a shared mapping after the region. The accepted
 * deviation: it shows "/memfd:dev/ashmem/<name> (deleted)" where the driver shows
 * "/dev/ashmem/<name> (deleted)", and "/memfd:dev/ashmem (deleted)" when no name was set.
 */
#include "mapping.h"

static unsigned long long file_id(int fd)
{
	unsigned long id = 0;
	CHECK_RET(ioctl(fd, ASHMEM_GET_FILE_ID, &id), 0);
	return id;
}

static void file_id_is_the_memfd_inode(void)
{
	int fd = region(2 * PG, NULL);
	unsigned char *p = MAP_SH(fd, 2 * PG);
	unsigned long long id = file_id(fd);
	CHECK(id != 0, "GET_FILE_ID reported 0");
	unsigned long long via_maps = mapped_inode(p, 2 * PG);
	CHECK(id == via_maps, "GET_FILE_ID %llu, the mapping's file (/proc/self/map_files) has inode %llu",
	      id, via_maps);

	struct ashmemd_broker_reply rep;
	int mfd = client_get_memfd()(fd, 2 * PG, PROT_READ, &rep);
	CHECK(mfd >= 0, "ashmemd_get_memfd: %s", check_errname(-mfd));
	struct stat st;
	CHECK_OK(fstat(mfd, &st));
	CHECK((unsigned long long)st.st_ino == id, "GET_FILE_ID %llu, fstat of the memfd: inode %llu", id,
	      (unsigned long long)st.st_ino);
	CHECK(rep.size == 2 * PG && rep.prot_mask == RWX, "broker reply: size %llu mask %u",
	      (unsigned long long)rep.size, rep.prot_mask);
	CHECK_OK(close(mfd));
	CHECK_OK(close(fd));
}

/* The first mmap may be private: the backing memory exists all the same. */
static void file_id_after_private_map(void)
{
	int fd = region(PG, NULL);
	MAP(PG, PROT_READ, MAP_PRIVATE, fd, 0);
	unsigned long long id = file_id(fd);
	int mfd = client_get_memfd()(fd, PG, PROT_READ, NULL);
	CHECK(mfd >= 0, "ashmemd_get_memfd: %s", check_errname(-mfd));
	struct stat st;
	CHECK_OK(fstat(mfd, &st));
	CHECK((unsigned long long)st.st_ino == id, "GET_FILE_ID %llu, memfd inode %llu", id,
	      (unsigned long long)st.st_ino);
	CHECK_OK(close(mfd));
	CHECK_OK(close(fd));
}

/* One id per region: shared by dup, different between regions, stable over time. */
static void file_id_per_region(void)
{
	int a = region(PG, NULL);
	int b = region(PG, NULL);
	MAP_SH(a, PG);
	MAP_SH(b, PG);
	int d = CHECK_OK(dup(a));
	unsigned long long ia = file_id(a), ib = file_id(b);
	CHECK(ia != ib, "two regions report the same file id %llu", ia);
	CHECK(file_id(d) == ia, "a dup reports another file id");
	MAP_SH(a, PG);
	CHECK(file_id(a) == ia, "the file id changed after another mmap");
	CHECK_OK(close(a));
	CHECK_OK(close(b));
	CHECK_OK(close(d));
}

static void expect_maps_name(const void *addr, const char *want)
{
	char path[1024];
	maps_path_of(addr, path, sizeof(path));
	CHECK(strcmp(path, want) == 0, "/proc/self/maps shows \"%.300s\", expected \"%.300s\"", path, want);
}

static void maps_shows_region_name(void)
{
	char name[64], want[128];
	snprintf(name, sizeof(name), "maps-test-%d", (int)getpid());
	int fd = region(3 * PG, name);
	unsigned char *p = MAP_SH(fd, 3 * PG);
	snprintf(want, sizeof(want), "/memfd:dev/ashmem/%s (deleted)", name);
	expect_maps_name(p, want);
	unsigned char *q = MAP(PG, PROT_READ, MAP_SHARED, fd, PG);
	expect_maps_name(q, want);
	/* still named after every fd is closed */
	CHECK_OK(close(fd));
	expect_maps_name(p, want);
}

static void maps_default_name_dev_ashmem(void)
{
	int fd = region(PG, NULL);
	unsigned char *p = MAP_SH(fd, PG);
	expect_maps_name(p, "/memfd:dev/ashmem (deleted)");
	CHECK_OK(close(fd));

	/* an empty name is no name */
	fd = region(PG, "");
	p = MAP_SH(fd, PG);
	expect_maps_name(p, "/memfd:dev/ashmem (deleted)");
	CHECK_OK(close(fd));
}

static void longest_name(char *name)
{
	memset(name, 'n', ASHMEM_NAME_LEN - 1);
	name[ASHMEM_NAME_LEN - 1] = 0;
	memcpy(name, "long-", 5);
}

/* Any name SET_NAME accepts, up to the longest one the driver keeps (255 bytes), maps. */
static void mmap_with_longest_name(void)
{
	char name[ASHMEM_NAME_LEN];
	longest_name(name);
	for (size_t len = 230; len <= 255; len++) {
		char n[ASHMEM_NAME_LEN];
		snprintf(n, sizeof(n), "%.*s", (int)len, name);
		int fd = region(PG, n);
		unsigned char *p = mmap(NULL, PG, RW, MAP_SHARED, fd, 0);
		CHECK(p != MAP_FAILED, "mmap of a region named with %zu bytes: %s", len, check_errname(errno));
		p[0] = 1;
		CHECK_OK(close(fd));
	}
}

/*
 * ...and shows in /proc/PID/maps as far as a memfd name goes: the kernel keeps 248 bytes of
 * "dev/ashmem/<name>", so names beyond 237 bytes are cut there (an accepted deviation; the
 * driver's backing file showed all 255).
 */
#define MEMFD_NAME_MAX 248
static void maps_longest_name_cut_at_memfd_limit(void)
{
	char name[ASHMEM_NAME_LEN], full[512], want[600];
	longest_name(name);
	int fd = region(PG, name);
	unsigned char *p = MAP_SH(fd, PG);
	snprintf(full, sizeof(full), "dev/ashmem/%s", name);
	full[MEMFD_NAME_MAX] = 0;
	snprintf(want, sizeof(want), "/memfd:%s (deleted)", full);
	expect_maps_name(p, want);
	CHECK_OK(close(fd));
}

static void ident_daemon_still_answers(void)
{
	check_daemon_answers();
}

static const struct check_test tests[] = {
	CHECK_TEST(file_id_is_the_memfd_inode),
	CHECK_TEST(file_id_after_private_map),
	CHECK_TEST(file_id_per_region),
	CHECK_TEST(maps_shows_region_name),
	CHECK_TEST(maps_default_name_dev_ashmem),
	CHECK_TEST(mmap_with_longest_name),
	CHECK_TEST(maps_longest_name_cut_at_memfd_limit),
	CHECK_TEST(ident_daemon_still_answers),
};

int main(int argc, char **argv)
{
	return check_main(argc, argv, tests, CHECK_COUNT(tests));
}
