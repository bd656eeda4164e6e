package org.ashmemd.waydroid;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The {@code waydroid} command, found on a search path. Only the live system's Waydroid is run:
 * under another root its configuration is not the one {@code waydroid} would regenerate, unless
 * {@code evenUnderRoot} says otherwise (a test's stand-in).
 */
public record WaydroidTool(String searchPath, boolean evenUnderRoot) {
    public static WaydroidTool fromEnvironment() {
        String path = System.getenv("PATH");
        return new WaydroidTool(path == null ? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" : path,
                false);
    }

    /** The first executable {@code waydroid} on the search path. */
    public Optional<Path> find() {
        for (String dir : searchPath.split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, "waydroid");
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** Runs it with {@code args}, each output line (stdout and stderr) to {@code out}; its exit status. */
    public int run(Path exe, List<String> args, Consumer<String> out) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(exe.toString());
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.PIPE).start();
        p.getOutputStream().close();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null;) {
                out.accept(line);
            }
        }
        try {
            return p.waitFor();
        } catch (InterruptedException e) {
            p.destroy();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for " + exe, e);
        }
    }
}
