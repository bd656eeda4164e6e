package org.ashmemd.ashmem;

/** Why memory was purged; the registry counts purges by it, and metrics label them with {@link #label()}. */
public enum PurgeCause {
    /** The PURGE_ALL_CACHES ioctl. */
    PURGE_ALL_CACHES("purge_all_caches"),
    /** A PSI memory pressure event. */
    PRESSURE("pressure"),
    /** {@code ashmemctl purge}. */
    ADMIN("admin"),
    /** Unpinned memory over the configured soft limit. */
    SOFT_LIMIT("soft_limit");

    private final String label;

    PurgeCause(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
