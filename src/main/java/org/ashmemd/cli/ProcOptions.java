package org.ashmemd.cli;

import java.nio.file.Path;
import org.ashmemd.procscan.AshmemClassifier;
import org.ashmemd.procscan.ProcScanner;
import picocli.CommandLine.Option;

/** Options of the commands that read /proc. */
final class ProcOptions {
    @Option(names = "--device", paramLabel = "NAME", defaultValue = AshmemClassifier.DEFAULT_DEVICE,
            description = "ashmemd's device name, as given to ashmemd --device (default: ${DEFAULT-VALUE}); "
                    + "fds to /dev/NAME count as ashmemd's when its numbers match /sys/class/cuse/NAME/dev.")
    String device;

    @Option(names = "--proc", paramLabel = "DIR", defaultValue = "/proc", hidden = true,
            description = "Where procfs is mounted (default: ${DEFAULT-VALUE}).")
    Path proc;

    @Option(names = "--sys", paramLabel = "DIR", defaultValue = "/sys", hidden = true,
            description = "Where sysfs is mounted (default: ${DEFAULT-VALUE}).")
    Path sys;

    ProcScanner scanner() {
        return ProcScanner.rooted(proc, sys, device);
    }
}
