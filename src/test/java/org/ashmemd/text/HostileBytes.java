package org.ashmemd.text;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Byte strings for tests with hostile names: text parts as UTF-8, Integer parts as raw bytes (e.g. 0xff). */
public final class HostileBytes {
    private HostileBytes() {
    }

    public static byte[] of(Object... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (Object p : parts) {
            if (p instanceof Integer) {
                b.write((Integer) p);
            } else {
                b.writeBytes(p.toString().getBytes(StandardCharsets.UTF_8));
            }
        }
        return b.toByteArray();
    }
}
