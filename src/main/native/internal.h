/* Declarations shared by the preload library's translation units (all hidden). */
#ifndef ASHMEMD_INTERNAL_H
#define ASHMEMD_INTERNAL_H

#include <stddef.h>
#include "sys.h"
#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/mman.h>
#include <linux/stat.h>

#include "ashmemd.h"
#include "ashmem_abi.h"

#define EXPORT __attribute__((visibility("default")))
#define HIDDEN __attribute__((visibility("hidden")))

#ifndef MAP_TYPE
#define MAP_TYPE 0x0f
#endif
#ifndef MAP_GROWSDOWN
#define MAP_GROWSDOWN 0x0100
#endif
#ifndef MAP_FAILED
#define MAP_FAILED ((void *)-1)
#endif
#define ASHMEMD_PROT_RWX (PROT_READ | PROT_WRITE | PROT_EXEC)

/* Socket constants are not in the kernel's UAPI headers; identical on all four ABIs. */
#define ASHMEMD_AF_UNIX 1
#define ASHMEMD_SOCK_STREAM 1
#define ASHMEMD_SOL_SOCKET 1
#define ASHMEMD_SCM_RIGHTS 1
#define ASHMEMD_MSG_CTRUNC 0x8
#define ASHMEMD_MSG_NOSIGNAL 0x4000
#define ASHMEMD_MSG_CMSG_CLOEXEC 0x40000000

struct ashmemd_iovec {
	void *base;
	uptr len;
};

/* The kernel's user msghdr and cmsghdr (size_t lengths) */
struct ashmemd_msghdr {
	void *name;
	int namelen;
	struct ashmemd_iovec *iov;
	uptr iovlen;
	void *control;
	uptr controllen;
	int flags;
};

struct ashmemd_cmsghdr {
	uptr len;
	int level;
	int type;
};

struct ashmemd_sockaddr_un {
	unsigned short family;
	char path[108];
};

/* rt.c */
HIDDEN void ashmemd_set_errno(int e);
HIDDEN uptr ashmemd_page_size(void);
HIDDEN int ashmemd_is_chr(int fd);
HIDDEN void *memset(void *d, int c, usize n);
HIDDEN void *memcpy(void *d, const void *s, usize n);
HIDDEN void *memmove(void *d, const void *s, usize n);
HIDDEN int memcmp(const void *a, const void *b, usize n);

/* broker.c: -errno or a memfd; reply always filled when the daemon answered */
HIDDEN int ashmemd_fetch(u32 token, struct ashmemd_broker_reply *reply);
HIDDEN int ashmemd_is_ashmemd_fd(int fd);
HIDDEN long ashmemd_get_token(int fd, usize len, int prot, int shared);
HIDDEN int ashmemd_map_memfd(int fd, usize len, int prot, long token, struct ashmemd_broker_reply *reply);

/* guard.c */
HIDDEN extern unsigned ashmemd_guard_live;
HIDDEN int ashmemd_guard_add(uptr start, uptr len, unsigned forbid);
HIDDEN void ashmemd_guard_cut(uptr start, uptr len);

static inline unsigned ashmemd_guards_present(void)
{
	return __atomic_load_n(&ashmemd_guard_live, __ATOMIC_RELAXED);
}

#endif
