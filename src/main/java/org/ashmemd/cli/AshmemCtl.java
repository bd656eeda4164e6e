package org.ashmemd.cli;

import java.util.concurrent.Callable;
import org.ashmemd.cmdline.Version;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** ashmemctl: inspect and steer a running ashmemd. */
@Command(name = "ashmemctl", mixinStandardHelpOptions = true, versionProvider = Version.Provider.class,
        description = "Inspect and control ashmemd, the user-space /dev/ashmem.",
        subcommands = {StatusCommand.class, ListRegionsCommand.class, ShowRegionCommand.class, PurgeCommand.class,
            TopCommand.class, ScanCommand.class, LeaksCommand.class, WaydroidCommand.class, CommandLine.HelpCommand.class})
public final class AshmemCtl implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    public static void main(String[] args) {
        System.exit(ExitCodes.install(new CommandLine(new AshmemCtl())).execute(args));
    }
}
