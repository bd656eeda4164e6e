package org.ashmemd.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import org.ashmemd.cmdline.Sysexits;
import org.ashmemd.cmdline.Version;
import org.ashmemd.text.Escape;
import org.ashmemd.waydroid.Installation;
import org.ashmemd.waydroid.WaydroidLayout;
import org.ashmemd.waydroid.WaydroidSetup;
import org.ashmemd.waydroid.WaydroidTool;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** ashmemctl waydroid: switch Waydroid from memfd to ashmemd's /dev/ashmem, and back. */
@Command(name = "waydroid", mixinStandardHelpOptions = true, versionProvider = Version.Provider.class,
        description = {"Switch Waydroid from memfd to ashmemd's /dev/ashmem (enable), keep it switched across "
                + "Waydroid's own upgrades (reapply), show the switch (status), switch back (disable).",
            "Files changed: the preload library and ashmemd.rc in /var/lib/waydroid/overlay, ashmemd's entries in "
                + "/var/lib/waydroid/lxc/waydroid/config_nodes, sys.use_memfd in /var/lib/waydroid/waydroid.cfg; "
                + "their originals are kept in /var/lib/ashmemd/waydroid for disable."},
        subcommands = {WaydroidCommand.Enable.class, WaydroidCommand.Disable.class, WaydroidCommand.Status.class,
            WaydroidCommand.Reapply.class})
final class WaydroidCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    private final Installation installation;
    private final WaydroidTool tool;
    private final Clock clock;

    WaydroidCommand() {
        this(Installation.running(), WaydroidTool.fromEnvironment(), Clock.systemUTC());
    }

    /** With another installation tree and waydroid command, for tests. */
    WaydroidCommand(Installation installation, WaydroidTool tool, Clock clock) {
        this.installation = installation;
        this.tool = tool;
        this.clock = clock;
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return Sysexits.OK;
    }

    WaydroidSetup setup(RootOption root) {
        return new WaydroidSetup(new WaydroidLayout(root.root), installation, tool, clock);
    }

    /** --root, on every subcommand. */
    static final class RootOption {
        @Option(names = "--root", paramLabel = "DIR", defaultValue = "/",
                description = "Prefix every path (Waydroid's files, /dev/ashmem, /run/ashmemd, the state) with DIR, "
                        + "for a chroot or a test tree; waydroid itself is not run then (default: ${DEFAULT-VALUE}).")
        Path root;
    }

    /** What every subcommand has: its spec, the parent command and --root. */
    abstract static class Subcommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @ParentCommand
        WaydroidCommand parent;

        @Mixin
        RootOption root;

        WaydroidSetup setup() {
            return parent.setup(root);
        }

        Consumer<String> printer() {
            return WaydroidCommand.printer(spec.commandLine().getOut());
        }
    }

    static Consumer<String> printer(PrintWriter out) {
        return line -> {
            out.println(Escape.text(line));
            out.flush();
        };
    }

    @Command(name = "enable", mixinStandardHelpOptions = true, versionProvider = Version.Provider.class,
            description = {"Switch Waydroid to ashmemd. Needs ashmemd up; changes only what is not switched yet, "
                    + "runs 'waydroid upgrade -o' when waydroid is installed (else says to), and asks for a "
                    + "container restart."})
    static final class Enable extends Subcommand {
        @Option(names = "--dry-run", description = "Print each change it would make; change nothing.")
        boolean dryRun;

        @Override
        public Integer call() throws Exception {
            setup().enable(dryRun, printer());
            return Sysexits.OK;
        }
    }

    @Command(name = "disable", mixinStandardHelpOptions = true, versionProvider = Version.Provider.class,
            description = {"Switch Waydroid back: restore every file enable changed, byte for byte, and remove "
                    + "every file it created. Files Waydroid rewrote since lose only ashmemd's entries."})
    static final class Disable extends Subcommand {
        @Option(names = "--dry-run", description = "Print each change it would make; change nothing.")
        boolean dryRun;

        @Override
        public Integer call() throws Exception {
            setup().disable(dryRun, printer());
            return Sysexits.OK;
        }
    }

    @Command(name = "reapply", mixinStandardHelpOptions = true, versionProvider = Version.Provider.class,
            description = {"Put back what Waydroid's own upgrades removed (its regeneration rewrites config_nodes) "
                    + "and update the library; does nothing unless enable was run. The waydroid-container "
                    + "drop-in runs it before each container start."})
    static final class Reapply extends Subcommand {
        @Override
        public Integer call() throws Exception {
            setup().reapply(printer());
            return Sysexits.OK;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, versionProvider = Version.Provider.class,
            description = {"Show each piece of the switch, whether ashmemd is up and whether the running container "
                    + "uses its device, and what to do next. Exit status 1 when there is something to do."})
    static final class Status extends Subcommand {
        @Option(names = "--json", description = "Print JSON instead of text.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            WaydroidSetup.Status s = setup().status();
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                JsonOutput.print(out, Json.of(s));
            } else {
                print(out, s);
            }
            out.flush();
            return s.actionNeeded() ? Sysexits.FOUND : Sysexits.OK;
        }

        private static void print(PrintWriter out, WaydroidSetup.Status s) {
            Consumer<String> p = WaydroidCommand.printer(out);
            p.accept("ashmemd    " + (s.ashmemdUp() ? "up: " : "down: ") + s.ashmemdDetail());
            p.accept("switch     " + (s.enabled() ? "enabled" + (s.enabledAt() != null ? " since " + s.enabledAt() : "")
                    : "not enabled"));
            WaydroidSetup.Container c = s.container();
            String container;
            if (!c.known()) {
                container = "unknown (" + c.proc() + " lists no processes)";
            } else if (!c.running()) {
                container = "not running";
            } else {
                container = "running, " + c.processes() + " processes: " + c.usingAshmemd() + " use ashmemd, "
                        + c.usingMemfd() + " use memfds" + (c.usingKernelDriver() > 0 ? ", " + c.usingKernelDriver()
                        + " use a kernel ashmem driver" : "");
            }
            p.accept("container  " + container);
            p.accept("");
            Table t = new Table("PIECE", "OK", "STATE", "PATH");
            for (WaydroidSetup.Piece piece : s.pieces()) {
                t.row(piece.name(), piece.ok() ? "yes" : "no", piece.state(), piece.where());
            }
            t.print(out);
            p.accept("");
            if (s.advice().isEmpty()) {
                p.accept(s.enabled() ? "Waydroid uses ashmemd; nothing to do." : "Nothing to do.");
            } else {
                p.accept("Next:");
                s.advice().forEach(a -> p.accept("  " + a));
            }
        }

        /** What {@code --json} prints: the status as the user reads it, serialised as it stands. */
        record Json(Ashmemd ashmemd, boolean enabled, String enabledAt, Container container, List<Piece> pieces,
                List<String> next) {
            record Ashmemd(boolean up, String detail) {
            }

            record Container(boolean known, boolean running, int processes, int usingAshmemd, int usingMemfd,
                    int usingKernelDriver) {
            }

            record Piece(String name, boolean ok, String state, String path) {
            }

            static Json of(WaydroidSetup.Status s) {
                WaydroidSetup.Container c = s.container();
                return new Json(new Ashmemd(s.ashmemdUp(), s.ashmemdDetail()), s.enabled(), s.enabledAt(),
                        new Container(c.known(), c.running(), c.processes(), c.usingAshmemd(), c.usingMemfd(),
                                c.usingKernelDriver()),
                        s.pieces().stream().map(p -> new Piece(p.name(), p.ok(), p.state(), p.where())).toList(),
                        s.advice());
            }
        }
    }
}
