package org.ashmemd.cuse.session;

import org.ashmemd.cuse.wire.CuseDevInfo;
import org.ashmemd.cuse.wire.CuseInitOut;
import org.ashmemd.cuse.wire.FuseProtocol;
import org.ashmemd.cuse.wire.InHeader;
import org.ashmemd.cuse.wire.IoctlIn;
import org.ashmemd.cuse.wire.IoctlOut;
import org.ashmemd.cuse.wire.OutHeader;
import org.ashmemd.cuse.wire.RetryIovec;
import org.ashmemd.cuse.wire.WriteIn;

/**
 * What a CUSE session announces in its INIT reply, and the buffer sizes that follow from it.
 *
 * @param deviceName the node's name under /dev ({@code ashmem}); '/' makes subdirectories
 * @param devMajor   0 for a dynamic major, else a free static major below 512
 * @param devMinor   the device minor
 * @param pageSize   the kernel's page size: a request carries at most 32 pages
 */
public record CuseConfig(String deviceName, int devMajor, int devMinor, int pageSize) {
    public static final int DEFAULT_PAGE_SIZE = 4096;
    private static final int MAX_STATIC_MAJOR = 511;
    private static final int MAX_MINOR = (1 << 20) - 1;
    private static final int MAX_PAGE_SIZE = 1 << 20;
    /** Generous floor for the request buffer, so a miscounted page size still reads every request. */
    private static final int MIN_REQUEST_BUFFER = 256 * 1024;

    public CuseConfig {
        CuseDevInfo.requireValidName(deviceName);
        if (devMajor < 0 || devMajor > MAX_STATIC_MAJOR) {
            throw new IllegalArgumentException("device major must be 0 (dynamic) or below 512: " + devMajor);
        }
        if (devMinor < 0 || devMinor > MAX_MINOR) {
            throw new IllegalArgumentException("device minor out of range: " + devMinor);
        }
        if (pageSize < DEFAULT_PAGE_SIZE || pageSize > MAX_PAGE_SIZE || Integer.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("page size must be a power of two from 4096 on: " + pageSize);
        }
    }

    /** A device with a dynamic major and minor 0. */
    public static CuseConfig dynamic(String deviceName, int pageSize) {
        return new CuseConfig(deviceName, 0, 0, pageSize);
    }

    /**
     * The largest READ chunk announced: the kernel never sends more than 32 pages in one
     * request, so a higher value gains nothing.
     */
    public int maxRead() {
        return FuseProtocol.MAX_PAGES_PER_REQUEST * pageSize;
    }

    /** The largest WRITE chunk announced; it also sets the kernel's minimum read-buffer size. */
    public int maxWrite() {
        return FuseProtocol.MAX_PAGES_PER_REQUEST * pageSize;
    }

    /** The most bytes one ioctl round moves in each direction (the kernel's 32-page cap). */
    public int maxIoctlBytes() {
        return FuseProtocol.MAX_PAGES_PER_REQUEST * pageSize;
    }

    /** A /dev/cuse read buffer this large takes every request the kernel can send. */
    public int requestBufferSize() {
        int largestWrite = InHeader.SIZE + WriteIn.SIZE + maxWrite();
        int largestIoctl = InHeader.SIZE + IoctlIn.SIZE + maxIoctlBytes();
        int needed = Math.max(FuseProtocol.MIN_READ_BUFFER, Math.max(largestWrite, largestIoctl));
        return Math.max(MIN_REQUEST_BUFFER, roundUpToPage(needed));
    }

    /** A reply buffer this large holds every reply the session writes. */
    public int replyBufferSize() {
        int largestRead = OutHeader.SIZE + maxRead();
        int largestIoctl = OutHeader.SIZE + IoctlOut.SIZE
                + Math.max(maxIoctlBytes(), FuseProtocol.IOCTL_MAX_IOV * RetryIovec.SIZE);
        int init = OutHeader.SIZE + CuseInitOut.SIZE + FuseProtocol.CUSE_INIT_INFO_MAX;
        return roundUpToPage(Math.max(init, Math.max(largestRead, largestIoctl)));
    }

    private int roundUpToPage(int n) {
        return (n + pageSize - 1) & -pageSize;
    }
}
