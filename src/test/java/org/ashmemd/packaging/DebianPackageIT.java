package org.ashmemd.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads the .deb that {@code mvn package} built, with Debian's own dpkg-deb: what it installs
 * where, with which modes, its control fields and maintainer scripts, the unit's ExecStart, and
 * that the installed launchers find their tree through the /usr/bin symlinks.
 */
class DebianPackageIT {
    static final Path BUILD = Path.of(System.getProperty("ashmemd.build.dir", "target"));
    static final Path BASE = Path.of(System.getProperty("ashmemd.base.dir", "."));
    static final String MAVEN_VERSION = System.getProperty("ashmemd.version", "0.1.0-SNAPSHOT");
    static final String APP = "/usr/lib/ashmemd";

    /** One line of {@code dpkg-deb -c}: mode string, owner, path, symlink target or null. */
    record Entry(String mode, String owner, String path, String linkTarget) {
        boolean isDir() {
            return mode.startsWith("d");
        }

        boolean isLink() {
            return mode.startsWith("l");
        }

        boolean isFile() {
            return mode.startsWith("-");
        }
    }

    static Path deb;
    static Map<String, Entry> entries;

    @BeforeAll
    static void readPackage() throws IOException {
        assumeTrue(onPath("dpkg-deb"),
                "dpkg-deb is not installed (Debian's dpkg package); the .deb cannot be inspected here");
        try (Stream<Path> files = Files.list(BUILD)) {
            List<Path> debs = files.filter(p -> p.getFileName().toString().matches("ashmemd_.*_amd64\\.deb"))
                    .collect(Collectors.toList());
            assertEquals(1, debs.size(), "exactly one ashmemd_*_amd64.deb in " + BUILD + ": " + debs);
            deb = debs.get(0);
        }
        entries = new LinkedHashMap<>();
        for (String line : run("dpkg-deb", "-c", deb.toString()).split("\n")) {
            // drwxr-xr-x root/root         0 2026-12-03 12:28 ./usr/lib/ashmemd/
            String[] f = line.trim().split("\\s+", 6);
            String rest = f[5];
            String target = null;
            int arrow = rest.indexOf(" -> ");
            if (arrow >= 0) {
                target = rest.substring(arrow + 4);
                rest = rest.substring(0, arrow);
            }
            String path = rest.substring(1); // "./usr/..." -> "/usr/..."
            if (path.length() > 1 && path.endsWith("/")) {
                path = path.substring(0, path.length() - 1);
            }
            entries.put(path, new Entry(f[0], f[1], path, target));
        }
    }

    @Test
    void fileNameAndControlFieldsCarryTheDebianVersion() throws IOException {
        String version = MAVEN_VERSION.replaceFirst("-", "~");
        assertEquals("ashmemd_" + version + "_amd64.deb", deb.getFileName().toString());
        assertEquals("ashmemd", field("Package"));
        assertEquals(version, field("Version"));
        assertEquals("amd64", field("Architecture"));
        assertEquals("default-jre-headless (>= 2:1.17) | java17-runtime-headless", field("Depends"));
        assertFalse(field("Maintainer").isBlank());
        assertFalse(field("Description").isBlank());
    }

    @Test
    void launchersAreLinkedFromUsrBinIntoThePrivateTree() {
        for (String tool : List.of("ashmemd", "ashmemctl")) {
            Entry link = entry("/usr/bin/" + tool);
            assertTrue(link.isLink(), link + " is a symlink");
            assertEquals("../lib/ashmemd/bin/" + tool, link.linkTarget());
            Entry script = entry(APP + "/bin/" + tool);
            assertTrue(script.isFile(), script + " is a file");
            assertEquals("-rwxr-xr-x", script.mode(), script.path());
        }
    }

