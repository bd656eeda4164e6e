package org.ashmemd.cli;

import java.nio.file.Path;
import org.ashmemd.control.AdminClient;
import picocli.CommandLine.Option;

/** Options of every command that talks to the daemon. */
final class AdminOptions {
    @Option(names = "--socket", paramLabel = "PATH", defaultValue = "/run/ashmemd/admin.sock",
            description = "The daemon's admin socket (default: ${DEFAULT-VALUE}).")
    Path socket;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    AdminClient client() {
        return new AdminClient(socket);
    }
}
