package org.ashmemd.control;

/** An unpinned byte range of a region, and whether it was purged. */
public record PinRange(long offset, long length, boolean purged) {
}