    @Test
    void privateTreeIsTheDistTree() throws IOException {
        List<String> expected = new ArrayList<>(distFiles("lib", "/lib"));
        // the class-data-sharing archives are links to where postinst makes them, whether or not
        // the build made its own for target/dist
        for (String jsa : List.of(APP + "/lib/ashmemctl.jsa", APP + "/lib/ashmemd.jsa")) {
            expected.remove(jsa);
            expected.add(jsa);
        }
        expected.addAll(distFiles("share/lxc", "/share/lxc"));
        expected.addAll(distFiles("share/android", "/share/android"));
        assertTrue(expected.contains(APP + "/lib/ashmemd.jar"), "the dist tree has the jar: " + expected);
        assertTrue(expected.contains(APP + "/lib/native/x86_64/libashmemd-preload.so"));
        assertTrue(expected.contains(APP + "/lib/native/i386/libashmemd-preload.so"));
        List<String> packaged = entries.values().stream()
                .filter(e -> !e.isDir() && e.path().startsWith(APP + "/") && !e.path().startsWith(APP + "/bin/"))
                .map(Entry::path).sorted().collect(Collectors.toList());
        assertEquals(expected.stream().sorted().collect(Collectors.toList()), packaged);
        for (String path : packaged) {
            Entry e = entry(path);
            if (path.equals(APP + "/lib/ashmemctl.jsa") || path.equals(APP + "/lib/ashmemd.jsa")) {
                // the class-data-sharing archives are made by postinst for the installed JVM
                assertTrue(e.isLink(), e + " is a symlink");
                assertEquals("/var/cache/ashmemd/" + path.substring(path.lastIndexOf('/') + 1), e.linkTarget());
                continue;
            }
            boolean executable = Files.isExecutable(BUILD.resolve("dist").resolve(path.substring(APP.length() + 1)));
            String want = path.startsWith(APP + "/lib/") || !executable ? "-rw-r--r--" : "-rwxr-xr-x";
            assertEquals(want, e.mode(), path);
        }
    }

    @Test
    void systemdUdevAndModulesLoadFilesGoWhereTheirToolsLook() throws IOException {
        for (String path : List.of("/lib/systemd/system/ashmemd.service", "/lib/udev/rules.d/60-ashmemd.rules",
                "/usr/lib/modules-load.d/ashmemd.conf")) {
            assertEquals("-rw-r--r--", entry(path).mode(), path);
        }
        // every file of systemd/ is in the package: unit, drop-ins, rule
        try (Stream<Path> files = Files.walk(BASE.resolve("systemd"))) {
            for (Path f : files.filter(Files::isRegularFile).collect(Collectors.toList())) {
                String rel = BASE.resolve("systemd").relativize(f).toString();
                String dest;
                if (rel.endsWith(".rules")) {
                    dest = "/lib/udev/rules.d/" + rel;
                } else if (rel.equals("ashmemd-modules.conf")) {
                    dest = "/usr/lib/modules-load.d/ashmemd.conf";
                } else if (rel.startsWith("modules-load.d/")) {
                    dest = "/usr/lib/" + rel;
                } else {
                    dest = "/lib/systemd/system/" + rel;
                }
                assertEquals("-rw-r--r--", entry(dest).mode(), "systemd/" + rel + " installed as " + dest);
            }
        }
    }

    @Test
    void unitStartsTheInstalledLauncher(@TempDir Path root) throws IOException {
        extract(root);
        List<String> execStart = Files.readAllLines(root.resolve("lib/systemd/system/ashmemd.service")).stream()
                .filter(l -> l.startsWith("ExecStart=")).collect(Collectors.toList());
        assertEquals(1, execStart.size(), "one ExecStart: " + execStart);
        String command = execStart.get(0).substring("ExecStart=".length()).trim().split("\\s+")[0];
        assertEquals("/usr/bin/ashmemd", command);
        assertNotNull(entries.get(command), command + " is in the package");
    }

    @Test
    void docsManPagesAndCompletion(@TempDir Path root) throws IOException {
        for (String page : List.of("ashmemd", "ashmemctl")) {
            String path = "/usr/share/man/man8/" + page + ".8.gz";
            assertEquals("-rw-r--r--", entry(path).mode(), path);
        }
        assertEquals("-rw-r--r--", entry("/usr/share/bash-completion/completions/ashmemctl").mode());
        assertEquals("-rw-r--r--", entry("/usr/share/doc/ashmemd/copyright").mode());
        assertEquals("-rw-r--r--", entry("/usr/share/lintian/overrides/ashmemd").mode());
        extract(root);
        String manPage = gunzip(root.resolve("usr/share/man/man8/ashmemd.8.gz"));
        assertTrue(manPage.startsWith(".TH ") || manPage.contains("\n.TH "), "a roff man page");
        // a native package: the changelog is changelog.gz and names the package's version
        String changelog = gunzip(root.resolve("usr/share/doc/ashmemd/changelog.gz"));
        assertTrue(changelog.startsWith("ashmemd (" + field("Version") + ") "), changelog);
        String completion = Files.readString(root.resolve("usr/share/bash-completion/completions/ashmemctl"));
        assertFalse(completion.startsWith("#!"), "bash sources completions; no #! line");
        assertTrue(completion.contains("complete "), "a bash completion");
    }

