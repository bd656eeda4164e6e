package org.ashmemd.restart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.ashmemd.sys.Descriptors;
import org.ashmemd.sys.FdPassing;
import org.ashmemd.sys.Memfd;
import org.ashmemd.sys.UnixSockets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The carrier on real Unix datagram sockets and real memfds. */
class MemoryCarrierTest {
    private final List<Integer> open = new ArrayList<>();

    @AfterEach
    void closeAll() {
        open.forEach(Descriptors::close);
    }

    private int memfd(String name) throws Exception {
        int fd = Memfd.create(name.getBytes(StandardCharsets.US_ASCII), 4096);
        open.add(fd);
        return fd;
    }

    private record Taken(List<Long> ids, List<Long> inodes) {
    }

    private Taken drain(int end) throws Exception {
        List<Long> ids = new ArrayList<>();
        List<Long> inodes = new ArrayList<>();
        MemoryCarrier.drain(end, (batch, fds) -> {
            for (int i = 0; i < fds.length; i++) {
                ids.add(batch[i]);
                inodes.add(Memfd.inode(fds[i]));
                Descriptors.close(fds[i]);
            }
        });
        return new Taken(ids, inodes);
    }

    @Test
    void theQueueKeepsTheMemfdsAfterTheDaemonsEndCloses() throws Exception {
        int a = memfd("a");
        int b = memfd("b");
        int kept;
        try (MemoryCarrier c = MemoryCarrier.create()) {
            assertTrue(c.park(7, a));
            assertTrue(c.park(9, b));
            assertEquals(2, c.queued());
            kept = Descriptors.duplicate(c.queueEnd()); // what the store holds
            open.add(kept);
        }
        Taken t = drain(kept);
        assertEquals(List.of(7L, 9L), t.ids());
        assertEquals(List.of(Memfd.inode(a), Memfd.inode(b)), t.inodes());
        assertEquals(List.of(), drain(kept).ids(), "drained once");
    }

    @Test
    void manyRegionsGoInMessagesOfAtMost253AndComeBackInOrder() throws Exception {
        int n = 600;
        long[] ids = new long[n];
        int[] fds = new int[n];
        int shared = memfd("shared");
        for (int i = 0; i < n; i++) {
            ids[i] = 1000 + i;
            fds[i] = shared;
        }
        try (MemoryCarrier c = MemoryCarrier.create()) {
            assertTrue(c.parkAll(ids, fds, n));
            assertEquals(n, c.queued());
            Taken t = drain(c.queueEnd());
            assertEquals(n, t.ids().size());
            for (int i = 0; i < n; i++) {
                assertEquals(ids[i], t.ids().get(i));
                assertEquals(Memfd.inode(shared), t.inodes().get(i));
            }
        }
    }

    @Test
    void aFullQueueRefusesWithoutLosingWhatItHolds() throws Exception {
        int fd = memfd("one");
        try (MemoryCarrier c = MemoryCarrier.create()) {
            long id = 0;
            while (c.park(id, fd)) {
                id++;
                assertTrue(id < 1_000_000, "the queue never filled");
            }
            assertEquals(id, c.queued());
            assertFalse(c.parkAll(new long[] {id}, new int[] {fd}, 1));
            Taken t = drain(c.queueEnd());
            assertEquals(id, t.ids().size());
            assertEquals(id - 1, t.ids().get(t.ids().size() - 1));
            assertTrue(c.park(id, fd), "room again once received");
        }
    }

    @Test
    void aMessageThatIsNotIdsWithTheirMemfdsIsSkippedAndItsDescriptorsClosed() throws Exception {
        int[] pair = UnixSockets.datagramPair();
        open.add(pair[0]);
        open.add(pair[1]);
        int fd = memfd("x");
        ByteBuffer bad = ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN);
        bad.putLong(5).flip();
        assertTrue(FdPassing.sendAll(pair[0], bad, new int[] {fd, fd})); // one id, two memfds
        ByteBuffer good = ByteBuffer.allocateDirect(8).order(ByteOrder.LITTLE_ENDIAN);
        good.putLong(6).flip();
        assertTrue(FdPassing.sendAll(pair[0], good, new int[] {fd}));
        List<Long> ids = new ArrayList<>();
        List<Integer> received = new ArrayList<>();
        int malformed = MemoryCarrier.drain(pair[1], (batch, fds) -> {
            for (int i = 0; i < fds.length; i++) {
                ids.add(batch[i]);
                received.add(fds[i]);
            }
        });
        assertEquals(1, malformed);
        assertEquals(List.of(6L), ids);
        received.forEach(Descriptors::close);
    }
}
