/*
 * Client side of the mmap broker (ashmemd.h): trade a GET_TOKEN token for the region's memfd.
 * Every exchange has a connection of its own, closed before the call returns, and the memfd is
 * closed once mapped: between calls the library holds no descriptor. Android's zygote checks its
 * descriptors before each fork and aborts on a socket or memfd it does not know, and a process
 * forked in the middle of nothing shares no stream with its parent. Only the path is cached.
 */
#include "internal.h"
#include "ashmemd_client.h"

#define MAX_FDS 8
#define CMSG_ALIGN_(n) (((n) + sizeof(long) - 1) & ~(sizeof(long) - 1))
#define CMSG_HDR_ (CMSG_ALIGN_(sizeof(struct ashmemd_cmsghdr)))

/* ---- socket path: ASHMEMD_BROKER from the initial environment, else the defaults ---- */

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
static long g_path_len; /* 0: ASHMEMD_BROKER is not set, the default paths apply */
static int g_path_state; /* 0 unknown, 1 being published, 2 published */

static long set_path(struct ashmemd_sockaddr_un *sa, const char *path, usize n)
{
	if (n >= sizeof sa->path)
		return -ENAMETOOLONG;
	memset(sa, 0, sizeof *sa);
	sa->family = ASHMEMD_AF_UNIX;
	memcpy(sa->path, path, n);
	return (long)(sizeof sa->family) + (long)n + 1;
}

/* ASHMEMD_BROKER's value into sa; returns the address length, 0 when unset, or -errno. */
static long env_addr(struct ashmemd_sockaddr_un *sa)
{
	long len;
	memset(sa, 0, sizeof *sa);
	sa->family = ASHMEMD_AF_UNIX;
	if (__atomic_load_n(&g_path_state, __ATOMIC_ACQUIRE) == 2) {
		len = g_path_len;
		if (len > 0)
			memcpy(sa->path, g_path, (usize)len);
	} else {
		len = env_broker(sa->path, sizeof sa->path);
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
	if (len <= 0)
		return len;
	return (long)(sizeof sa->family) + len + 1;
}

/* Where the broker is when ASHMEMD_BROKER is unset: the host, then inside an Android container. */
static const char *const default_paths[] = { ASHMEMD_BROKER_DEFAULT, ASHMEMD_BROKER_CONTAINER };

/*
 * One socket, connected to path, or the configured path, or the first default that exists. A
 * failed path lookup (ENOENT) leaves the socket unconnected, ready for the next path; after an
 * interrupted connect its state is unknown, so the caller starts over with a new one (-EINTR).
 */
static long connect_once(const char *path)
{
	struct ashmemd_sockaddr_un sa;
	long alen;
	if (path) {
		usize n = 0;
		while (path[n])
			n++;
		if (n == 0)
			return -ENOENT;
		alen = set_path(&sa, path, n);
	} else {
		alen = env_addr(&sa);
	}
	if (alen < 0)
		return alen;
	long fd = sys_socket(ASHMEMD_AF_UNIX, ASHMEMD_SOCK_STREAM | O_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	long r;
	if (alen > 0) {
		r = sys_connect((int)fd, &sa, (int)alen);
	} else {
		r = -ENOENT;
		for (usize i = 0; r == -ENOENT && i < sizeof default_paths / sizeof default_paths[0]; i++) {
			const char *d = default_paths[i];
			usize n = 0;
			while (d[n])
				n++;
			alen = set_path(&sa, d, n);
			r = sys_connect((int)fd, &sa, (int)alen);
		}
	}
	if (r == 0)
		return fd;
	sys_close((int)fd);
	return r;
}

/* A new connection to the broker (path, or the configured one when NULL); the caller closes it. */
static long connect_broker(const char *path)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		long r = connect_once(path);
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
 * Returns the memfd or -errno. Every received descriptor except the one returned is closed.
 */
static int exchange(int sock, u32 token, struct ashmemd_broker_reply *rep)
{
	struct ashmemd_broker_request req;
	struct ashmemd_iovec iov;
	struct ashmemd_msghdr mh;
	memset(&req, 0, sizeof req);
	req.magic = ASHMEMD_BROKER_MAGIC;
	req.token = token;

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
			/* closed before any reply: the daemon went away or refused the connection */
			err = off ? -EPROTO : -ECONNRESET;
			break;
		}
		off += (usize)r;
	}

	if (!err) {
		if (rep->magic != ASHMEMD_BROKER_MAGIC) {
			err = -EPROTO;
		} else if (rep->status != 0) {
			err = rep->status > 0 && rep->status < 4096 ? -rep->status : -EPROTO;
		} else if (nfds == 1 && !lost) {
			return fds[0];
		} else {
			/* truncated with nothing received: the descriptor table is full */
			err = nfds == 0 && lost ? -EMFILE : -EPROTO;
		}
	}
	for (int i = 0; i < nfds; i++)
		sys_close(fds[i]);
	return (int)err;
}

/* ---- one exchange on a connection of its own ---- */

/*
 * Connects, trades the token and closes: when this returns, the only descriptor left is the
 * memfd handed to the caller. No retry of the token: a connection the daemon closes unanswered
 * means it is going away or refusing connections, and a token may already be spent (a mapping
 * starts over with a new token instead, ashmemd_map_memfd).
 */
HIDDEN int ashmemd_fetch(u32 token, struct ashmemd_broker_reply *rep)
{
	long sock = connect_broker(0);
	if (sock < 0)
		return (int)sock;
	int r = exchange((int)sock, token, rep);
	sys_close((int)sock);
	return r;
}

/* ---- a token's exchange, again with a new token when the daemon changed ---- */

/*
 * Attempts of a shared mapping's GET_TOKEN and exchange in all. A daemon restarted or killed
 * between the two leaves a token nobody can redeem: the old broker is gone (connection refused,
 * reset or closed unanswered, socket missing) or the new one does not know the token (EACCES).
 * GET_TOKEN is idempotent, and while no daemon serves the device it waits in the kernel for the
 * next one, whose broker listens before its readers start; so the call starts over with a new
 * token a few times instead of failing the mapping.
 */
#define MAP_ATTEMPTS 6

static int daemon_changed(int err)
{
	return err == -ECONNREFUSED || err == -ECONNRESET || err == -EPIPE || err == -ENOENT || err == -EACCES;
}

/*
 * The memfd of the region open at fd for a shared mapping, trading token (the first GET_TOKEN's
 * answer, > 0) and, when the daemon changed under the exchange, new ones; or -errno.
 */
HIDDEN int ashmemd_map_memfd(int fd, usize len, int prot, long token, struct ashmemd_broker_reply *rep)
{
	for (int attempt = 1;; attempt++) {
		int r = ashmemd_fetch((u32)token, rep);
		if (r >= 0 || !daemon_changed(r) || attempt == MAP_ATTEMPTS)
			return r;
		if (r != -EACCES) {
			/* a broker that is not there: give the next daemon 10, 20, 40, 80, 160 ms */
			struct ashmemd_timespec t = { 0, 10000000L << (attempt - 1) };
			while (sys_nanosleep(&t) == -EINTR)
				;
		}
		token = ashmemd_get_token(fd, len, prot, 1);
		if (token <= 0)
			return token < 0 ? (int)token : -EPROTO;
	}
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
	return exchange(sock, token, reply ? reply : &local);
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
	return ashmemd_map_memfd(fd, len, prot, t, reply ? reply : &local);
}
