package org.ashmemd.procscan;

import java.util.ArrayList;
import java.util.List;

/** /proc/PID/cgroup: one "ID:controllers:path" line per hierarchy; "0::path" is cgroup v2. */
public record Cgroups(List<Entry> entries) {
    /** One hierarchy; {@code controllers} is empty for v2, and holds "name=systemd" for named v1 ones. */
    public record Entry(int hierarchy, List<String> controllers, String path) {
        public Entry {
            controllers = List.copyOf(controllers);
        }

        public boolean unified() {
            return hierarchy == 0 && controllers.isEmpty();
        }
    }

    public Cgroups {
        entries = List.copyOf(entries);
    }

    public static Cgroups parse(String text) {
        List<Entry> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            int a = line.indexOf(':');
            int b = a < 0 ? -1 : line.indexOf(':', a + 1);
            if (b < 0) {
                continue;
            }
            try {
                int id = Integer.parseInt(line.substring(0, a));
                String list = line.substring(a + 1, b);
                out.add(new Entry(id, list.isEmpty() ? List.of() : List.of(list.split(",")), line.substring(b + 1)));
            } catch (NumberFormatException e) {
                // not a hierarchy line
            }
        }
        return new Cgroups(out);
    }

    /** The v2 path, or null on a v1-only host. */
    public String unifiedPath() {
        for (Entry e : entries) {
            if (e.unified()) {
                return e.path();
            }
        }
        return null;
    }

    /** The path in the hierarchy holding {@code controller} ("memory", "name=systemd"), or null. */
    public String path(String controller) {
        for (Entry e : entries) {
            if (e.controllers().contains(controller)) {
                return e.path();
            }
        }
        return null;
    }

    /**
     * The paths to read a container from, best first: v2, then systemd's v1 hierarchy, then the
     * others as listed. A hybrid host may leave v2 at "/" while v1 controllers carry the container.
     */
    public List<String> pathsByPreference() {
        List<String> out = new ArrayList<>();
        String unified = unifiedPath();
        if (unified != null) {
            out.add(unified);
        }
        String systemd = path("name=systemd");
        if (systemd != null) {
            out.add(systemd);
        }
        for (Entry e : entries) {
            if (!e.unified() && !e.controllers().contains("name=systemd")) {
                out.add(e.path());
            }
        }
        return out;
    }

    /** The most telling single path: the first that is not the root, or "/" (or "" with no lines). */
    public String primaryPath() {
        List<String> paths = pathsByPreference();
        for (String p : paths) {
            if (!p.equals("/") && !p.isEmpty()) {
                return p;
            }
        }
        return paths.isEmpty() ? "" : paths.get(0);
    }
}
