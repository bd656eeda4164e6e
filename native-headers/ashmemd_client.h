/*
 * C client API of libashmemd-preload.so, for programs that want an ashmemd region's memory
 * without going through the library's mmap() (or that do not preload it), and for tests.
 *
 * All functions are thread-safe, never touch errno and return a negative errno on failure.
 * Descriptors they return are close-on-exec and belong to the caller.
 */
#ifndef ASHMEMD_CLIENT_H
#define ASHMEMD_CLIENT_H

#include <stddef.h>
#include "ashmemd.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Connects a new stream socket to the broker at path; NULL means ASHMEMD_BROKER from the
 * process's initial environment, else ASHMEMD_BROKER_DEFAULT, else (when that one does not exist)
 * ASHMEMD_BROKER_CONTAINER. Returns the socket (close-on-exec) or -errno.
 */
int ashmemd_broker_connect(const char *path);

/*
 * One exchange on a connected broker socket: sends token, receives the reply into *reply (may be
 * NULL). Returns the region's memfd, or -errno: the reply's status (e.g. -EACCES for a spent
 * token), -EPROTO for a malformed reply (bad magic, no or several descriptors), -EMFILE when the
 * descriptor could not be received, -ECONNRESET when the daemon closed before answering. The
 * socket stays open either way; after -EPROTO or a transport error it is out of step: close it.
 */
int ashmemd_broker_exchange(int sock, unsigned int token, struct ashmemd_broker_reply *reply);

/*
 * ashmemd_broker_connect(NULL), ashmemd_broker_exchange and close, as the library's mmap() does:
 * when it returns, the only descriptor it left open is the memfd it returns.
 */
int ashmemd_fetch_memfd(unsigned int token, struct ashmemd_broker_reply *reply);

/*
 * The memfd behind an ashmemd fd, after the checks a MAP_SHARED mmap of len bytes with prot gets
 * (-EINVAL for size 0 or len too long, -EPERM for prot outside the mask). -ENOTTY when fd is not
 * an ashmemd device. Map it like any memfd; it is read-only when fd was opened O_RDONLY, and sealed
 * against new writable mappings when the region's mask lacks PROT_WRITE.
 */
int ashmemd_get_memfd(int fd, size_t len, int prot, struct ashmemd_broker_reply *reply);

/*
 * Records that [addr, addr + len) is an ashmem mapping whose protection must never gain a bit
 * outside prot_mask: the library's mprotect() then fails with EACCES as the driver's does. Its
 * munmap(), mremap() and mmap() drop or move the record. Returns 0, or -ENOMEM when the table
 * (ASHMEMD_GUARD_SLOTS entries) is full, -EINVAL for an unaligned addr or an empty range.
 */
int ashmemd_guard_range(void *addr, size_t len, unsigned int prot_mask);

#define ASHMEMD_GUARD_SLOTS 1024

#ifdef __cplusplus
}
#endif

#endif
