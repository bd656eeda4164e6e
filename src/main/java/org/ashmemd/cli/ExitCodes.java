package org.ashmemd.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import org.ashmemd.cmdline.Sysexits;
import org.ashmemd.control.AdminClient;
import org.ashmemd.procscan.ProcUnavailableException;
import org.ashmemd.text.Escape;
import org.ashmemd.waydroid.WaydroidException;
import picocli.CommandLine;

/**
 * The one place where a failure of ashmemctl becomes an exit status of {@link Sysexits}: every
 * command just throws, {@link #install} prints one line and picks the status.
 */
public final class ExitCodes {
    private ExitCodes() {
    }

    /** The status for a failure. */
    public static int of(Throwable e) {
        if (e instanceof AdminClient.AdminException) {
            return ofAdminCode(((AdminClient.AdminException) e).code());
        }
        if (e instanceof CommandLine.ParameterException) {
            return Sysexits.USAGE;
        }
        if (e instanceof WaydroidException) {
            switch (((WaydroidException) e).reason()) {
                case NO_WAYDROID:
                    return Sysexits.NOT_FOUND;
                case INCOMPLETE_INSTALLATION:
                    return Sysexits.SOFTWARE;
                default:
                    return Sysexits.UNAVAILABLE;
            }
        }
        if (e instanceof ProcUnavailableException) {
            return Sysexits.UNAVAILABLE;
        }
        if (e instanceof AccessDeniedException) {
            return Sysexits.NO_PERMISSION;
        }
        if (e instanceof NoSuchFileException) {
            return Sysexits.NOT_FOUND;
        }
        if (e instanceof IOException) {
            return Sysexits.IO_ERROR;
        }
        return Sysexits.SOFTWARE;
    }

    /** The status for an admin protocol error code (see {@link AdminClient.AdminException#code()}). */
    public static int ofAdminCode(String code) {
        switch (code == null ? "" : code) {
            case "unavailable":
                return Sysexits.UNAVAILABLE;
            case "denied":
                return Sysexits.NO_PERMISSION;
            case "usage":
                return Sysexits.USAGE;
            case "notfound":
                return Sysexits.NOT_FOUND;
            default:
                return Sysexits.SOFTWARE;
        }
    }

    /**
     * Makes {@code cl} (and every subcommand) report a failure as one line on stderr,
     * "ashmemctl CMD: message", and exit with {@link #of}; usage errors add a hint and exit 64.
     */
    public static CommandLine install(CommandLine cl) {
        cl.setExecutionExceptionHandler((e, cmd, parseResult) -> {
            PrintWriter err = cmd.getErr();
            err.println(cmd.getCommandSpec().qualifiedName() + ": " + Escape.text(message(e)));
            err.flush();
            return of(e);
        });
        cl.setParameterExceptionHandler((e, args) -> {
            CommandLine cmd = e.getCommandLine();
            PrintWriter err = cmd.getErr();
            err.println(cmd.getCommandSpec().qualifiedName() + ": " + Escape.text(e.getMessage()));
            err.println("Try '" + helpCommand(cmd) + "' for more information.");
            err.flush();
            return Sysexits.USAGE;
        });
        return cl;
    }

    /** "CMD --help" where the command has it, else "ashmemctl help CMD". */
    private static String helpCommand(CommandLine cmd) {
        CommandLine.Model.CommandSpec spec = cmd.getCommandSpec();
        if (spec.optionsMap().containsKey("--help") || spec.parent() == null) {
            return spec.qualifiedName() + " --help";
        }
        CommandLine.Model.CommandSpec root = spec.root();
        if (root.subcommands().containsKey("help")) {
            return root.name() + " help " + spec.qualifiedName().substring(root.name().length()).trim();
        }
        return spec.qualifiedName() + " --help";
    }

    private static String message(Throwable e) {
        if (e instanceof AdminClient.AdminException || e instanceof ProcUnavailableException
                || e instanceof WaydroidException) {
            return e.getMessage();
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied: " + e.getMessage();
        }
        if (e instanceof NoSuchFileException) {
            return "no such file: " + e.getMessage();
        }
        if (e instanceof IOException) {
            return e.getMessage() == null ? e.toString() : e.getMessage();
        }
        return "internal error: " + e; // a bug: name the exception, the user can report it
    }
}
