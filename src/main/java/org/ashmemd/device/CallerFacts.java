package org.ashmemd.device;

/** What the device needs to know about a calling thread beyond the request header. */
public interface CallerFacts {
    /** CAP_SYS_ADMIN in the initial user namespace (PURGE_ALL_CACHES). */
    boolean hasSysAdmin(int tid);

    /** The READ_IMPLIES_EXEC personality (SET_PROT_MASK). */
    boolean readImpliesExec(int tid);
}
