package org.ashmemd.memory;

import java.util.concurrent.atomic.AtomicLong;
import org.ashmemd.ashmem.BackingMemory;
import org.ashmemd.ashmem.BackingMemoryFactory;
import org.ashmemd.posix.ErrnoException;
import org.ashmemd.posix.Prot;

/** Creates areas' memory as memfds and counts them, so leaks show up. */
public final class MemfdBackingFactory implements BackingMemoryFactory {
    private final AtomicLong created = new AtomicLong();

    @Override
    public BackingMemory create(byte[] name, long size, int protMask) throws ErrnoException {
        MemfdBacking b = MemfdBacking.create(name, size,
                (protMask & Prot.WRITE) == 0);
        created.incrementAndGet();
        return b;
    }

    public long created() {
        return created.get();
    }
}
