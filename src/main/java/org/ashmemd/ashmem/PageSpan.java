package org.ashmemd.ashmem;

import org.ashmemd.posix.Errno;
import org.ashmemd.posix.ErrnoException;

/**
 * The pages a PIN, UNPIN or GET_PIN_STATUS argument names, computed with the driver's
 * arithmetic: {@code offset} and {@code len} are u32, {@code pgstart} and {@code pgend} size_t.
 *
 * <p>{@code len == 0} means "up to PAGE_ALIGN(size)", computed modulo 2^32. With {@code offset ==
 * PAGE_ALIGN(size)} that leaves {@code len == 0}, which passes every check and yields {@code pgend
 * == pgstart - 1}: an empty span that the range walks treat exactly as the driver does.
 */
record PageSpan(long pgstart, long pgend) {
    static final long U32 = 0xffff_ffffL;

    static PageSpan of(String op, long offsetArg, long lenArg, long size, int pageSize) throws ErrnoException {
        long offset = offsetArg & U32;
        long len = lenArg & U32;
        long alignedSize = pageAlign(size, pageSize);
        if (len == 0) {
            len = (alignedSize - offset) & U32;
        }
        if (((offset | len) & (pageSize - 1)) != 0) {
            throw new ErrnoException(Errno.EINVAL,
                    String.format("%s offset 0x%x len 0x%x is not page aligned", op, offset, len));
        }
        if (U32 - offset < len) {
            throw new ErrnoException(Errno.EINVAL,
                    String.format("%s offset 0x%x len 0x%x overflows 32 bits", op, offset, len));
        }
        if (Long.compareUnsigned(alignedSize, offset + len) < 0) {
            throw new ErrnoException(Errno.EINVAL, String.format(
                    "%s offset 0x%x len 0x%x ends past the region's 0x%x page-aligned bytes",
                    op, offset, len, alignedSize));
        }
        long pgstart = offset / pageSize;
        return new PageSpan(pgstart, pgstart + len / pageSize - 1);
    }

    /** PAGE_ALIGN for sizes the registry accepts (at most Integer.MAX_VALUE). */
    static long pageAlign(long size, int pageSize) {
        return (size + pageSize - 1) & -(long) pageSize;
    }
}
