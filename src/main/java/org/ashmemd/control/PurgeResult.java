package org.ashmemd.control;

/** What `ashmemctl purge` did. */
public record PurgeResult(long pagesFreed, long bytesFreed) {
}
