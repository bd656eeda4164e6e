package org.ashmemd.manual;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.ashmemd.cli.AshmemCtl;
import org.ashmemd.cmdline.Version;
import org.ashmemd.daemon.AshmemDaemon;
import picocli.AutoComplete;
import picocli.CommandLine;

/**
 * Writes the man pages and the bash completion from the command definitions; the build runs it
 * into target/dist/share.
 */
public final class DocGenerator {
    private DocGenerator() {
    }

    public static void main(String[] args) throws IOException {
        Path share = Path.of(args.length > 0 ? args[0] : "target/dist/share");
        String version = args.length > 1 ? args[1] : Version.get();
        Path man8 = share.resolve("man/man8");
        Files.createDirectories(man8);
        CommandLine ctl = new CommandLine(new AshmemCtl());
        CommandLine daemon = new CommandLine(new AshmemDaemon());
        Files.writeString(man8.resolve("ashmemctl.8"), ManPage.render(ctl, 8, version), StandardCharsets.UTF_8);
        Files.writeString(man8.resolve("ashmemd.8"), ManPage.render(daemon, 8, version), StandardCharsets.UTF_8);
        Path completions = share.resolve("bash-completion/completions");
        Files.createDirectories(completions);
        Files.writeString(completions.resolve("ashmemctl"), AutoComplete.bash("ashmemctl", ctl), StandardCharsets.UTF_8);
    }
}
