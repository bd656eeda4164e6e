package org.ashmemd.procscan;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Facts the daemon needs about other processes, read from /proc with the parsers the scanner
 * uses ({@link ProcStatus}, {@link Cgroups}, {@link ContainerNames}, {@link Comm}). The FUSE
 * request header names a calling <em>thread</em>; every method here accepts a thread id.
 */
public final class ProcFs {
    private static final int CAP_SYS_ADMIN = 21;
    private static final long READ_IMPLIES_EXEC = 0x0400000L;

    /**
     * Who a calling thread is, from one read of each file it needs: the thread's status, the
     * process's and the thread's comm, the process's cgroup.
     *
     * @param pid        its process, or -1 when it is gone
     * @param comm       the process's name ({@link Comm}), "?" when unknown
     * @param threadComm the thread's own name, "?" when unknown
     * @param cgroup     the most telling cgroup path ({@link Cgroups#primaryPath}), "" when unknown
     * @param container  the container of that cgroup file ({@link ContainerNames#of}), "" for the host
     */
    public record Caller(int pid, String comm, String threadComm, String cgroup, String container) {
        static final Caller GONE = new Caller(-1, "?", "?", "", "");
    }

    private final Path proc;
    private final ProcIo io;
    private final String ownUserNamespace;

    public ProcFs() {
        this(Path.of("/proc"));
    }

    /** A procfs at another path: tests feed fixture trees. */
    public ProcFs(Path proc) {
        this(proc, ProcIo.system());
    }

    public ProcFs(Path proc, ProcIo io) {
        this.proc = proc;
        this.io = io;
        this.ownUserNamespace = link(proc.resolve("self/ns/user"));
    }

    /** Who thread {@code tid} is; {@link Caller#GONE}'s values for what cannot be read. */
    public Caller caller(int tid) {
        ProcStatus status = status(tid);
        int pid = status == null ? -1 : status.tgid();
        if (pid <= 0) {
            return Caller.GONE;
        }
        Cgroups cgroups = cgroups(pid);
        return new Caller(pid, comm(pid), threadComm(pid, tid), cgroups.primaryPath(), ContainerNames.of(cgroups));
    }

    /**
     * Whether the thread holds CAP_SYS_ADMIN in the initial user namespace, as the kernel's
     * capable() asks: an effective capability inside a container's own user namespace does not
     * count. The daemon runs in the initial namespace, so "same namespace as the daemon" stands
     * for it.
     */
    public boolean hasSysAdmin(int tid) {
        ProcStatus status = status(tid);
        String capEff = status == null ? null : status.field("CapEff");
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
            String hex = io.read(proc.resolve(tid + "/personality")).trim();
            return (Long.parseLong(hex, 16) & READ_IMPLIES_EXEC) != 0;
        } catch (IOException | NumberFormatException e) {
            return false;
        }
    }

    /** The process (thread group) id of a thread, or -1 when it is gone. */
    public int tgid(int tid) {
        ProcStatus status = status(tid);
        return status == null ? -1 : status.tgid();
    }

    /** The name of a process ({@link Comm}), or "?" when it is gone. */
    public String comm(int pid) {
        return commFile(proc.resolve(pid + "/comm"));
    }

    /** A thread's own name ({@link Comm}), or "?" when it is gone. */
    public String threadComm(int pid, int tid) {
        return commFile(proc.resolve(pid + "/task/" + tid + "/comm"));
    }

    private String commFile(Path file) {
        try {
            return Comm.parse(io.readBytes(file));
        } catch (IOException e) {
            return "?";
        }
    }

    /** The most telling cgroup path of a process ({@link Cgroups#primaryPath}), or "" when unknown. */
    public String cgroup(int pid) {
        return cgroups(pid).primaryPath();
    }

    private Cgroups cgroups(int pid) {
        try {
            return Cgroups.parse(io.read(proc.resolve(pid + "/cgroup")));
        } catch (IOException e) {
            return new Cgroups(List.of());
        }
    }

    /** Whether a process exists. */
    public boolean alive(int pid) {
        return pid > 0 && Files.exists(proc.resolve(Integer.toString(pid)));
    }

    /** The running kernel's release, as uname -r prints it. */
    public String kernelRelease() {
        try {
            return io.read(proc.resolve("sys/kernel/osrelease")).trim();
        } catch (IOException e) {
            return "?";
        }
    }

    /** The supplementary groups of a process, from its status. */
    public int[] groups(int pid) {
        ProcStatus status = status(pid);
        return status == null ? new int[0] : status.groups().stream().mapToInt(Integer::intValue).toArray();
    }

    /** The kernel's boot id, as libcutils reads it to name /dev/ashmem&lt;boot_id&gt;. */
    public String bootId() throws IOException {
        return io.read(proc.resolve("sys/kernel/random/boot_id")).trim();
    }

    private ProcStatus status(int tid) {
        if (tid <= 0) {
            return null;
        }
        try {
            return ProcStatus.parse(io.read(proc.resolve(tid + "/status")));
        } catch (IOException e) {
            return null;
        }
    }

    private static String link(Path p) {
        try {
            return Files.readSymbolicLink(p).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }
}
