package org.ashmemd.waydroid;

/** A reason the Waydroid switch cannot go on, with what the user can do about it. */
public final class WaydroidException extends Exception {
    private static final long serialVersionUID = 1L;

    /** What went wrong, which decides the exit status. */
    public enum Reason {
        /** ashmemd's device or broker socket is missing. */
        ASHMEMD_DOWN,
        /** No initialized Waydroid under the root. */
        NO_WAYDROID,
        /** The installation lacks a file it should ship (preload library, init script). */
        INCOMPLETE_INSTALLATION,
        /** {@code waydroid upgrade -o} failed. */
        WAYDROID_FAILED
    }

    private final Reason reason;

    public WaydroidException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