    @Test
    void everythingBelongsToRootWithNoWritableGroupOrOther() {
        for (Entry e : entries.values()) {
            assertEquals("root/root", e.owner(), e.path());
            if (!e.isLink()) {
                assertEquals('-', e.mode().charAt(5), e.path() + " group-writable");
                assertEquals('-', e.mode().charAt(8), e.path() + " world-writable");
            }
        }
    }

    @Test
    void maintainerScriptsArePosixShellThatStopsOnErrors(@TempDir Path control) throws IOException {
        run("dpkg-deb", "-e", deb.toString(), control.resolve("DEBIAN").toString());
        for (String script : List.of("postinst", "prerm", "postrm")) {
            Path p = control.resolve("DEBIAN").resolve(script);
            assertTrue(Files.isExecutable(p), script + " is executable");
            List<String> lines = Files.readAllLines(p);
            assertEquals("#!/bin/sh", lines.get(0), script);
            assertTrue(lines.contains("set -e"), script + " has set -e");
            run("sh", "-n", p.toString());
        }
        String postinst = Files.readString(control.resolve("DEBIAN/postinst"));
        assertTrue(postinst.contains("deb-systemd-helper enable"), "postinst enables the unit");
        assertTrue(postinst.contains("deb-systemd-invoke start"), "postinst starts the unit");
        assertTrue(postinst.contains("[ -d /run/systemd/system ]"), "only where systemd runs");
        for (String tool : List.of("ashmemctl", "ashmemd")) {
            assertTrue(postinst.contains("\n    make_cds_archive " + tool + "-cds " + tool + "\n"),
                    "postinst makes " + tool + "'s class-data-sharing archive");
        }
        assertTrue(postinst.contains("\"/usr/lib/ashmemd/bin/$1\" \"/var/cache/ashmemd/$2.jsa\""),
                "the archives go to /var/cache/ashmemd, where the package's links point");
        int made = postinst.indexOf("\n        make_cds_archives\n");
        assertTrue(made > 0 && made < postinst.indexOf("\n        start_unit \"$@\"\n"),
                "the daemon's archive is made before the unit starts");
        assertTrue(Files.readString(control.resolve("DEBIAN/postrm")).contains("deb-systemd-helper purge"));
    }

    /** The launchers, run from the unpacked package through /usr/bin, find their jars. */
    @Test
    void installedLaunchersRunThroughTheirSymlinks(@TempDir Path root) throws IOException {
        extract(root);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String version = runWithJava(java, root.resolve("usr/bin/ashmemctl").toString(), "--version");
        assertTrue(version.contains(MAVEN_VERSION), version);
        String help = runWithJava(java, root.resolve("usr/bin/ashmemd").toString(), "--help");
        assertTrue(help.contains("--runtime-dir"), help);
    }

    @Test
    void lintianFindsNoErrorsOrWarnings() {
        assumeTrue(onPath("lintian"), "lintian is not installed; the package's lint check cannot run here");
        String out = run("lintian", "--fail-on", "none", "-E", "-I", "--pedantic", "--color", "never",
                deb.toString());
        List<String> tags = out.lines().filter(l -> l.matches("^[EWIPX]: .*")).collect(Collectors.toList());
        assertEquals(List.of(), tags, "every lintian tag is fixed or overridden with a reason");
    }

    static String field(String name) {
        return run("dpkg-deb", "-f", deb.toString(), name).strip();
    }

    static Entry entry(String path) {
        Entry e = entries.get(path);
        if (e == null) {
            fail(path + " is not in " + deb.getFileName() + " (has " + entries.keySet() + ")");
        }
        return e;
    }

    static List<String> distFiles(String sub, String under) throws IOException {
        Path dir = BUILD.resolve("dist").resolve(sub);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile)
                    .map(f -> APP + under + "/" + dir.relativize(f).toString())
                    .collect(Collectors.toList());
        }
    }

    static void extract(Path root) {
        run("dpkg-deb", "-x", deb.toString(), root.toString());
    }

    static String gunzip(Path file) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static boolean onPath(String tool) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        return Stream.of(path.split(":")).anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
    }

    static String run(String... command) {
        return exec(new ProcessBuilder(command));
    }

    static String runWithJava(String java, String... command) {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("JAVA", java);
        return exec(pb);
    }

    static String exec(ProcessBuilder pb) {
        pb.redirectErrorStream(true);
        try {
            Process p = pb.start();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            p.getInputStream().transferTo(out);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail(pb.command() + " did not finish");
            }
            String text = out.toString(StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), pb.command() + " failed:\n" + text);
            return text;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
