package org.ashmemd.restart;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.ashmemd.posix.Errno;
import org.ashmemd.posix.ErrnoException;
import org.ashmemd.sys.Descriptors;

/**
 * An fd store for tests that keeps a duplicate of each descriptor by name, as systemd does, and
 * counts the messages it was sent; it refuses the names {@link #refusing} matches.
 */
final class KeepingStore implements FdStore {
    final Map<String, List<Integer>> fds = new TreeMap<>();
    int messages;
    int refused;
    Predicate<String> refusing = name -> false;

    @Override
    public void store(String name, int fd) throws ErrnoException {
        messages++;
        if (refusing.test(name)) {
            refused++;
            throw new ErrnoException(Errno.EAGAIN, "store refuses " + name);
        }
        fds.computeIfAbsent(name, n -> new ArrayList<>()).add(Descriptors.duplicate(fd));
    }

    @Override
    public void remove(String name) {
        messages++;
        List<Integer> gone = fds.remove(name);
        if (gone != null) {
            gone.forEach(Descriptors::close);
        }
    }

    Set<String> names(String prefix) {
        Set<String> s = new TreeSet<>();
        fds.keySet().stream().filter(n -> n.startsWith(prefix)).forEach(s::add);
        return s;
    }

    /** What a next daemon would be handed: a duplicate of every stored descriptor, by name. */
    HandedOverFds handOver() throws ErrnoException {
        Map<String, List<Integer>> copy = new LinkedHashMap<>();
        for (Map.Entry<String, List<Integer>> e : fds.entrySet()) {
            List<Integer> dup = new ArrayList<>();
            for (int fd : e.getValue()) {
                dup.add(Descriptors.duplicate(fd));
            }
            copy.put(e.getKey(), dup);
        }
        return HandedOverFds.of(copy);
    }

    void closeAll() {
        fds.values().forEach(l -> l.forEach(Descriptors::close));
    }
}
