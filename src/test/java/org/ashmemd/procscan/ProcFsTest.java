package org.ashmemd.procscan;

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

    @Test
    void aCallerIsLearnedFromOneReadOfEachFile() throws Exception {
        Files.createDirectories(proc.resolve("7/task/8"));
        Files.createDirectories(proc.resolve("8"));
        Files.writeString(proc.resolve("8/status"), "Name:\tworker\nTgid:\t7\nPid:\t8\n");
        Files.writeString(proc.resolve("7/comm"), "app\n");
        Files.writeString(proc.resolve("7/task/8/comm"), "worker\n");
        // a hybrid host: v2 at the root, the container in the v1 hierarchies
        Files.writeString(proc.resolve("7/cgroup"), "0::/\n1:name=systemd:/lxc.payload.box/init.scope\n");
        java.util.List<Path> reads = new java.util.ArrayList<>();
        ProcIo counting = new ProcIo() {
            @Override
            public byte[] readBytes(Path file) throws java.io.IOException {
                reads.add(proc.relativize(file));
                return ProcIo.system().readBytes(file);
            }

            @Override
            public String readLink(Path link) throws java.io.IOException {
                return ProcIo.system().readLink(link);
            }

            @Override
            public java.util.List<String> list(Path dir) throws java.io.IOException {
                return ProcIo.system().list(dir);
            }

            @Override
            public FileStat stat(Path file) throws java.io.IOException {
                return ProcIo.system().stat(file);
            }
        };
        ProcFs.Caller c = new ProcFs(proc, counting).caller(8);
        assertEquals(new ProcFs.Caller(7, "app", "worker", "/lxc.payload.box/init.scope", "box"), c);
        assertEquals(java.util.List.of(Path.of("8/status"), Path.of("7/cgroup"), Path.of("7/comm"),
                Path.of("7/task/8/comm")), reads);
        assertEquals(ProcFs.Caller.GONE, new ProcFs(proc, counting).caller(9));
    }
}
