package org.ashmemd.device;

import org.ashmemd.procscan.ProcFs;

/** What the device needs to know about a calling thread beyond the request header. */
public interface CallerFacts {
    /** CAP_SYS_ADMIN in the initial user namespace (PURGE_ALL_CACHES). */
    boolean hasSysAdmin(int tid);

    /** The READ_IMPLIES_EXEC personality (SET_PROT_MASK). */
    boolean readImpliesExec(int tid);

    /** The facts as the calling thread's /proc entries give them: what the daemon uses. */
    static CallerFacts fromProc(ProcFs proc) {
        return new CallerFacts() {
            @Override
            public boolean hasSysAdmin(int tid) {
                return proc.hasSysAdmin(tid);
            }

            @Override
            public boolean readImpliesExec(int tid) {
                return proc.readImpliesExec(tid);
            }
        };
    }
}
