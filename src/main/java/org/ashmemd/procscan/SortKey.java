package org.ashmemd.procscan;

import java.util.Locale;

/** What "largest first" means. */
public enum SortKey {
    SIZE, RSS, PSS, SWAP;

    public long of(Usage u) {
        switch (this) {
            case SIZE:
                return u.sizeBytes();
            case RSS:
                return u.rssBytes();
            case SWAP:
                return u.swapBytes();
            default:
                return u.pssBytes();
        }
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
