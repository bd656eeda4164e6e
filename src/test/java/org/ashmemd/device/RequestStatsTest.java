package org.ashmemd.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.ashmemd.cuse.wire.Opcode;
import org.ashmemd.posix.Errno;
import org.junit.jupiter.api.Test;

class RequestStatsTest {
    private static final int IOCTL = Opcode.IOCTL.number();
    private static final int ENOTTY = Errno.ENOTTY.number();

    @Test
    void distinctUnknownIoctlsShareOneBucket() {
        RequestStats stats = new RequestStats();
        for (int i = 0; i < 200_000; i++) {
            stats.requestDone(IOCTL, 0x0000a000 + i * 7, ENOTTY, 1_000);
        }
        stats.requestDone(Opcode.OPEN.number(), 0, 0, 1_000);
        assertEquals(Map.of("UNKNOWN_IOCTL", 200_000L, "OPEN", 1L), stats.requests());
        assertEquals(Map.of("UNKNOWN_IOCTL ENOTTY", 200_000L), stats.errors());
        assertEquals(List.of(DeviceOperation.OPEN, DeviceOperation.UNKNOWN_IOCTL),
                stats.snapshot().stream().map(RequestStats.Operation::operation).toList(), "what metrics see");
    }

    @Test
    void latenciesFallIntoTheHistogramsBuckets() {
        RequestStats stats = new RequestStats();
        stats.requestDone(Opcode.OPEN.number(), 0, 0, 3_000); // first bucket
        stats.requestDone(Opcode.OPEN.number(), 0, 0, 5_000); // bounds are inclusive
        stats.requestDone(Opcode.OPEN.number(), 0, 0, 40_000);
        stats.requestDone(Opcode.OPEN.number(), 0, 0, 1_000_000_000); // 1 s: the longest allowed wait
        stats.requestDone(Opcode.OPEN.number(), 0, 0, 11_000_000_000L); // over the last bound
        RequestStats.Operation open = stats.snapshot().get(0);
        assertEquals(5, open.requests());
        assertEquals(2, open.buckets()[0]);
        assertEquals(1, open.buckets()[3]);
        int oneSecond = java.util.Arrays.binarySearch(RequestStats.BOUNDS_NANOS, 1_000_000_000L);
        assertEquals(1, open.buckets()[oneSecond]);
        assertEquals(1, open.buckets()[RequestStats.BOUNDS_NANOS.length]);
        assertEquals(12_000_048_000L, open.sumNanos());
    }

    @Test
    void keysAreBoundedByTheDaemonsOperationsAndErrnos() {
        RequestStats stats = new RequestStats();
        // every opcode number, every ioctl number of a wide sweep, every errno a request could end with
        for (int opcode = 0; opcode < 5000; opcode++) {
            stats.requestDone(opcode, 0, opcode % 300, 1);
        }
        for (int n = 0; n < 100_000; n++) {
            stats.requestDone(IOCTL, n * 40_503, n % 1000 - 500, 1);
        }
        int operations = DeviceOperation.values().length;
        assertTrue(stats.requests().size() <= operations, stats.requests().toString());
        assertTrue(stats.errors().size() <= operations * RequestStats.ERRNOS, Integer.toString(stats.errors().size()));
        assertTrue(stats.errors().containsKey("UNKNOWN_IOCTL " + RequestStats.OTHER_ERRNO_NAME), "errnos beyond 255");
        assertTrue(stats.errors().containsKey("UNKNOWN_OPCODE EPERM"));
    }

    @Test
    void knownIoctlsAreNamedAndCompatNumbersCountAsTheirTwin() {
        RequestStats stats = new RequestStats();
        stats.requestDone(IOCTL, AshmemIoctl.SET_SIZE, 0, 1);
        stats.requestDone(IOCTL, AshmemIoctl.COMPAT_SET_SIZE, Errno.EINVAL.number(), 1);
        stats.requestDone(IOCTL, AshmemIoctl.ASHMEMD_GET_TOKEN, 0, 1);
        stats.requestDone(Opcode.RELEASE.number(), 0, 0, 1);
        stats.requestDone(0, 0, Errno.EIO.number(), 1); // a frame too short to carry an opcode
        assertEquals(Map.of("SET_SIZE", 2L, "ASHMEMD_GET_TOKEN", 1L, "RELEASE", 1L, "UNKNOWN_OPCODE", 1L),
                stats.requests());
        assertEquals(Map.of("SET_SIZE EINVAL", 1L, "UNKNOWN_OPCODE EIO", 1L), stats.errors());
        assertEquals(DeviceOperation.GET_FILE_ID, DeviceOperation.of(IOCTL, AshmemIoctl.COMPAT_GET_FILE_ID));
    }
}
