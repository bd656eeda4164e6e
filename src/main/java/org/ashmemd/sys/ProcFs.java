package org.ashmemd.sys;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.ashmemd.text.Escape;

/**
 * Facts about other processes, read from /proc. The FUSE request header names a calling
 * <em>thread</em>; every method here accepts a thread id.
 */
public final class ProcFs {
    private static final int CAP_SYS_ADMIN = 21;
    private static final long READ_IMPLIES_EXEC = 0x0400000L;

    private final Path proc;
    private final String ownUserNamespace;

    public ProcFs() {
        this(Path.of("/proc"));
    }

    /** A procfs at another path: tests feed fixture trees. */
    public ProcFs(Path proc) {
        this.proc = proc;
        this.ownUserNamespace = link(proc.resolve("self/ns/user"));
    }

    /**
     * Whether the thread holds CAP_SYS_ADMIN in the initial user namespace, as the kernel's
     * capable() asks: an effective capability inside a container's own user namespace does not
     * count. The daemon runs in the initial namespace, so "same namespace as the daemon" stands
     * for it.
     */
    public boolean hasSysAdmin(int tid) {
        if (tid <= 0) {
            return false;
        }
        String capEff = statusField(tid, "CapEff");
        if (capEff == null) {
            return false;
        }
        long caps;
        try {
            caps = Long.parseUnsignedLong(capEff.trim(), 16);
        } catch (NumberFormatException e) {
            return false;
        }
        if ((caps & (1L << CAP_SYS_ADMIN)) == 0) {
            return false;
        }
        String ns = link(proc.resolve(tid + "/ns/user"));
        return ns != null && ns.equals(ownUserNamespace);
    }

    /** Whether the thread's personality makes PROT_READ imply PROT_EXEC. */
    public boolean readImpliesExec(int tid) {
        if (tid <= 0) {
            return false;
        }
        try {
            String hex = Files.readString(proc.resolve(tid + "/personality"), StandardCharsets.US_ASCII).trim();
            return (Long.parseLong(hex, 16) & READ_IMPLIES_EXEC) != 0;
        } catch (IOException | NumberFormatException e) {
            return false;
        }
    }

    /** The process (thread group) id of a thread, or -1 when it is gone. */
    public int tgid(int tid) {
        String v = statusField(tid, "Tgid");
        if (v == null) {
            return -1;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * The short command name of a process (comm), or "?" when it is gone. A process sets its own
     * comm to any bytes: they are kept as they are (no trimming), decoded as UTF-8 with U+FFFD
     * for invalid sequences; whoever shows it escapes it.
     */
    public String comm(int pid) {
        return commFile(proc.resolve(pid + "/comm"));
    }

    /** A thread's own name (its comm), or "?" when it is gone. */
    public String threadComm(int pid, int tid) {
        return commFile(proc.resolve(pid + "/task/" + tid + "/comm"));
    }

    private static String commFile(Path file) {
        try {
            byte[] b = Files.readAllBytes(file);
            int n = b.length > 0 && b[b.length - 1] == '\n' ? b.length - 1 : b.length; // the kernel's newline
            return Escape.decode(java.util.Arrays.copyOf(b, n));
        } catch (IOException e) {
            return "?";
        }
    }

    /** The cgroup v2 path of a process ("0::/path" line), or the first v1 path, or "" when unknown. */
    public String cgroup(int pid) {
        try {
            String first = "";
            // any bytes a cgroup's creator chose: decoded with U+FFFD, never refused
            for (String line : Escape.decode(Files.readAllBytes(proc.resolve(pid + "/cgroup"))).split("\n")) {
                if (line.startsWith("0::")) {
                    return line.substring(3);
                }
                int c = line.indexOf(':', line.indexOf(':') + 1);
                if (first.isEmpty() && c > 0) {
                    first = line.substring(c + 1);
                }
            }
            return first;
        } catch (IOException e) {
            return "";
        }
    }

    /** Whether a process exists. */
    public boolean alive(int pid) {
        return pid > 0 && Files.exists(proc.resolve(Integer.toString(pid)));
    }

    /** The running kernel's release, as uname -r prints it. */
    public String kernelRelease() {
        try {
            return Files.readString(proc.resolve("sys/kernel/osrelease"), StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            return "?";
        }
    }

    /** The supplementary groups of a process, from its status. */
    public int[] groups(int pid) {
        String v = statusField(pid, "Groups");
        if (v == null || v.isBlank()) {
            return new int[0];
        }
        return java.util.Arrays.stream(v.trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
    }

    /** The kernel's boot id, as libcutils reads it to name /dev/ashmem&lt;boot_id&gt;. */
    public String bootId() throws IOException {
        return Files.readString(proc.resolve("sys/kernel/random/boot_id"), StandardCharsets.US_ASCII).trim();
    }

    private String statusField(int tid, String field) {
        if (tid <= 0) {
            return null;
        }
        try {
            // Latin-1: byte for byte, so that a Name: line that is not UTF-8 cannot hide the fields
            for (String line : Files.readAllLines(proc.resolve(tid + "/status"), StandardCharsets.ISO_8859_1)) {
                if (line.startsWith(field) && line.length() > field.length() && line.charAt(field.length()) == ':') {
                    return line.substring(field.length() + 1);
                }
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    private static String link(Path p) {
        try {
            return Files.readSymbolicLink(p).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }
}
