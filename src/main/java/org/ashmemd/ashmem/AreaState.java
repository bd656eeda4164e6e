package org.ashmemd.ashmem;

import java.util.List;

/**
 * Everything of one live area a restarted daemon needs to go on serving it: the exact name
 * bytes, size, prot mask, file position, whether it has backing memory, and its unpinned ranges
 * (highest page first, with their purged marks). Unlike {@link AreaSnapshot} it is exact, not for
 * display.
 */
public record AreaState(long id, byte[] name, long size, int protMask, long position, boolean hasBacking,
        List<UnpinnedRange> unpinned) {

    public AreaState {
        name = name.clone();
        unpinned = List.copyOf(unpinned);
    }

    @Override
    public byte[] name() {
        return name.clone();
    }
}
