package org.ashmemd.cli;

import java.util.Locale;

/** Byte counts for people: 512, 4.0K, 12.5M, 3.1G (powers of 1024). */
final class HumanSize {
    private HumanSize() {
    }

    static String of(long bytes) {
        if (bytes < 1024) {
            return Long.toString(bytes);
        }
        String units = "KMGTPE";
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length() - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f%c", v, units.charAt(u));
    }

    /** Seconds as 42s, 5m03s, 2h07m, 3d04h. */
    static String duration(long seconds) {
        if (seconds < 60) {
            return seconds + "s";
        }
        if (seconds < 3600) {
            return String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
        }
        if (seconds < 86400) {
            return String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, (seconds % 3600) / 60);
        }
        return String.format(Locale.ROOT, "%dd%02dh", seconds / 86400, (seconds % 86400) / 3600);
    }
}
