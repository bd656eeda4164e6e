package org.ashmemd.pressure;

/**
 * The "some" line of a PSI file at one moment.
 *
 * @param someAvg10   the share of the last ~10 s in which some task stalled, in percent
 * @param someTotalMicros all stall time so far; the kernel brings it up to date on every read,
 *                    unlike the averages, which move every 2 s
 * @param atNanos     when it was read ({@link System#nanoTime()} or a test clock)
 */
public record PsiReading(double someAvg10, long someTotalMicros, long atNanos) {

    /**
     * Parses the file's text ("some avg10=1.23 avg60=... total=4567" then a "full" line); null
     * when it has no well-formed "some" line.
     */
    public static PsiReading parse(String text, long atNanos) {
        for (String line : text.split("\n")) {
            if (!line.startsWith("some ")) {
                continue;
            }
            double avg10 = Double.NaN;
            long total = -1;
            for (String field : line.substring(5).trim().split("\\s+")) {
                int eq = field.indexOf('=');
                if (eq < 0) {
                    continue;
                }
                String key = field.substring(0, eq);
                String value = field.substring(eq + 1);
                try {
                    if (key.equals("avg10")) {
                        avg10 = Double.parseDouble(value);
                    } else if (key.equals("total")) {
                        total = Long.parseLong(value);
                    }
                } catch (NumberFormatException e) {
                    return null;
                }
            }
            return Double.isNaN(avg10) || total < 0 ? null : new PsiReading(avg10, total, atNanos);
        }
        return null;
    }

    /**
     * The share of the time between {@code earlier} and this reading in which some task
     * stalled, 0..1; NaN if no time passed.
     */
    public double stallShareSince(PsiReading earlier) {
        long dtNanos = atNanos - earlier.atNanos;
        if (dtNanos <= 0) {
            return Double.NaN;
        }
        long stallMicros = Math.max(0, someTotalMicros - earlier.someTotalMicros);
        return stallMicros * 1_000.0 / dtNanos;
    }

    /** avg10 as the file shows it ("1.23"). */
    public String avg10Text() {
        return String.format(java.util.Locale.ROOT, "%.2f", someAvg10);
    }
}
