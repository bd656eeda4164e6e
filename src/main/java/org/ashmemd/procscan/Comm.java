package org.ashmemd.procscan;

import java.util.Arrays;
import org.ashmemd.text.Escape;

/**
 * /proc/PID/comm and /proc/PID/task/TID/comm: the name a process or thread gave itself
 * (PR_SET_NAME, any 15 bytes). The one rule for names, in the daemon and in ashmemctl: the bytes
 * as they are but for the kernel's newline, decoded as UTF-8 with U+FFFD for invalid sequences;
 * whoever shows them escapes them ({@link Escape#text}).
 */
public final class Comm {
    private Comm() {
    }

    public static String parse(byte[] file) {
        int n = file.length > 0 && file[file.length - 1] == '\n' ? file.length - 1 : file.length;
        return Escape.decode(Arrays.copyOf(file, n));
    }
}
