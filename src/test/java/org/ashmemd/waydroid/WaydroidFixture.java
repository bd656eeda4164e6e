package org.ashmemd.waydroid;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.URISyntaxException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A Waydroid host under a temporary root (src/test/resources/waydroid-fixture, see its README),
 * with ashmemd "up" (a device file and a listening broker socket) and an ashmemd installation.
 */
public final class WaydroidFixture implements AutoCloseable {
    public static final String BOOT_ID = "6f1c2b0e-9d4a-4c1e-8a51-3b2f0e7d9c11";
    public static final byte[] LIB64 = "\u007fELF x86_64 preload library (test bytes)\n".getBytes(StandardCharsets.ISO_8859_1);
    public static final byte[] LIB32 = "\u007fELF i386 preload library (test bytes)\n".getBytes(StandardCharsets.ISO_8859_1);

    private final Path dir;
    private final Path root;
    private final Path home;
    private ServerSocketChannel broker;

    private WaydroidFixture(Path dir) {
        this.dir = dir;
        this.root = dir.resolve("root");
        this.home = dir.resolve("install");
    }

    /** A fresh fixture in {@code dir}: Waydroid initialized, ashmemd up, installation with both x86 ABIs. */
    public static WaydroidFixture create(Path dir) throws IOException {
        WaydroidFixture f = new WaydroidFixture(dir);
        copy(resource(), f.root);
        Files.createDirectories(f.root.resolve("dev"));
        Files.writeString(f.root.resolve("dev/ashmem"), "");
        Files.createDirectories(f.root.resolve("proc/sys/kernel/random"));
        Files.writeString(f.root.resolve("proc/sys/kernel/random/boot_id"), BOOT_ID + "\n");
        f.startBroker();
        Files.createDirectories(f.home.resolve("lib/native/x86_64"));
        Files.createDirectories(f.home.resolve("lib/native/i386"));
        Files.write(f.home.resolve("lib/native/x86_64/libashmemd-preload.so"), LIB64);
        Files.write(f.home.resolve("lib/native/i386/libashmemd-preload.so"), LIB32);
        Files.createDirectories(f.home.resolve("share/android"));
        Files.copy(Path.of("android/ashmemd.rc"), f.home.resolve("share/android/ashmemd.rc"));
        return f;
    }

    public Path root() {
        return root;
    }

    public Installation installation() {
        return new Installation(home);
    }

    public Path installationHome() {
        return home;
    }

    /** A system path under the root. */
    public Path path(String systemPath) {
        return root.resolve(systemPath.substring(1));
    }

    public String read(String systemPath) throws IOException {
        return Files.readString(path(systemPath), StandardCharsets.ISO_8859_1);
    }

    public void write(String systemPath, String text) throws IOException {
        Files.writeString(path(systemPath), text, StandardCharsets.ISO_8859_1);
    }

    public static String resourceText(String name) throws IOException {
        return Files.readString(resource().resolve(name), StandardCharsets.ISO_8859_1);
    }

    public void startBroker() throws IOException {
        Path sock = root.resolve("run/ashmemd/broker.sock");
        Files.createDirectories(sock.getParent());
        Files.deleteIfExists(sock);
        broker = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        broker.bind(UnixDomainSocketAddress.of(sock));
    }

    /** Closes the broker's socket, leaving the file: a crashed daemon. */
    public void stopBroker() throws IOException {
        if (broker != null) {
            broker.close();
            broker = null;
        }
    }

    /**
     * Every file under the root (the broker socket left out) with its bytes, and every directory:
     * two snapshots are equal when the trees are byte for byte the same.
     */
    public Map<String, String> snapshot() throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                String rel = "/" + root.relativize(p);
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    m.put(rel, "dir");
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    m.put(rel, Arrays.toString(Files.readAllBytes(p)));
                } else {
                    m.put(rel, "other");
                }
            }
        }
        return m;
    }

    @Override
    public void close() throws IOException {
        stopBroker();
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) all.sorted(java.util.Comparator.reverseOrder())::iterator) {
                p.toFile().setWritable(true);
                Files.delete(p);
            }
        }
    }

    private static Path resource() {
        try {
            return Path.of(WaydroidFixture.class.getResource("/waydroid-fixture").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Copies the fixture's var/ tree; ".keep" files only make Maven copy empty directories. */
    private static void copy(Path from, Path to) throws IOException {
        Path var = from.resolve("var");
        try (Stream<Path> all = Files.walk(var)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else if (!p.getFileName().toString().equals(".keep")) {
                    Files.copy(p, target);
                }
            }
        }
    }
}
