package org.ashmemd.ashmem;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Keeps an area's backing memory open while something outside the registry uses it, such as the
 * broker passing its fd to a client: an area released meanwhile closes its backing only when the
 * last lease is closed. Taken with {@link Area#lease()}.
 */
public final class BackingLease implements AutoCloseable {
    private final Area area;
    private final BackingMemory memory;
    private final AtomicBoolean closed = new AtomicBoolean();

    BackingLease(Area area, BackingMemory memory) {
        this.area = area;
        this.memory = memory;
    }

    /** The leased memory; valid until {@link #close()}. */
    public BackingMemory memory() {
        return memory;
    }

    public Area area() {
        return area;
    }

    /** Ends the lease; later calls do nothing. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            area.endBackingUse();
        }
    }
}
