package org.ashmemd.cli;

/**
 * Text safe for a terminal: control characters (C0, DEL, C1) from files or arguments become
 * {@code \xNN}, so that no escape sequence in a file's bytes reaches the user's terminal.
 */
final class Printable {
    private Printable() {
    }

    static String of(String s) {
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean control = c < 0x20 || (c >= 0x7f && c <= 0x9f);
            if (control && b == null) {
                b = new StringBuilder(s.length() + 8).append(s, 0, i);
            }
            if (b != null) {
                if (control) {
                    b.append(String.format("\\x%02x", (int) c));
                } else {
                    b.append(c);
                }
            }
        }
        return b == null ? s : b.toString();
    }
}
