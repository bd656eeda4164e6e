package org.ashmemd.ashmem;

/**
 * Purges of one cause since the daemon started.
 *
 * @param pages  pages freed
 * @param bursts purge operations that freed at least one page
 */
public record PurgeCount(long pages, long bursts) {
    public static final PurgeCount NONE = new PurgeCount(0, 0);
}
