package org.ashmemd.ashmem;

import java.util.ArrayList;
import java.util.List;
import org.ashmemd.posix.Errno;
import org.ashmemd.posix.ErrnoException;

/** Creates {@link FakeBacking}s, remembering each; can be told to fail the next creation. */
final class FakeFactory implements BackingMemoryFactory {
    final List<FakeBacking> created = new ArrayList<>();
    Errno failNext;
    /** Run once by the next creation, as another thread's request while the memory is made. */
    Runnable duringNextCreate;
    private long nextInode = 1000;

    /** Maps {@code area} and returns its backing memory (what the core keeps to itself). */
    static BackingMemory map(Area area, long lengthBytes, int prot) throws ErrnoException {
        area.map(lengthBytes, prot);
        return area.backing();
    }

    @Override
    public synchronized BackingMemory create(byte[] rawName, long size, int protMask) throws ErrnoException {
        if (failNext != null) {
            Errno e = failNext;
            failNext = null;
            throw new ErrnoException(e, "could not create the memory");
        }
        Runnable during = duringNextCreate;
        duringNextCreate = null;
        if (during != null) {
            during.run();
        }
        String name = new String(rawName, java.nio.charset.StandardCharsets.ISO_8859_1);
        FakeBacking b = new FakeBacking(name, size, protMask, nextInode++);
        created.add(b);
        return b;
    }
}
