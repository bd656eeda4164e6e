package org.ashmemd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.Callable;
import org.ashmemd.control.AdminClient;
import org.ashmemd.procscan.ProcUnavailableException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

class ExitCodesTest {
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"unavailable,69", "denied,77", "usage,64", "notfound,66", "internal,70", "protocol,70", "new,70"})
    void adminErrors(String code, int status) {
        assertEquals(status, ExitCodes.of(new AdminClient.AdminException(code, "x")));
        assertEquals(status, ExitCodes.ofAdminCode(code));
    }

    @Test
    void otherFailures() {
        assertEquals(69, ExitCodes.of(new ProcUnavailableException("no /proc", null)));
        assertEquals(77, ExitCodes.of(new AccessDeniedException("/proc/1/maps")));
        assertEquals(66, ExitCodes.of(new NoSuchFileException("/x")));
        assertEquals(74, ExitCodes.of(new IOException("disk on fire")));
        assertEquals(70, ExitCodes.of(new IllegalStateException("bug")));
        assertEquals(70, ExitCodes.ofAdminCode(null));
    }

    @Command(name = "thrower")
    static final class Thrower implements Callable<Integer> {
        @Option(names = "--code")
        String code = "unavailable";

        @Option(names = "--bug")
        boolean bug;

        @Override
        public Integer call() throws Exception {
            if (bug) {
                throw new IllegalStateException("oops");
            }
            throw new AdminClient.AdminException(code, "ashmemd is not running (no /run/ashmemd/admin.sock)");
        }
    }

    @Command(name = "ashmemctl", subcommands = Thrower.class)
    static final class Top implements Runnable {
        @Override
        public void run() {
        }
    }

    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cl = ExitCodes.install(new CommandLine(new Top()));
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        return cl.execute(args);
    }

    @Test
    void installedHandlersPrintOneLineAndPickTheStatus() {
        assertEquals(69, run("thrower"));
        assertEquals("ashmemctl thrower: ashmemd is not running (no /run/ashmemd/admin.sock)\n", err.toString());
        err.getBuffer().setLength(0);
        assertEquals(77, run("thrower", "--code", "denied"));
        err.getBuffer().setLength(0);
        assertEquals(70, run("thrower", "--bug"));
        assertEquals("ashmemctl thrower: internal error: java.lang.IllegalStateException: oops\n", err.toString());
        err.getBuffer().setLength(0);
        assertEquals(64, run("thrower", "--nope"));
        assertEquals("ashmemctl thrower: Unknown option: '--nope'\nTry 'ashmemctl thrower --help' for more information.\n",
                err.toString());
        assertEquals(64, run("nosuchcommand"));
    }
}
