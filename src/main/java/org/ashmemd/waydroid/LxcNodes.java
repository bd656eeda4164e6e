package org.ashmemd.waydroid;

import java.util.ArrayList;
import java.util.List;

/**
 * ashmemd's entries in Waydroid's {@code config_nodes} (the LXC file that lists the bind mounts
 * into the container's tmpfs {@code /dev}). They sit between two marker comments, right after
 * Waydroid's own {@code /dev/ashmem} entry, or after the tmpfs on {@code dev} when Waydroid left
 * that entry out (it writes it only when {@code /dev/ashmem} existed as it generated the file), so
 * that they can be told from Waydroid's lines, updated (the alias carries the boot id) and removed.
 *
 * <ul>
 * <li>{@code /dev/ashmem}, unless Waydroid's own entry is there;</li>
 * <li>{@code /dev/ashmem<boot_id>}, the name Android 11 and later open first;</li>
 * <li>{@code /run/ashmemd} at {@code dev/ashmemd}: the broker socket's directory, where the
 *     preload library looks inside Android ({@code /dev} is the only writable tmpfs there that
 *     exists before init runs).</li>
 * </ul>
 */
final class LxcNodes {
    static final String BEGIN = "# ashmemd: entries of 'ashmemctl waydroid enable' (removed by 'ashmemctl waydroid disable')";
    static final String END = "# ashmemd: end";

    static final String DEVICE = "/dev/ashmem";
    static final String RUNTIME_DIR = "/run/ashmemd";
    static final String RUNTIME_DIR_IN_CONTAINER = "dev/ashmemd";

    private LxcNodes() {
    }

    /** One {@code lxc.mount.entry} line. */
    record Entry(String source, String target, String options) {
        String line() {
            return "lxc.mount.entry = " + source + " " + target + " none " + options + " 0 0";
        }
    }

    static Entry deviceEntry() {
        return new Entry(DEVICE, "dev/ashmem", "bind,create=file,optional");
    }

    static Entry aliasEntry(String bootId) {
        return new Entry(DEVICE + bootId, "dev/ashmem" + bootId, "bind,create=file,optional");
    }

    static Entry brokerEntry() {
        return new Entry(RUNTIME_DIR, RUNTIME_DIR_IN_CONTAINER, "bind,create=dir,optional");
    }

    /** The entries ashmemd needs, in the order they are written. */
    static List<Entry> wanted(String text, String bootId) {
        List<Entry> e = new ArrayList<>();
        if (!hasOwnDeviceEntry(text)) {
            e.add(deviceEntry());
        }
        if (bootId != null) {
            e.add(aliasEntry(bootId));
        }
        e.add(brokerEntry());
        return e;
    }

    /** {@code text} with ashmemd's block (re)written for {@code bootId} (null: no alias entry). */
    static String apply(String text, String bootId) {
        String base = unapply(text);
        List<String> lines = lines(base);
        String eol = base.contains("\r\n") ? "\r\n" : "\n";
        int at = -1;
        int tmpfsDev = -1;
        for (int i = 0; i < lines.size(); i++) {
            Entry e = parse(lines.get(i));
            if (e == null) {
                continue;
            }
            if (e.source().equals(DEVICE) && e.target().equals("dev/ashmem")) {
                at = i + 1;
            } else if (e.source().equals("tmpfs") && e.target().equals("dev") && tmpfsDev < 0) {
                tmpfsDev = i + 1;
            }
        }
        if (at < 0) {
            at = tmpfsDev >= 0 ? tmpfsDev : lines.size();
        }
        if (at > 0 && !lines.get(at - 1).endsWith("\n")) {
            lines.set(at - 1, lines.get(at - 1) + eol);
        }
        List<String> block = new ArrayList<>();
        block.add(BEGIN + eol);
        for (Entry e : wanted(base, bootId)) {
            block.add(e.line() + eol);
        }
        block.add(END + eol);
        lines.addAll(at, block);
        return String.join("", lines);
    }

    /** {@code text} without ashmemd's block (and without a block left half-written). */
    static String unapply(String text) {
        List<String> lines = lines(text);
        List<String> out = new ArrayList<>();
        boolean inBlock = false;
        for (String l : lines) {
            String t = l.strip();
            if (t.equals(BEGIN)) {
                inBlock = true;
            } else if (inBlock && t.equals(END)) {
                inBlock = false;
            } else if (inBlock && !ours(t)) {
                inBlock = false; // the end marker is missing: the block ended with its last entry
                out.add(l);
            } else if (!inBlock) {
                out.add(l);
            }
        }
        return String.join("", out);
    }

    /** Whether the text holds ashmemd's block. */
    static boolean hasBlock(String text) {
        for (String l : lines(text)) {
            if (l.strip().equals(BEGIN)) {
                return true;
            }
        }
        return false;
    }

    /** Whether Waydroid's own lines (outside ashmemd's block) bind /dev/ashmem. */
    static boolean hasOwnDeviceEntry(String text) {
        for (String l : lines(unapply(text))) {
            Entry e = parse(l);
            if (e != null && e.source().equals(DEVICE) && e.target().equals("dev/ashmem")) {
                return true;
            }
        }
        return false;
    }

    /** Every mount entry of the text, Waydroid's and ashmemd's. */
    static List<Entry> entries(String text) {
        List<Entry> out = new ArrayList<>();
        for (String l : lines(text)) {
            Entry e = parse(l);
            if (e != null) {
                out.add(e);
            }
        }
        return out;
    }

    private static boolean ours(String stripped) {
        Entry e = parse(stripped);
        return e != null && (e.source().startsWith(DEVICE) || e.source().equals(RUNTIME_DIR));
    }

    /** An {@code lxc.mount.entry = SRC DST TYPE OPTIONS...} line, or null. */
    static Entry parse(String line) {
        String t = line.strip();
        if (!t.startsWith("lxc.mount.entry")) {
            return null;
        }
        int eq = t.indexOf('=');
        if (eq < 0 || !t.substring("lxc.mount.entry".length(), eq).isBlank()) {
            return null;
        }
        String[] f = t.substring(eq + 1).strip().split("\\s+");
        if (f.length < 3) {
            return null;
        }
        return new Entry(f[0], f[1], f.length > 3 ? f[3] : "");
    }

    private static List<String> lines(String text) {
        return IniText.linesWithEnds(text);
    }
}
