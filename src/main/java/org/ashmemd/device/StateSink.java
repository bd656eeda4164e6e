package org.ashmemd.device;

/**
 * Where the device reports every change of an open file's region that a restarted daemon must
 * know (open, name, size, mask, pins, purge marks, first mapping, file position, release). Called
 * on the request's thread after the change, before the reply is written; must be quick.
 */
public interface StateSink {
    StateSink NONE = new StateSink() {
        @Override
        public void changed(OpenFile file) {
        }

        @Override
        public void released(OpenFile file) {
        }
    };

    /** The file was opened, or its region changed. */
    void changed(OpenFile file);

    /**
     * Only the region's unpinned ranges or their purged marks changed (PIN, UNPIN, a purge): a
     * sink may record just those.
     */
    default void pinsChanged(OpenFile file) {
        changed(file);
    }

    /** The file was released and its region is gone. */
    void released(OpenFile file);
}
