package org.ashmemd.ashmem;

import org.ashmemd.posix.ErrnoException;

/** Creates the backing memory of an area at its first mmap. */
@FunctionalInterface
public interface BackingMemoryFactory {

    /**
     * Creates {@code size} bytes of zeroed memory named by the bytes {@code name} ({@code dev/ashmem/<name>} or
     * {@code dev/ashmem}). A {@code protMask} without PROT_WRITE asks for memory that can never be
     * mapped writable. Called without the registry lock (another thread may change the area
     * meanwhile; the area then drops this memory and asks again). An ErrnoException fails the mmap with
     * that errno and leaves the area without backing.
     */
    BackingMemory create(byte[] name, long size, int protMask) throws ErrnoException;
}
