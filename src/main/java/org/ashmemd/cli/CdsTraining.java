package org.ashmemd.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;

/**
 * The run that a class-data-sharing archive of ashmemctl is recorded from
 * ({@code -XX:ArchiveClassesAtExit}, see bin/ashmemctl-cds). Most of ashmemctl's start is
 * loading and verifying picocli, Jackson and its own classes; an archive of them made on the
 * machine that runs it takes that off every later start. One JVM records one archive, so this
 * walks the commands' common paths in-process: every command's help, a scan in both formats,
 * a daemon command whose socket is missing, and a Waydroid status of an empty root. Output is
 * discarded; the exit statuses do not matter.
 */
public final class CdsTraining {
    private CdsTraining() {}

    public static void main(String[] args) throws IOException {
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        System.setOut(quiet);
        System.setErr(quiet);
        Path empty = Files.createTempDirectory("ashmemctl-cds");
        String missingSocket = empty.resolve("admin.sock").toString();
        try {
            List<String[]> runs = List.of(
                    new String[] {"--help"},
                    new String[] {"--version"},
                    new String[] {"status", "--help"},
                    new String[] {"regions", "--help"},
                    new String[] {"scan", "--help"},
                    new String[] {"waydroid", "enable", "--help"},
                    new String[] {"status", "--socket", missingSocket},
                    new String[] {"status", "--json", "--socket", missingSocket},
                    new String[] {"regions", "--socket", missingSocket},
                    new String[] {"scan"},
                    new String[] {"scan", "--json"},
                    new String[] {"scan", "--by", "container"},
                    new String[] {"waydroid", "status", "--root", empty.toString()},
                    new String[] {"no-such-command"});
            for (String[] run : runs) {
                CommandLine cl = ExitCodes.install(new CommandLine(new AshmemCtl()));
                cl.setOut(new PrintWriter(quiet));
                cl.setErr(new PrintWriter(quiet));
                cl.execute(run);
            }
        } finally {
            Files.deleteIfExists(empty);
        }
    }
}
