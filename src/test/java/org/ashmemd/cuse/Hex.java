package org.ashmemd.cuse;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

/**
 * Annotated hex frames for golden tests: whitespace-separated byte pairs, with {@code #} starting
 * a comment that runs to the end of the line.
 */
public final class Hex {
    private Hex() {
    }

    public static byte[] parse(String annotated) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String line : annotated.split("\n")) {
            int hash = line.indexOf('#');
            String data = hash >= 0 ? line.substring(0, hash) : line;
            for (String token : data.trim().split("\\s+")) {
                if (token.isEmpty()) {
                    continue;
                }
                if (token.length() != 2) {
                    throw new IllegalArgumentException("not a hex byte: '" + token + "' in: " + line);
                }
                out.write(Integer.parseInt(token, 16));
            }
        }
        return out.toByteArray();
    }

    /** A request buffer as a reader hands it to the session: position 0, limit = frame length. */
    public static ByteBuffer frame(String annotated) {
        return ByteBuffer.wrap(parse(annotated));
    }

    /** The first {@code len} bytes from index 0. */
    public static byte[] bytes(ByteBuffer b, int len) {
        byte[] out = new byte[len];
        b.get(0, out);
        return out;
    }

    /** 16 bytes per line, for readable assertion diffs. */
    public static String format(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < bytes.length; i++) {
            sb.append(String.format("%02x", bytes[i] & 0xff));
            sb.append(i % 16 == 15 ? '\n' : ' ');
        }
        return sb.toString().stripTrailing();
    }
}
