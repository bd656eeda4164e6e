package org.ashmemd.jmh;

import java.util.concurrent.TimeUnit;
import org.ashmemd.ashmem.AreaRegistry;
import org.ashmemd.broker.TokenTable;
import org.ashmemd.cuse.session.Caller;
import org.ashmemd.device.OpenFile;
import org.ashmemd.memory.MemfdBackingFactory;
import org.ashmemd.posix.ErrnoException;
import org.ashmemd.posix.Prot;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * The broker's token table: a token issued for an open file (GET_TOKEN) and redeemed by the same
 * process (the broker exchange).
 */
public class TokenTableBenchmark extends DaemonJvmBenchmark {
    private static final int O_RDWR = 2;
    /** Long enough that no token expires during a run, so the table holds what the parameter says. */
    private static final long LIFETIME_NANOS = TimeUnit.HOURS.toNanos(1);

    /**
     * Tokens issued and not yet redeemed while the pair runs: above 1,024 every issue first
     * sweeps the whole table for expired tokens.
     */
    @Param({"0", "2000"})
    public int outstanding;

    private final int pid = (int) ProcessHandle.current().pid();
    private TokenTable tokens;
    private OpenFile file;

    @Setup
    public void table() throws ErrnoException {
        tokens = new TokenTable(LIFETIME_NANOS, System::nanoTime);
        // never mapped: no memfd is created
        file = new OpenFile(new AreaRegistry(new MemfdBackingFactory(), 4096).open(), O_RDWR,
                new Caller(10050, 10050, pid), System.currentTimeMillis());
        for (int i = 0; i < outstanding; i++) {
            tokens.issue(file, pid, Prot.READ | Prot.WRITE);
        }
    }

    @Benchmark
    public TokenTable.Grant issueThenRedeem() throws ErrnoException, TokenTable.RefusedException {
        return tokens.redeem(tokens.issue(file, pid, Prot.READ | Prot.WRITE), pid);
    }
}
