package org.ashmemd.ashmem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import org.ashmemd.posix.ErrnoException;
import org.junit.jupiter.api.Test;

class AreaRestoreTest {
    private static final int PAGE = 4096;

    private static final class Memory implements BackingMemory {
        @Override
        public long inode() {
            return 7;
        }

        @Override
        public int fd() {
            return -1;
        }

        @Override
        public int reopenReadOnly() {
            return -1;
        }

        @Override
        public boolean punchHole(long offset, long length) {
            return true;
        }

        @Override
        public int read(long position, ByteBuffer dst) {
            return 0;
        }

        @Override
        public long seek(long position, long offset, int whence) {
            return offset;
        }

        @Override
        public long residentBytes() {
            return 0;
        }

        @Override
        public void protMaskChanged(int protMask) {
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aRestoredAreaBehavesAsTheOriginal() throws ErrnoException {
        AreaRegistry a = new AreaRegistry((n, s, p) -> new Memory(), PAGE);
        Area orig = a.open();
        orig.setName("hello".getBytes(), 5);
        orig.setSize(4 * PAGE);
        orig.map(4 * PAGE, 3);
        orig.unpin(PAGE, PAGE);
        orig.unpin(3 * PAGE, PAGE);
        a.purgeOldest(1, PurgeCause.ADMIN); // the older range is purged
        AreaState s = orig.state();

        AreaRegistry b = new AreaRegistry((n, sz, p) -> new Memory(), PAGE);
        Area copy = b.restore(s, new Memory());
        assertEquals(orig.id(), copy.id());
        assertArrayEquals(orig.getName(), copy.getName());
        assertEquals(orig.size(), copy.size());
        assertEquals(s.unpinned(), copy.state().unpinned());
        assertEquals(1, b.lruPages(), "only the range not purged is on the LRU");
        assertEquals(AreaRegistry.WAS_PURGED, copy.pin(PAGE, PAGE));
        assertEquals(AreaRegistry.NOT_PURGED, copy.pin(3 * PAGE, PAGE));
        assertEquals(orig.id() + 1, b.open().id(), "new ids follow the restored ones");
        assertThrows(IllegalArgumentException.class, () -> b.restore(s, new Memory()));
        assertThrows(IllegalArgumentException.class, () -> new AreaRegistry((n, sz, p) -> new Memory(), PAGE).restore(s, null));
    }
}
