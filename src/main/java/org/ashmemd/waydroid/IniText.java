package org.ashmemd.waydroid;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Line-based edits of one key in an INI file as Python's configparser reads it (Waydroid's
 * {@code waydroid.cfg}): every other byte stays as it was, comments and order included. Text is
 * handled as ISO-8859-1 so that any byte survives a round trip.
 *
 * <p>configparser's rules that matter here: a section starts at a line {@code [name]} (names are
 * case-sensitive), keys compare case-insensitively, the delimiter is the first {@code =} or
 * {@code :}, lines starting with {@code #} or {@code ;} are comments, and an indented line after
 * a key continues its value.
 */
final class IniText {
    private final List<String> lines; // each with its line ending
    private final String eol;

    private IniText(List<String> lines, String eol) {
        this.lines = lines;
        this.eol = eol;
    }

    /** The lines of {@code text}, each with its line feed, so that joining them gives the text back. */
    static List<String> linesWithEnds(String text) {
        List<String> lines = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                lines.add(text.substring(start, i + 1));
                start = i + 1;
            }
        }
        if (start < text.length()) {
            lines.add(text.substring(start));
        }
        return lines;
    }

    static IniText parse(String text) {
        List<String> lines = linesWithEnds(text);
        return new IniText(lines, text.contains("\r\n") ? "\r\n" : "\n");
    }

    @Override
    public String toString() {
        return String.join("", lines);
    }

    /** The value of {@code key} in {@code section} (first line only), or empty. */
    Optional<String> get(String section, String key) {
        int k = find(section, key);
        if (k < 0) {
            return Optional.empty();
        }
        String line = body(lines.get(k));
        return Optional.of(line.substring(delimiter(line) + 1).strip());
    }

    boolean hasSection(String section) {
        return sectionStart(section) >= 0;
    }

    /**
     * Sets {@code key = value} in {@code section}: an existing entry keeps its key spelling and
     * delimiter and gets the new value (continuation lines dropped); a new one goes after the
     * section's last entry; a missing section is added at the end.
     */
    IniText set(String section, String key, String value) {
        List<String> out = new ArrayList<>(lines);
        int k = find(section, key);
        if (k >= 0) {
            String line = body(out.get(k));
            int d = delimiter(line);
            int v = d + 1;
            while (v < line.length() && (line.charAt(v) == ' ' || line.charAt(v) == '\t')) {
                v++;
            }
            out.set(k, line.substring(0, v) + value + ending(out.get(k)));
            int end = k + 1;
            while (end < out.size() && isContinuation(out.get(end))) {
                end++;
            }
            out.subList(k + 1, end).clear();
            return new IniText(out, eol);
        }
        String entry = key + " = " + value + eol;
        int s = sectionStart(section);
        if (s < 0) {
            StringBuilder add = new StringBuilder();
            if (!out.isEmpty() && !out.get(out.size() - 1).endsWith("\n")) {
                out.set(out.size() - 1, out.get(out.size() - 1) + eol);
            }
            if (!out.isEmpty() && !body(out.get(out.size() - 1)).isBlank()) {
                add.append(eol);
            }
            out.add(add + "[" + section + "]" + eol);
            out.add(entry);
            return new IniText(out, eol);
        }
        int last = s; // the header or the section's last non-blank line
        for (int i = s + 1; i < out.size() && !isHeader(out.get(i)); i++) {
            if (!body(out.get(i)).isBlank()) {
                last = i;
            }
        }
        if (!out.get(last).endsWith("\n")) {
            out.set(last, out.get(last) + eol);
        }
        out.add(last + 1, entry);
        return new IniText(out, eol);
    }

    /** Removes {@code key} (with its continuation lines) from {@code section}. */
    IniText remove(String section, String key) {
        int k = find(section, key);
        if (k < 0) {
            return this;
        }
        List<String> out = new ArrayList<>(lines);
        int end = k + 1;
        while (end < out.size() && isContinuation(out.get(end))) {
            end++;
        }
        boolean lastHadNoEnding = end == out.size() && !out.get(end - 1).endsWith("\n");
        out.subList(k, end).clear();
        if (lastHadNoEnding && !out.isEmpty()) {
            String prev = out.get(out.size() - 1);
            out.set(out.size() - 1, body(prev)); // the file ended without a newline: keep it so
        }
        return new IniText(out, eol);
    }

    private int sectionStart(String section) {
        for (int i = 0; i < lines.size(); i++) {
            if (isHeader(lines.get(i)) && headerName(lines.get(i)).equals(section)) {
                return i;
            }
        }
        return -1;
    }

    private int find(String section, String key) {
        int s = sectionStart(section);
        if (s < 0) {
            return -1;
        }
        String wanted = key.toLowerCase(Locale.ROOT);
        for (int i = s + 1; i < lines.size() && !isHeader(lines.get(i)); i++) {
            String line = body(lines.get(i));
            if (line.isBlank() || isComment(line) || isContinuation(lines.get(i))) {
                continue;
            }
            int d = delimiter(line);
            if (d > 0 && line.substring(0, d).strip().toLowerCase(Locale.ROOT).equals(wanted)) {
                return i;
            }
        }
        return -1;
    }

    /** A section header as configparser matches it: "[", then the name up to the last "]" (text may follow). */
    private static boolean isHeader(String raw) {
        String t = body(raw).strip();
        return t.startsWith("[") && t.lastIndexOf(']') > 1;
    }

    private static String headerName(String raw) {
        String t = body(raw).strip();
        return t.substring(1, t.lastIndexOf(']'));
    }

    private static boolean isComment(String line) {
        String t = line.stripLeading();
        return t.startsWith("#") || t.startsWith(";");
    }

    private static boolean isContinuation(String raw) {
        String line = body(raw);
        return !line.isBlank() && (line.charAt(0) == ' ' || line.charAt(0) == '\t') && !isComment(line);
    }

    /** The first '=' or ':', -1 when the line has neither. */
    private static int delimiter(String line) {
        int eq = line.indexOf('=');
        int colon = line.indexOf(':');
        if (eq < 0) {
            return colon;
        }
        return colon < 0 ? eq : Math.min(eq, colon);
    }

    /** A line without its ending. */
    private static String body(String raw) {
        if (raw.endsWith("\r\n")) {
            return raw.substring(0, raw.length() - 2);
        }
        return raw.endsWith("\n") ? raw.substring(0, raw.length() - 1) : raw;
    }

    private static String ending(String raw) {
        return raw.substring(body(raw).length());
    }
}
