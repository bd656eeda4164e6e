package org.ashmemd.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import org.ashmemd.control.AdminClient;
import org.ashmemd.procscan.ProcUnavailableException;
import org.ashmemd.text.Escape;
import org.ashmemd.waydroid.WaydroidException;
import picocli.CommandLine;

/**
 * ashmemctl's exit statuses (sysexits.h where one fits) and the one place where a failure becomes
 * one: every command just throws, {@link #install} prints one line and picks the status.
 */
public final class ExitCodes {
    public static final int OK = 0;
    /** The command ran and found what it looks for (leaks). */
    public static final int FOUND = 1;
    public static final int USAGE = 64;
    public static final int NOT_FOUND = 66;
    public static final int UNAVAILABLE = 69;
    public static final int SOFTWARE = 70;
    public static final int IO_ERROR = 74;
    public static final int NO_PERMISSION = 77;

    private ExitCodes() {
    }

    /** The status for a failure. */
    public static int of(Throwable e) {
        if (e instanceof AdminClient.AdminException) {
            return ofAdminCode(((AdminClient.AdminException) e).code());
        }
        if (e instanceof CommandLine.ParameterException) {
            return USAGE;
        }
        if (e instanceof WaydroidException) {
            switch (((WaydroidException) e).reason()) {
                case NO_WAYDROID:
                    return NOT_FOUND;
                case INCOMPLETE_INSTALLATION:
                    return SOFTWARE;
                default:
                    return UNAVAILABLE;
            }
        }
        if (e instanceof ProcUnavailableException) {
            return UNAVAILABLE;
        }
        if (e instanceof AccessDeniedException) {
            return NO_PERMISSION;
        }
        if (e instanceof NoSuchFileException) {
            return NOT_FOUND;
        }
        if (e instanceof IOException) {
            return IO_ERROR;
        }
        return SOFTWARE;
    }

    /** The status for an admin protocol error code (see {@link AdminClient.AdminException#code()}). */
    public static int ofAdminCode(String code) {
        switch (code == null ? "" : code) {
            case "unavailable":
                return UNAVAILABLE;
            case "denied":
                return NO_PERMISSION;
            case "usage":
                return USAGE;
            case "notfound":
                return NOT_FOUND;
            default:
                return SOFTWARE;
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
            return USAGE;
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
