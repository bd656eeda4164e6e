/*
 * ashmemd's own ABI, shared by the daemon, the preload library and tests:
 *  - two private ioctls on the ashmemd device (same type byte as ashmem, numbers far above the
 *    driver's 1..11, which are frozen since the driver left Linux);
 *  - the mmap broker's wire format (a Unix stream socket, host byte order).
 *
 * How an mmap of an ashmemd fd works (CUSE devices have no mmap):
 *  1. mmap(fd) fails with ENODEV in the kernel;
 *  2. ioctl(fd, ASHMEMD_IOC_GET_TOKEN, ASHMEMD_MAP_ARG(len, prot, shared)) makes the daemon apply
 *     the driver's mmap checks (size 0 or len > PAGE_ALIGN(size): EINVAL; prot outside the mask:
 *     EPERM), create the region's memory on first use (name and size freeze) and return a
 *     one-shot token (> 0) bound to this open file and the calling process; a MAP_PRIVATE request
 *     returns 0 and needs no broker (private mappings are anonymous, zero-filled memory);
 *  3. the client sends the token to the broker socket and receives the region's memfd by
 *     SCM_RIGHTS (read-only when the device was opened O_RDONLY), plus size and prot mask;
 *  4. the client maps the memfd and closes it.
 */
#ifndef ASHMEMD_H
#define ASHMEMD_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define ASHMEMD_IOC_TYPE 0x77

/* arg: ASHMEMD_MAP_ARG(...); result: token (> 0), 0 for a private mapping, or -1/errno */
#define ASHMEMD_IOC_GET_TOKEN _IO(ASHMEMD_IOC_TYPE, 0xA0)

/* arg: pointer to struct ashmemd_seek; in: offset, whence; out: offset = new position */
#define ASHMEMD_IOC_SEEK _IOWR(ASHMEMD_IOC_TYPE, 0xA1, struct ashmemd_seek)

/*
 * The GET_TOKEN argument fits 32 bits so 32-bit callers pass it as a value:
 * bits 0-2 prot (PROT_READ|PROT_WRITE|PROT_EXEC), bit 3 MAP_SHARED (1) or MAP_PRIVATE (0),
 * bits 4-31 mapping length in pages, rounded up, saturated at ASHMEMD_MAP_MAX_PAGES.
 */
#define ASHMEMD_MAP_PROT_MASK 0x7u
#define ASHMEMD_MAP_SHARED 0x8u
#define ASHMEMD_MAP_PAGES_SHIFT 4
#define ASHMEMD_MAP_MAX_PAGES 0x0fffffffu
#define ASHMEMD_MAP_ARG(pages, prot, shared)                                                    \
	((((pages) > ASHMEMD_MAP_MAX_PAGES ? ASHMEMD_MAP_MAX_PAGES : (__u32)(pages))            \
	  << ASHMEMD_MAP_PAGES_SHIFT) |                                                          \
	 ((shared) ? ASHMEMD_MAP_SHARED : 0u) | ((__u32)(prot) & ASHMEMD_MAP_PROT_MASK))

struct ashmemd_seek {
	__s64 offset; /* in: offset; out: the new position */
	__s32 whence; /* SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA, SEEK_HOLE */
	__u32 reserved; /* 0 */
};

/*
 * Broker: clients read ASHMEMD_BROKER from the environment first, else use the host's socket, or,
 * when that does not exist, the same directory as Android containers see it (their /run is not
 * the host's; /run/ashmemd is bind-mounted at /dev/ashmemd).
 */
#define ASHMEMD_BROKER_DEFAULT "/run/ashmemd/broker.sock"
#define ASHMEMD_BROKER_CONTAINER "/dev/ashmemd/broker.sock"
#define ASHMEMD_BROKER_MAGIC 0x31444d41u /* "AMD1" in little-endian byte order */

/* client -> daemon, exactly this many bytes; one request at a time per connection */
struct ashmemd_broker_request {
	__u32 magic;    /* ASHMEMD_BROKER_MAGIC */
	__u32 token;    /* from ASHMEMD_IOC_GET_TOKEN */
	__u32 reserved[2]; /* 0 */
};

/* daemon -> client; with status 0 it carries exactly one fd (SCM_RIGHTS), the region's memfd */
struct ashmemd_broker_reply {
	__u32 magic;     /* ASHMEMD_BROKER_MAGIC */
	__s32 status;    /* 0, or a positive errno: EACCES for an unknown, expired, replayed or
	                    stolen token, EPROTO for a malformed request */
	__u64 size;      /* the region's size in bytes */
	__u32 prot_mask; /* the region's prot mask */
	__u32 reserved;  /* 0 */
};

#endif
