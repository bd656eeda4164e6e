package org.ashmemd.ashmem;

import java.nio.ByteBuffer;
import org.ashmemd.posix.ErrnoException;

/**
 * The memory behind one area, created at its first mmap (a host memfd in the daemon). The core
 * never changes which backing an area has once set, and closes it exactly once, after the area is
 * released and no read, seek, purge or {@link BackingLease lease} still uses it: that is the only
 * reference count, so an implementation needs none of its own. Code outside the core reaches the
 * memory only through a lease ({@link Area#lease()}) or through {@link Area}'s own methods.
 */
public interface BackingMemory {

    /** The inode number GET_FILE_ID reports. */
    long inode();

    /**
     * The file descriptor a client maps (the broker passes it with SCM_RIGHTS). Valid while the
     * caller holds a lease; the caller must not close it.
     */
    int fd();

    /**
     * A new read-only descriptor of the memory, for a client that may not write it: it can map
     * it only readable and cannot reopen it writable. The caller closes it. Valid while the
     * caller holds a lease.
     */
    int reopenReadOnly() throws ErrnoException;

    /**
     * Frees {@code [offset, offset + length)} (hole punch, keeping the size); the range reads back
     * as zeroes afterwards. Returns false when the memory could not be freed, e.g. because it is
     * sealed against writes. Never throws.
     */
    boolean punchHole(long offset, long length);

    /**
     * pread semantics: reads at most {@code dst.remaining()} bytes at {@code position} into
     * {@code dst}, advancing its position; returns the number of bytes read, 0 at or past the end.
     */
    int read(long position, ByteBuffer dst) throws ErrnoException;

    /**
     * lseek semantics (SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA, SEEK_HOLE) for an open file whose
     * current position is {@code position}; returns the new position.
     */
    long seek(long position, long offset, int whence) throws ErrnoException;

    /** Memory the backing holds now, in bytes (its allocated pages). Never throws. */
    long residentBytes();

    /**
     * The area's protection mask changed after this memory was created (SET_PROT_MASK after the
     * first mmap). A mask without PROT_WRITE seals future writable mappings, as creation does for
     * such a mask. Called with the registry lock held; must be quick and never throw (a seal that
     * cannot be added is the implementation's to report).
     */
    void protMaskChanged(int protMask);

    /** Releases the memory; existing mappings keep their pages. Called exactly once. */
    void close();
}
