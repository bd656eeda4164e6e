package org.ashmemd.waydroid;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The ashmemd tree this program runs from ({@code /usr/lib/ashmemd} when installed,
 * {@code target/dist} after a build): {@code lib/*.jar}, {@code lib/native/<arch>/}, {@code share/}.
 */
public record Installation(Path home) {
    /** The tree of the running code: the parent of the {@code lib/} holding its jar. */
    public static Installation running() {
        String override = System.getProperty("ashmemd.home");
        if (override != null && !override.isEmpty()) {
            return new Installation(Path.of(override));
        }
        try {
            Path code = Path.of(Installation.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path dir = Files.isDirectory(code) ? code : code.getParent();
            if (dir.getFileName() != null && dir.getFileName().toString().equals("lib")) {
                return new Installation(dir.getParent());
            }
            // classes/ of a build tree: the distribution is built next to it
            Path dist = dir.resolveSibling("dist");
            return new Installation(Files.isDirectory(dist) ? dist : dir.getParent());
        } catch (URISyntaxException | RuntimeException e) {
            return new Installation(Path.of("/usr/lib/ashmemd"));
        }
    }

    public Path library(Abi abi) {
        return home.resolve("lib/native").resolve(abi.arch()).resolve(Abi.LIBRARY);
    }

    public Optional<Path> libraryIfPresent(Abi abi) {
        Path p = library(abi);
        return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
    }

    public Path initScript() {
        return home.resolve("share/android/ashmemd.rc");
    }
}
