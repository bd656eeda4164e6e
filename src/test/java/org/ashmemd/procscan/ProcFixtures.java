package org.ashmemd.procscan;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** The fixture trees of src/test/resources/proc-fixtures (see its README), ready to scan. */
public final class ProcFixtures {
    /** A copied host tree: {@code proc} and {@code sys} roots and the pids of its processes. */
    public record Tree(Path root, Path proc, Path sys, int mapper, int holder, int sleeper) {
        /** No sysfs: ashmemd's device is unknown. */
        public Path noSys() {
            return root.resolve("no-sys");
        }
    }

    private ProcFixtures() {
    }

    public static Path resource(String name) {
        try {
            return Path.of(ProcFixtures.class.getResource("/proc-fixtures/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Removes a copied tree: its fd/ links point outside of it, which JUnit's own clean-up of a
     * {@code @TempDir} warns about.
     */
    public static void delete(Path dir) throws IOException {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) all.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }

    /** A /proc/PID/cgroup file of cgroup/. */
    public static String cgroupFile(String shape) throws IOException {
        return Files.readString(resource("cgroup/" + shape + ".cgroup"), StandardCharsets.UTF_8);
    }

    public static String procFile(int pid, String file) throws IOException {
        return Files.readString(resource("host/proc/" + pid + "/" + file), StandardCharsets.UTF_8);
    }

    public static int pid(String role) {
        try {
            return Integer.parseInt(Files.readString(resource("host/" + role + ".pid")).trim());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Copies host/ under {@code dir}, turning each fd.links back into fd/ symlinks. */
    public static Tree host(Path dir) throws IOException {
        Path from = resource("host");
        Path to = dir.resolve("host");
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else if (p.getFileName().toString().equals("fd.links")) {
                    Path fd = target.resolveSibling("fd");
                    Files.createDirectories(fd);
                    for (Link l : links(p)) {
                        Files.createSymbolicLink(fd.resolve(l.fd()), Path.of(l.target()));
                    }
                } else {
                    Files.copy(p, target);
                }
            }
        }
        Files.createDirectories(to.resolve("no-sys"));
        return new Tree(to, to.resolve("proc"), to.resolve("sys"), pid("mapper"), pid("holder"), pid("sleeper"));
    }

    /** One fd.links line: "N -> target", with "# char MAJ:MIN" when stat said character device. */
    public record Link(String fd, String target, DeviceNumber device) {
    }

    public static List<Link> links(Path file) throws IOException {
        return Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).map(l -> {
            int arrow = l.indexOf(" -> ");
            String rest = l.substring(arrow + 4);
            DeviceNumber dev = null;
            int hash = rest.indexOf("\t# char ");
            if (hash >= 0) {
                dev = DeviceNumber.parse(rest.substring(hash + "\t# char ".length()));
                rest = rest.substring(0, hash);
            }
            return new Link(l.substring(0, arrow), rest, dev);
        }).toList();
    }

    /**
     * The system's file operations, except stat of fds: a fixture's links point nowhere, so stat
     * answers from fd.links (character devices and their numbers) and fails for everything else,
     * as for an fd closed meanwhile (the scanner then reads the inode from fdinfo).
     */
    public static ProcIo io(Tree tree) throws IOException {
        Map<Path, DeviceNumber> devices = new HashMap<>();
        try (Stream<Path> all = Files.walk(resource("host/proc"))) {
            for (Path p : (Iterable<Path>) all.filter(x -> x.getFileName().toString().equals("fd.links"))::iterator) {
                String pid = p.getParent().getFileName().toString();
                for (Link l : links(p)) {
                    if (l.device() != null) {
                        devices.put(tree.proc().resolve(pid + "/fd/" + l.fd()), l.device());
                    }
                }
            }
        }
        ProcIo system = ProcIo.system();
        return new ProcIo() {
            @Override
            public byte[] readBytes(Path file) throws IOException {
                return system.readBytes(file);
            }

            @Override
            public String readLink(Path link) throws IOException {
                return system.readLink(link);
            }

            @Override
            public List<String> list(Path dir) throws IOException {
                return system.list(dir);
            }

            @Override
            public FileStat stat(Path file) throws IOException {
                DeviceNumber d = devices.get(file);
                if (d == null) {
                    throw new NoSuchFileException(file.toString());
                }
                long rdev = (d.minor() & 0xff) | ((long) (d.major() & 0xfff) << 8) | ((long) (d.minor() & ~0xff) << 12)
                        | ((long) (d.major() & ~0xfff) << 32);
                return new FileStat(0, rdev, true, 0);
            }
        };
    }
}
