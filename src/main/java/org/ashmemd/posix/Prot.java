package org.ashmemd.posix;

/** mmap protection bits, as in {@code <sys/mman.h>}. */
public final class Prot {
    public static final int NONE = 0;
    public static final int READ = 1;
    public static final int WRITE = 2;
    public static final int EXEC = 4;
    public static final int ALL = READ | WRITE | EXEC;

    private Prot() {
    }

    /** "rwx"-style rendering, for logs and the admin tool. */
    public static String toString(long prot) {
        return ((prot & READ) != 0 ? "r" : "-")
                + ((prot & WRITE) != 0 ? "w" : "-")
                + ((prot & EXEC) != 0 ? "x" : "-");
    }
}
