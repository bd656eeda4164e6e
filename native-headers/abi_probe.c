/*
 * abi_probe: prints the ABI facts the Java side hard-codes, as the C compiler sees them, one
 * "NAME VALUE" line each (decimal). Built twice by the Maven build, with -m64 and -m32: a 32-bit
 * build shows what a 32-bit caller's ioctl numbers and struct sizes are. AbiProbeTest compares
 * every line with the Java constant it stands for.
 *
 * Sources of the facts: this directory's own headers (the ashmem ABI, ashmemd's private ioctls
 * and broker wire format), and the system's <linux/fuse.h> and <errno.h> for the kernel's CUSE
 * protocol and errno numbers, which the project does not redefine in C.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/mman.h>

#include <linux/fuse.h>

#include "ashmem_abi.h"
#include "ashmemd.h"

#define PUT(name, value) printf("%s %lld\n", (name), (long long)(value))
#define FACT(macro) PUT(#macro, macro)
#define SIZE(type) PUT("sizeof." #type, sizeof(struct type))
#define OFFSET(type, field) PUT("offsetof." #type "." #field, offsetof(struct type, field))
#define ERRNO(e) PUT("errno." #e, e)

int main(void)
{
	PUT("abi.pointer_bytes", sizeof(void *));

	/* the generic ioctl encoding */
	FACT(_IOC_NONE);
	FACT(_IOC_WRITE);
	FACT(_IOC_READ);
	PUT("ioc.sample", (unsigned int)_IOC(_IOC_READ | _IOC_WRITE, 0xab, 0xcd, 0x1234));

	/* the ashmem driver's ioctls: those declared with size_t / unsigned long differ by ABI */
	FACT(ASHMEM_NAME_LEN);
	FACT(ASHMEM_IS_UNPINNED);
	FACT(ASHMEM_IS_PINNED);
	FACT(ASHMEM_NOT_PURGED);
	FACT(ASHMEM_WAS_PURGED);
	SIZE(ashmem_pin);
	FACT(__ASHMEMIOC);
	FACT(ASHMEM_SET_NAME);
	FACT(ASHMEM_GET_NAME);
	FACT(ASHMEM_SET_SIZE);
	FACT(ASHMEM_GET_SIZE);
	FACT(ASHMEM_SET_PROT_MASK);
	FACT(ASHMEM_GET_PROT_MASK);
	FACT(ASHMEM_PIN);
	FACT(ASHMEM_UNPIN);
	FACT(ASHMEM_GET_PIN_STATUS);
	FACT(ASHMEM_PURGE_ALL_CACHES);
	FACT(ASHMEM_GET_FILE_ID);
	FACT(COMPAT_ASHMEM_SET_SIZE);
	FACT(COMPAT_ASHMEM_SET_PROT_MASK);
	FACT(COMPAT_ASHMEM_GET_FILE_ID);

	/* ashmemd's private ioctls */
	FACT(ASHMEMD_IOC_TYPE);
	FACT(ASHMEMD_IOC_GET_TOKEN);
	FACT(ASHMEMD_IOC_SEEK);
	SIZE(ashmemd_seek);
	FACT(ASHMEMD_MAP_PROT_MASK);
	FACT(ASHMEMD_MAP_SHARED);
	FACT(ASHMEMD_MAP_PAGES_SHIFT);
	FACT(ASHMEMD_MAP_MAX_PAGES);

	/* the broker's wire format */
	FACT(ASHMEMD_BROKER_MAGIC);
	SIZE(ashmemd_broker_request);
	OFFSET(ashmemd_broker_request, magic);
	OFFSET(ashmemd_broker_request, token);
	OFFSET(ashmemd_broker_request, reserved);
	SIZE(ashmemd_broker_reply);
	OFFSET(ashmemd_broker_reply, magic);
	OFFSET(ashmemd_broker_reply, status);
	OFFSET(ashmemd_broker_reply, size);
	OFFSET(ashmemd_broker_reply, prot_mask);
	OFFSET(ashmemd_broker_reply, reserved);

	/* mmap protection bits */
	FACT(PROT_NONE);
	FACT(PROT_READ);
	FACT(PROT_WRITE);
	FACT(PROT_EXEC);

	/* the part of the FUSE/CUSE kernel protocol the daemon speaks */
	FACT(FUSE_KERNEL_VERSION);
	FACT(CUSE_INIT);
	FACT(FUSE_OPEN);
	FACT(FUSE_READ);
	FACT(FUSE_WRITE);
	FACT(FUSE_RELEASE);
	FACT(FUSE_INTERRUPT);
	FACT(FUSE_IOCTL);
	FACT(FUSE_POLL);
	FACT(CUSE_UNRESTRICTED_IOCTL);
	FACT(CUSE_INIT_INFO_MAX);
	FACT(FUSE_IOCTL_COMPAT);
	FACT(FUSE_IOCTL_UNRESTRICTED);
	FACT(FUSE_IOCTL_RETRY);
	FACT(FUSE_IOCTL_32BIT);
	FACT(FUSE_IOCTL_DIR);
	FACT(FUSE_IOCTL_COMPAT_X32);
	FACT(FUSE_IOCTL_MAX_IOV);
	FACT(FUSE_POLL_SCHEDULE_NOTIFY);
	SIZE(fuse_in_header);
	SIZE(fuse_out_header);
	SIZE(cuse_init_in);
	SIZE(cuse_init_out);
	SIZE(fuse_open_in);
	SIZE(fuse_open_out);
	SIZE(fuse_read_in);
	SIZE(fuse_write_in);
	SIZE(fuse_write_out);
	SIZE(fuse_release_in);
	SIZE(fuse_interrupt_in);
	SIZE(fuse_ioctl_in);
	SIZE(fuse_ioctl_out);
	SIZE(fuse_ioctl_iovec);
	SIZE(fuse_poll_in);
	SIZE(fuse_poll_out);

	/* errno numbers the daemon answers with or looks at */
	ERRNO(EPERM);
	ERRNO(ENOENT);
	ERRNO(ESRCH);
	ERRNO(EINTR);
	ERRNO(EIO);
	ERRNO(ENXIO);
	ERRNO(E2BIG);
	ERRNO(EBADF);
	ERRNO(EAGAIN);
	ERRNO(ENOMEM);
	ERRNO(EACCES);
	ERRNO(EFAULT);
	ERRNO(EBUSY);
	ERRNO(EEXIST);
	ERRNO(ENODEV);
	ERRNO(EINVAL);
	ERRNO(EMFILE);
	ERRNO(ENOTTY);
	ERRNO(ENOSPC);
	ERRNO(ESPIPE);
	ERRNO(ERANGE);
	ERRNO(ENOSYS);
	ERRNO(EOVERFLOW);
	ERRNO(EPROTO);
	ERRNO(EOPNOTSUPP);
	ERRNO(ENOTCONN);
	ERRNO(ETIMEDOUT);
	ERRNO(ECONNABORTED);
	ERRNO(EDQUOT);
	return 0;
}
