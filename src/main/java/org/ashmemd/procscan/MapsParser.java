package org.ashmemd.procscan;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** /proc/PID/maps: one mapping per line. */
public final class MapsParser {
    private MapsParser() {
    }

    public static List<MapsEntry> parse(String text) {
        return parse(text, e -> true);
    }

    /** The mappings {@code keep} accepts; malformed lines are skipped. */
    public static List<MapsEntry> parse(String text, Predicate<MapsEntry> keep) {
        List<MapsEntry> out = new ArrayList<>();
        int at = 0;
        int n = text.length();
        while (at < n) {
            int nl = text.indexOf('\n', at);
            int end = nl < 0 ? n : nl;
            if (end > at) {
                try {
                    MapsEntry e = MapsEntry.parse(text.substring(at, end));
                    if (keep.test(e)) {
                        out.add(e);
                    }
                } catch (IllegalArgumentException ignored) {
                    // a line the kernel would not write; nothing to count
                }
            }
            at = end + 1;
        }
        return out;
    }
}
