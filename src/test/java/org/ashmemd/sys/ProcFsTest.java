package org.ashmemd.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.ashmemd.text.HostileBytes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What processes choose about themselves (comm, cgroup names) is read as it is, never refused. */
class ProcFsTest {
    @TempDir
    Path proc;

    static byte[] bytes(Object... parts) {
        return HostileBytes.of(parts);
    }

    @Test
    void hostileCommIsKeptExactlyAndInvalidUtf8Replaced() throws Exception {
        Files.createDirectories(proc.resolve("7/task/8"));
        Files.write(proc.resolve("7/comm"), bytes(" \u001b[31m\r\n", 0xff, "x \n"));
        Files.write(proc.resolve("7/task/8/comm"), bytes("\u001b", 0xc3, "\n"));
        ProcFs fs = new ProcFs(proc);
        assertEquals(" \u001b[31m\r\n\ufffdx ", fs.comm(7), "only the kernel's newline is taken off");
        assertEquals("\u001b\ufffd", fs.threadComm(7, 8));
        assertEquals("?", fs.comm(9));
    }

    @Test
    void aStatusNameThatIsNotUtf8DoesNotHideTheProcess() throws Exception {
        Files.createDirectories(proc.resolve("7"));
        Files.write(proc.resolve("7/status"), bytes("Name:\t\\e[31m", 0xff, 0xfe, "\nTgid:\t7\nGroups:\t4 27\n"));
        ProcFs fs = new ProcFs(proc);
        assertEquals(7, fs.tgid(7));
        assertEquals(2, fs.groups(7).length);
    }

    @Test
    void cgroupPathsThatAreNotUtf8AreReadAnyway() throws Exception {
        Files.createDirectories(proc.resolve("7"));
        Files.write(proc.resolve("7/cgroup"), bytes("0::/lxc.payload.box/", 0xff, "\u001b\n"));
        assertEquals("/lxc.payload.box/\ufffd\u001b", new ProcFs(proc).cgroup(7));
    }
}
