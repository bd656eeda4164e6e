package org.ashmemd.procscan;

import java.io.IOException;

/** /proc itself could not be read (not mounted, or hidden): nothing can be scanned. */
public final class ProcUnavailableException extends IOException {
    private static final long serialVersionUID = 1L;

    public ProcUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
