package org.ashmemd.cuse.transport;

import java.nio.ByteBuffer;

/**
 * Where each reader notes the request it holds, so that a server started after this one died
 * can release the callers waiting for it: the request's id once read, the reply once built (a
 * request whose reply was built but maybe not written gets that same reply again), and the end
 * once the reply is written. Also answers re-sent requests ({@code FUSE_UNIQUE_RESEND}) whose
 * first run completed. Called on the reader's thread; must be quick and never throw.
 */
public interface InFlightLog {
    InFlightLog NONE = new InFlightLog() {
        @Override
        public void begin(int slot, long unique) {
        }

        @Override
        public void answered(int slot, ByteBuffer reply) {
        }

        @Override
        public void end(int slot) {
        }
    };

    void begin(int slot, long unique);

    /** {@code reply} from its position to its limit is the frame about to be written. */
    void answered(int slot, ByteBuffer reply);

    void end(int slot);

    /**
     * For a re-sent request: copies the reply its first run recorded into {@code reply} (from
     * index 0, with the id of this request) and returns its length, or 0 to serve it anew.
     */
    default int replay(long unique, ByteBuffer reply) {
        return 0;
    }
}
