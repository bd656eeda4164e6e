/*
 * Client side of the mmap broker (ashmemd.h): trade a GET_TOKEN token for the region's memfd.
 * One connection per process is kept and reused (a connect costs the daemon an accept); a thread
 * that finds it busy uses a temporary connection instead of waiting.
 */
#include "internal.h"
#include "ashmemd_client.h"

#define MAX_FDS 8
#define CMSG_ALIGN_(n) (((n) + sizeof(long) - 1) & ~(sizeof(long) - 1))
#define CMSG_HDR_ (CMSG_ALIGN_(sizeof(struct ashmemd_cmsghdr)))

/* ---- socket path: ASHMEMD_BROKER from the initial environment, else the default ---- */

static const char env_name[] = "ASHMEMD_BROKER=";

/*
 * libc's environ cannot be imported; /proc/self/environ (the environment the process started
 * with, so later setenv() calls are not seen) works under every libc. Returns the value's length,
 * 0 when absent, empty or unreadable, -ENAMETOOLONG when it does not fit.
 */
static long env_broker(char *out, usize cap)
{
	long fd = sys_openat(AT_FDCWD, "/proc/self/environ", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	char buf[256];
	usize pos = 0;
	int state = 0; /* 0 matching the name, 1 copying the value, 2 skipping the entry */
	long len = 0;
	int done = 0, too_long = 0;
	while (!done) {
		long n = sys_read((int)fd, buf, sizeof buf);
		if (n == -EINTR)
			continue;
		if (n <= 0)
			break;
		for (long i = 0; i < n && !done; i++) {
			char c = buf[i];
			if (c == 0) {
				if (state == 1)
					done = 1;
				state = 0;
				pos = 0;
			} else if (state == 0) {
				if (c != env_name[pos])
					state = 2;
				else if (++pos == sizeof env_name - 1)
					state = 1;
			} else if (state == 1) {
				if ((usize)len + 1 < cap)
					out[len++] = c;
				else
					too_long = 1;
			}
		}
	}
	sys_close((int)fd);
	if (state == 1 || done)
		return too_long ? -ENAMETOOLONG : len;
	return 0;
}

static char g_path[sizeof(((struct ashmemd_sockaddr_un *)0)->path)];
static long g_path_len;
static int g_path_state; /* 0 unknown, 1 being published, 2 published */

/* Fills sa with the broker's address; returns the address length or -errno. */
static long broker_addr(struct ashmemd_sockaddr_un *sa, const char *path)
{
	long len;
	memset(sa, 0, sizeof *sa);
	sa->family = ASHMEMD_AF_UNIX;
	if (path) {
		usize n = 0;
		while (path[n])
			n++;
		if (n >= sizeof sa->path)
			return -ENAMETOOLONG;
		if (n == 0)
			return -ENOENT;
		memcpy(sa->path, path, n);
		len = (long)n;
	} else if (__atomic_load_n(&g_path_state, __ATOMIC_ACQUIRE) == 2) {
		len = g_path_len;
		if (len > 0)
			memcpy(sa->path, g_path, (usize)len);
	} else {
		len = env_broker(sa->path, sizeof sa->path);
		if (len == 0) {
			len = sizeof ASHMEMD_BROKER_DEFAULT - 1;
			memcpy(sa->path, ASHMEMD_BROKER_DEFAULT, (usize)len);
		}
		/* first finisher publishes; the others just use what they computed */
		int expect = 0;
		if (__atomic_compare_exchange_n(&g_path_state, &expect, 1, 0, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED)) {
			if (len > 0)
				memcpy(g_path, sa->path, (usize)len);
			g_path_len = len;
			__atomic_store_n(&g_path_state, 2, __ATOMIC_RELEASE);
		}
	}
	if (len < 0)
		return len;
	return (long)(sizeof sa->family) + len + 1;
}

static long connect_broker(const char *path)
{
	struct ashmemd_sockaddr_un sa;
	long alen = broker_addr(&sa, path);
	if (alen < 0)
		return alen;
	for (int attempt = 0; attempt < 3; attempt++) {
		long fd = sys_socket(ASHMEMD_AF_UNIX, ASHMEMD_SOCK_STREAM | O_CLOEXEC, 0);
		if (fd < 0)
			return fd;
		long r = sys_connect((int)fd, &sa, (int)alen);
		if (r == 0)
			return fd;
		sys_close((int)fd);
		/* an interrupted connect leaves the socket in an unknown state: start over */
		if (r != -EINTR)
			return r;
	}
	return -EINTR;
}

/* ---- one request/reply exchange ---- */

static void take_fds(const struct ashmemd_msghdr *mh, int *fds, int *nfds, int *lost)
{
	char *p = mh->control;
	char *end = p + mh->controllen;
	while ((usize)(end - p) >= sizeof(struct ashmemd_cmsghdr)) {
		struct ashmemd_cmsghdr c;
		memcpy(&c, p, sizeof c);
		if (c.len < sizeof c || c.len > (usize)(end - p))
			break;
		if (c.level == ASHMEMD_SOL_SOCKET && c.type == ASHMEMD_SCM_RIGHTS && c.len >= CMSG_HDR_) {
			usize n = (c.len - CMSG_HDR_) / sizeof(int);
			for (usize i = 0; i < n; i++) {
				int fd;
				memcpy(&fd, p + CMSG_HDR_ + i * sizeof(int), sizeof fd);
				if (*nfds < MAX_FDS) {
					fds[(*nfds)++] = fd;
				} else {
					sys_close(fd);
					*lost = 1;
				}
			}
		}
		p += CMSG_ALIGN_(c.len);
	}
}

/*
 * Returns the memfd or -errno. *answered: some reply bytes arrived (the token may be spent).
 * *in_sync: exactly one well-formed reply was consumed, so the connection can be reused.
 * Every received descriptor except the one returned is closed.
 */
static int exchange(int sock, u32 token, struct ashmemd_broker_reply *rep, int *answered,
		    int *in_sync)
{
	struct ashmemd_broker_request req;
	struct ashmemd_iovec iov;
	struct ashmemd_msghdr mh;
	memset(&req, 0, sizeof req);
	req.magic = ASHMEMD_BROKER_MAGIC;
	req.token = token;
	*answered = 0;
	*in_sync = 0;

	usize off = 0;
	while (off < sizeof req) {
		iov.base = (char *)&req + off;
		iov.len = sizeof req - off;
		memset(&mh, 0, sizeof mh);
		mh.iov = &iov;
		mh.iovlen = 1;
		long r = sys_sendmsg(sock, &mh, ASHMEMD_MSG_NOSIGNAL);
		if (r == -EINTR)
			continue;
		if (r < 0)
			return (int)r;
		off += (usize)r;
	}

	int fds[MAX_FDS];
	int nfds = 0, lost = 0;
	long err = 0;
	union {
		struct ashmemd_cmsghdr align;
		char buf[CMSG_HDR_ + CMSG_ALIGN_(MAX_FDS * sizeof(int))];
	} cbuf;
	memset(rep, 0, sizeof *rep);
	off = 0;
	while (off < sizeof *rep) {
		iov.base = (char *)rep + off;
		iov.len = sizeof *rep - off;
		memset(&mh, 0, sizeof mh);
		mh.iov = &iov;
		mh.iovlen = 1;
		mh.control = cbuf.buf;
		mh.controllen = sizeof cbuf.buf;
		long r = sys_recvmsg(sock, &mh, ASHMEMD_MSG_CMSG_CLOEXEC);
		if (r == -EINTR)
			continue;
		if (r < 0) {
			err = r;
			break;
		}
		take_fds(&mh, fds, &nfds, &lost);
		if (mh.flags & ASHMEMD_MSG_CTRUNC)
			lost = 1;
		if (r == 0) {
			/* closed before any reply: the daemon went away, the request may be retried */
			err = off ? -EPROTO : -ECONNRESET;
			break;
		}
		off += (usize)r;
		*answered = 1;
	}

	if (!err) {
		if (rep->magic != ASHMEMD_BROKER_MAGIC) {
			err = -EPROTO;
		} else if (rep->status != 0) {
			*in_sync = 1;
			err = rep->status > 0 && rep->status < 4096 ? -rep->status : -EPROTO;
		} else if (nfds == 1 && !lost) {
			*in_sync = 1;
			return fds[0];
		} else {
			/* truncated with nothing received: the descriptor table is full */
			err = nfds == 0 && lost ? -EMFILE : -EPROTO;
			*in_sync = 1;
		}
	}
	for (int i = 0; i < nfds; i++)
		sys_close(fds[i]);
	return (int)err;
}

/* ---- the cached connection ---- */

static int g_lock;	/* pid of the process one of whose threads uses g_conn; 0 when free */
static int g_conn = -1; /* guarded by g_lock */
static int g_conn_pid;
static u64 g_conn_ino, g_conn_dev;

static int sock_identity(int fd, u64 *ino, u64 *dev)
{
	ashmemd_kstat st;
	if (sys_fstat(fd, &st) < 0)
		return -1;
	*ino = st.st_ino;
	*dev = st.st_dev;
	return 0;
}

/*
 * Try-lock, never waits. All threads of a process write the same value, so a holder with another
 * pid was a thread of the parent at fork time and does not exist here: take over.
 */
static int lock_conn(int me)
{
	int cur = 0;
	if (__atomic_compare_exchange_n(&g_lock, &cur, me, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return 1;
	return cur != me &&
	       __atomic_compare_exchange_n(&g_lock, &cur, me, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static void unlock_conn(void)
{
	__atomic_store_n(&g_lock, 0, __ATOMIC_RELEASE);
}

/*
 * Android's zygote aborts a fork when it holds a socket it does not know, so its processes (and
 * the pre-forked usap ones) never keep a connection. Checked when a new one would be kept: an
 * app renames itself after the fork and then caches normally.
 */
static int may_cache(void)
{
	char comm[32];
	long n = ashmemd_read_small_file("/proc/self/comm", comm, sizeof comm);
	if (n <= 0)
		return 1;
	if (comm[0] == 'u' && comm[1] == 's' && comm[2] == 'a' && comm[3] == 'p')
		return 0;
	for (long i = 0; i + 6 <= n; i++)
		if (memcmp(comm + i, "zygote", 6) == 0)
			return 0;
	return 1;
}

static int fetch_temporary(u32 token, struct ashmemd_broker_reply *rep)
{
	long fd = connect_broker(0);
	if (fd < 0)
		return (int)fd;
	int answered, in_sync;
	int r = exchange((int)fd, token, rep, &answered, &in_sync);
	sys_close((int)fd);
	return r;
}

static void drop_conn(void)
{
	int fd = g_conn;
	g_conn = -1;
	sys_close(fd);
}

HIDDEN int ashmemd_fetch(u32 token, struct ashmemd_broker_reply *rep)
{
	int me = (int)sys_getpid();
	if (!lock_conn(me))
		return fetch_temporary(token, rep);

	/* g_conn stays recorded while in use, so a child forked meanwhile knows to close its copy */
	if (g_conn >= 0) {
		u64 ino, dev;
		if (sock_identity(g_conn, &ino, &dev) < 0 || ino != g_conn_ino || dev != g_conn_dev)
			g_conn = -1; /* the program closed it and the number is someone else's now */
		else if (g_conn_pid != me)
			drop_conn(); /* inherited across fork: the stream belongs to the parent */
	}
	int reused = g_conn >= 0, fresh = 0, keep = 1, r;
	for (;;) {
		if (g_conn < 0) {
			long c = connect_broker(0);
			if (c < 0) {
				r = (int)c;
				break;
			}
			keep = sock_identity((int)c, &g_conn_ino, &g_conn_dev) == 0;
			g_conn_pid = me;
			g_conn = (int)c;
			fresh = 1;
		}
		int answered, in_sync;
		r = exchange(g_conn, token, rep, &answered, &in_sync);
		if (in_sync)
			break;
		drop_conn();
		/* a kept connection the daemon dropped (restart, idle close): one more try, unless
		   it already answered, since the token is single-use */
		if (!reused || answered)
			break;
		reused = 0;
	}
	if (g_conn >= 0 && fresh && (!keep || !may_cache()))
		drop_conn();
	unlock_conn();
	return r;
}

/* ---- token and identity ioctls ---- */

HIDDEN long ashmemd_get_token(int fd, usize len, int prot, int shared)
{
	uptr ps = ashmemd_page_size();
	unsigned shift = (unsigned)__builtin_ctzl(ps);
	usize pages = (len >> shift) + ((len & (ps - 1)) != 0);
	unsigned long arg = ASHMEMD_MAP_ARG(pages, (unsigned)prot, shared);
	long r;
	do
		r = sys_ioctl(fd, ASHMEMD_IOC_GET_TOKEN, arg);
	while (r == -EINTR);
	return r;
}

/*
 * Some drivers answer unknown ioctls with EINVAL (e.g. /dev/urandom), which the daemon also uses
 * for real errors. GET_SIZE succeeds on every ashmem fd and on no known foreign device, and
 * changes nothing: ask it before passing such an error on.
 */
HIDDEN int ashmemd_is_ashmemd_fd(int fd)
{
	long r;
	do
		r = sys_ioctl(fd, ASHMEM_GET_SIZE, 0);
	while (r == -EINTR);
	return r >= 0;
}

/* ---- exported client API (ashmemd_client.h) ---- */

EXPORT int ashmemd_broker_connect(const char *path)
{
	return (int)connect_broker(path);
}

EXPORT int ashmemd_broker_exchange(int sock, unsigned int token, struct ashmemd_broker_reply *reply)
{
	struct ashmemd_broker_reply local;
	int answered, in_sync;
	return exchange(sock, token, reply ? reply : &local, &answered, &in_sync);
}

EXPORT int ashmemd_fetch_memfd(unsigned int token, struct ashmemd_broker_reply *reply)
{
	struct ashmemd_broker_reply local;
	return ashmemd_fetch(token, reply ? reply : &local);
}

EXPORT int ashmemd_get_memfd(int fd, size_t len, int prot, struct ashmemd_broker_reply *reply)
{
	struct ashmemd_broker_reply local;
	if (len == 0)
		return -EINVAL;
	long t = ashmemd_get_token(fd, len, prot, 1);
	if (t < 0)
		return t == -ENOTTY || ashmemd_is_ashmemd_fd(fd) ? (int)t : -ENOTTY;
	if (t == 0)
		return -EPROTO; /* the daemon must give a token for a shared mapping */
	return ashmemd_fetch((u32)t, reply ? reply : &local);
}
