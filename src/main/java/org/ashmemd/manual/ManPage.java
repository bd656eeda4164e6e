package org.ashmemd.manual;

import java.util.Locale;
import org.ashmemd.cmdline.Sysexits;
import org.ashmemd.units.ByteSize;
import org.ashmemd.units.Durations;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine;

/** Renders a picocli command tree as a troff man page, so the page always matches the code. */
public final class ManPage {
    private ManPage() {
    }

    public static String render(CommandLine cl, int section, String version) {
        CommandSpec spec = cl.getCommandSpec();
        StringBuilder b = new StringBuilder();
        String name = spec.name();
        b.append(".TH ").append(name.toUpperCase(Locale.ROOT)).append(' ').append(section)
                .append(" \"\" \"ashmemd ").append(esc(version)).append("\" \"ashmemd manual\"\n");
        b.append(".SH NAME\n").append(esc(name)).append(" \\- ").append(esc(first(spec.usageMessage().description())))
                .append('\n');
        b.append(".SH SYNOPSIS\n.nf\n").append(esc(cl.getHelp().synopsis(0).strip())).append("\n.fi\n");
        b.append(".SH DESCRIPTION\n");
        for (String line : spec.usageMessage().description()) {
            b.append(esc(line)).append("\n.br\n");
        }
        options(b, spec);
        if (!cl.getSubcommands().isEmpty()) {
            b.append(".SH COMMANDS\n");
            commands(b, cl, "");
        }
        b.append(".SH SIZES AND DURATIONS\n").append(esc(ByteSize.RULE)).append("\n.br\n")
                .append(esc(Durations.RULE)).append('\n');
        b.append(".SH EXIT STATUS\n").append(esc(exitStatus(name))).append('\n');
        b.append(".SH SEE ALSO\n").append(name.equals("ashmemd") ? "ashmemctl(8)" : "ashmemd(8)").append('\n');
        return b.toString();
    }

    /** The statuses of {@link Sysexits} that the program uses, and when. */
    private static String exitStatus(String program) {
        if (program.equals("ashmemd")) {
            return Sysexits.OK + " stopped on request (SIGTERM, SIGINT); " + Sysexits.USAGE + " usage error; "
                    + Sysexits.UNAVAILABLE + " CUSE, a socket or the device unavailable at start, or the device lost"
                    + " while serving (so that the service manager restarts it); " + Sysexits.SOFTWARE
                    + " internal error; " + Sysexits.NO_PERMISSION + " not permitted (not root).";
        }
        return Sysexits.OK + " success; " + Sysexits.FOUND + " findings (leaks) or something to do (waydroid status); "
                + Sysexits.USAGE + " usage error; " + Sysexits.NOT_FOUND + " no such region, or no Waydroid; "
                + Sysexits.UNAVAILABLE + " daemon, Waydroid or kernel facility unavailable; " + Sysexits.SOFTWARE
                + " internal error or incomplete installation; " + Sysexits.IO_ERROR + " input/output error; "
                + Sysexits.NO_PERMISSION + " permission denied.";
    }

    /** One subsection per command, nested commands ("waydroid enable") after their parent's. */
    private static void commands(StringBuilder b, CommandLine cl, String prefix) {
        for (CommandLine sub : cl.getSubcommands().values()) {
            CommandSpec s = sub.getCommandSpec();
            if (s.usageMessage().hidden() || "help".equals(s.name())) {
                continue;
            }
            b.append(".SS ").append(esc(prefix + s.name())).append('\n');
            b.append(".nf\n").append(esc(sub.getHelp().synopsis(0).strip())).append("\n.fi\n");
            for (String line : s.usageMessage().description()) {
                b.append(esc(line)).append("\n.br\n");
            }
            for (PositionalParamSpec p : s.positionalParameters()) {
                b.append(".TP\n\\fI").append(esc(p.paramLabel())).append("\\fR\n")
                        .append(esc(String.join(" ", p.description()))).append('\n');
            }
            for (OptionSpec o : s.options()) {
                option(b, o);
            }
            commands(b, sub, prefix + s.name() + " ");
        }
    }

    private static void options(StringBuilder b, CommandSpec spec) {
        if (spec.options().isEmpty()) {
            return;
        }
        b.append(".SH OPTIONS\n");
        for (OptionSpec o : spec.options()) {
            option(b, o);
        }
    }

    private static void option(StringBuilder b, OptionSpec o) {
        if (o.hidden()) {
            return;
        }
        b.append(".TP\n");
        String[] names = o.names();
        for (int i = 0; i < names.length; i++) {
            b.append(i > 0 ? ", " : "").append("\\fB").append(esc(names[i])).append("\\fR");
        }
        if (o.arity().max() > 0) {
            b.append("=\\fI").append(esc(o.paramLabel())).append("\\fR");
        }
        b.append('\n');
        String text = String.join(" ", o.description()).replace("${DEFAULT-VALUE}", String.valueOf(o.defaultValue()));
        if (o.completionCandidates() != null) {
            StringBuilder c = new StringBuilder();
            o.completionCandidates().forEach(x -> c.append(c.length() > 0 ? ", " : "").append(x));
            text = text.replace("${COMPLETION-CANDIDATES}", c.toString());
        }
        b.append(esc(text)).append('\n');
    }

    private static String first(String[] lines) {
        return lines.length == 0 ? "" : lines[0];
    }

    /** troff escaping: backslashes, hyphens, and a leading dot or quote. */
    static String esc(String s) {
        String t = s.replace("\\", "\\e").replace("-", "\\-");
        StringBuilder out = new StringBuilder();
        for (String line : t.split("\n", -1)) {
            if (out.length() > 0) {
                out.append('\n');
            }
            if (line.startsWith(".") || line.startsWith("'")) {
                out.append("\\&");
            }
            out.append(line);
        }
        return out.toString();
    }
}
