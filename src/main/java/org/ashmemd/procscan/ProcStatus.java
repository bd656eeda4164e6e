package org.ashmemd.procscan;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * /proc/PID/status, the fields the scanner uses typed and the rest as text.
 *
 * @param name  the command name (comm), with the kernel's escapes
 * @param uids  real, effective, saved and filesystem uid
 * @param nsPids the pid in each pid namespace, outermost first: the last is the pid a container sees
 */
public record ProcStatus(String name, char state, int tgid, int pid, int ppid, List<Integer> uids, List<Integer> gids,
        List<Integer> nsPids, int threads, Map<String, String> fields) {
    public ProcStatus {
        uids = List.copyOf(uids);
        gids = List.copyOf(gids);
        nsPids = List.copyOf(nsPids);
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    /** The real uid, or -1 when unknown. */
    public int uid() {
        return uids.isEmpty() ? -1 : uids.get(0);
    }

    /** The supplementary groups ("Groups:"), empty when none or unknown. */
    public List<Integer> groups() {
        return numbers(fields.get("Groups"));
    }

    /** A field as written, after "Key:" and its tab, or null. */
    public String field(String key) {
        return fields.get(key);
    }

    /** A "N kB" field in bytes, or -1. */
    public long bytes(String key) {
        String v = fields.get(key);
        if (v == null) {
            return -1;
        }
        v = v.trim();
        long m = 1;
        if (v.endsWith(" kB")) {
            v = v.substring(0, v.length() - 3).trim();
            m = 1024;
        }
        try {
            return Long.parseLong(v) * m;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    public static ProcStatus parse(String text) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int c = line.indexOf(':');
            if (c > 0) {
                String v = line.substring(c + 1);
                fields.put(line.substring(0, c), v.startsWith("\t") ? v.substring(1) : v.trim());
            }
        }
        String state = fields.getOrDefault("State", "?").trim();
        return new ProcStatus(fields.getOrDefault("Name", "?"), state.isEmpty() ? '?' : state.charAt(0),
                number(fields.get("Tgid")), number(fields.get("Pid")), number(fields.get("PPid")),
                numbers(fields.get("Uid")), numbers(fields.get("Gid")), numbers(fields.get("NSpid")),
                number(fields.get("Threads")), fields);
    }

    private static int number(String v) {
        if (v == null) {
            return -1;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static List<Integer> numbers(String v) {
        List<Integer> out = new ArrayList<>();
        if (v == null) {
            return out;
        }
        for (String s : v.trim().split("\\s+")) {
            if (!s.isEmpty()) {
                try {
                    out.add(Integer.parseInt(s));
                } catch (NumberFormatException e) {
                    return out;
                }
            }
        }
        return out;
    }
}
