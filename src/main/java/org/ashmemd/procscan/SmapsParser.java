package org.ashmemd.procscan;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** /proc/PID/smaps: a maps line per mapping, followed by its "Key: value kB" counters. */
public final class SmapsParser {
    private SmapsParser() {
    }

    public static List<SmapsEntry> parse(String text) {
        return parse(text, e -> true);
    }

    /**
     * The mappings {@code keep} accepts, with their counters; the counters of the others are
     * skipped without being parsed, since a large process has thousands of mappings.
     */
    public static List<SmapsEntry> parse(String text, Predicate<MapsEntry> keep) {
        List<SmapsEntry> out = new ArrayList<>();
        MapsEntry current = null;
        Map<String, Long> fields = null;
        String flags = "";
        int at = 0;
        int n = text.length();
        while (at < n) {
            int nl = text.indexOf('\n', at);
            int end = nl < 0 ? n : nl;
            String line = text.substring(at, end);
            at = end + 1;
            if (line.isEmpty()) {
                continue;
            }
            if (MapsEntry.isHeader(line)) {
                if (current != null) {
                    out.add(new SmapsEntry(current, fields, flags));
                }
                current = null;
                try {
                    MapsEntry e = MapsEntry.parse(line);
                    if (keep.test(e)) {
                        current = e;
                        fields = new HashMap<>();
                        flags = "";
                    }
                } catch (IllegalArgumentException ignored) {
                    // not a mapping after all; its counters are skipped with it
                }
                continue;
            }
            if (current == null) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String key = line.substring(0, colon);
            String value = line.substring(colon + 1).trim();
            if (key.equals("VmFlags")) {
                flags = value;
                continue;
            }
            long multiplier = 1;
            if (value.endsWith(" kB")) {
                value = value.substring(0, value.length() - 3).trim();
                multiplier = 1024;
            }
            try {
                fields.put(key, Long.parseLong(value) * multiplier);
            } catch (NumberFormatException ignored) {
                // a counter this parser does not know how to read; the others still count
            }
        }
        if (current != null) {
            out.add(new SmapsEntry(current, fields, flags));
        }
        return out;
    }
}
