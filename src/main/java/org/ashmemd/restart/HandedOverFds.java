package org.ashmemd.restart;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The descriptors a previous daemon parked, as the store passes them to the next one: from fd 3
 * on, {@code $LISTEN_FDS} of them, named by {@code $LISTEN_FDNAMES} (colon-separated), meant for
 * the process {@code $LISTEN_PID}.
 */
public final class HandedOverFds {
    public static final int FIRST_FD = 3;

    private final Map<String, List<Integer>> byName;

    private HandedOverFds(Map<String, List<Integer>> byName) {
        this.byName = byName;
    }

    /** Descriptors by name, in the order each name holds them. */
    static HandedOverFds of(Map<String, List<Integer>> byName) {
        return new HandedOverFds(new LinkedHashMap<>(byName));
    }

    public static HandedOverFds none() {
        return new HandedOverFds(new LinkedHashMap<>());
    }

    /**
     * Reads the environment the way {@code sd_listen_fds_with_names} does: nothing when
     * {@code $LISTEN_PID} names another process or a variable is missing.
     *
     * @throws IllegalArgumentException for malformed values meant for this process
     */
    public static HandedOverFds fromEnvironment(Map<String, String> env, long ownPid) {
        String pid = env.get("LISTEN_PID");
        String count = env.get("LISTEN_FDS");
        if (pid == null || count == null) {
            return none();
        }
        try {
            if (Long.parseLong(pid.trim()) != ownPid) {
                return none();
            }
        } catch (NumberFormatException e) {
            return none();
        }
        int n;
        try {
            n = Integer.parseInt(count.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("$LISTEN_FDS is not a number: " + count);
        }
        if (n < 0 || n > 16 * 1024 * 1024) {
            throw new IllegalArgumentException("$LISTEN_FDS out of range: " + n);
        }
        String names = env.getOrDefault("LISTEN_FDNAMES", "");
        String[] parts = names.isEmpty() ? new String[0] : names.split(":", -1);
        Map<String, List<Integer>> map = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            String name = i < parts.length ? parts[i] : "unknown";
            map.computeIfAbsent(name, k -> new ArrayList<>()).add(FIRST_FD + i);
        }
        return new HandedOverFds(map);
    }

    /** Every descriptor under {@code name}, in the order passed. */
    public List<Integer> get(String name) {
        return byName.getOrDefault(name, List.of());
    }

    public Map<String, List<Integer>> all() {
        return byName;
    }

    public boolean isEmpty() {
        return byName.isEmpty();
    }

    public int count() {
        return byName.values().stream().mapToInt(List::size).sum();
    }
}
