/*
 * The ashmem user ABI as ashmemd serves it: ioctl numbers, argument layouts and constants of the
 * Linux ashmem driver (generic ioctl encoding: x86, x86_64, arm, arm64). Written for this
 * project; abi_probe.c checks it against the Java constants.
 */
#ifndef ASHMEMD_ASHMEM_ABI_H
#define ASHMEMD_ASHMEM_ABI_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define ASHMEM_NAME_LEN 256
#define ASHMEM_NAME_DEF "dev/ashmem"

/* GET_PIN_STATUS results */
#define ASHMEM_IS_UNPINNED 0
#define ASHMEM_IS_PINNED 1
/* PIN results */
#define ASHMEM_NOT_PURGED 0
#define ASHMEM_WAS_PURGED 1

struct ashmem_pin {
	__u32 offset; /* page aligned */
	__u32 len;    /* page aligned; 0 means "to the end of the region" */
};

#define __ASHMEMIOC 0x77

#define ASHMEM_SET_NAME _IOW(__ASHMEMIOC, 1, char[ASHMEM_NAME_LEN])
#define ASHMEM_GET_NAME _IOR(__ASHMEMIOC, 2, char[ASHMEM_NAME_LEN])
#define ASHMEM_SET_SIZE _IOW(__ASHMEMIOC, 3, size_t)   /* the size is the argument itself */
#define ASHMEM_GET_SIZE _IO(__ASHMEMIOC, 4)
#define ASHMEM_SET_PROT_MASK _IOW(__ASHMEMIOC, 5, unsigned long) /* the mask is the argument */
#define ASHMEM_GET_PROT_MASK _IO(__ASHMEMIOC, 6)
#define ASHMEM_PIN _IOW(__ASHMEMIOC, 7, struct ashmem_pin)
#define ASHMEM_UNPIN _IOW(__ASHMEMIOC, 8, struct ashmem_pin)
#define ASHMEM_GET_PIN_STATUS _IO(__ASHMEMIOC, 9) /* takes a struct ashmem_pin pointer anyway */
#define ASHMEM_PURGE_ALL_CACHES _IO(__ASHMEMIOC, 10)
#define ASHMEM_GET_FILE_ID _IOR(__ASHMEMIOC, 11, unsigned long)

/* What a 32-bit caller on a 64-bit kernel sends for the size_t / unsigned long commands. */
#define COMPAT_ASHMEM_SET_SIZE _IOW(__ASHMEMIOC, 3, __u32)
#define COMPAT_ASHMEM_SET_PROT_MASK _IOW(__ASHMEMIOC, 5, __u32)
#define COMPAT_ASHMEM_GET_FILE_ID _IOR(__ASHMEMIOC, 11, __u32)

#endif
