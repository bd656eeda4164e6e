package org.ashmemd.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicLong;
import org.ashmemd.ashmem.AreaRegistry;
import org.ashmemd.cuse.session.Caller;
import org.ashmemd.device.OpenFile;
import org.ashmemd.memory.MemfdBackingFactory;
import org.ashmemd.posix.Errno;
import org.ashmemd.posix.ErrnoException;
import org.ashmemd.posix.Prot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TokenTableTest {
    private static final long LIFETIME = 30_000_000_000L;
    private static final int PID = 4242;
    private static final int O_RDWR = 2;

    private final AtomicLong now = new AtomicLong(1_000);
    private final TokenTable tokens = new TokenTable(LIFETIME, now::get);
    private final AreaRegistry registry = new AreaRegistry(new MemfdBackingFactory(), 4096);
    private final OpenFile file = new OpenFile(registry.open(), O_RDWR, new Caller(0, 0, PID), 0);

    @AfterEach
    void release() {
        registry.release(file.area());
    }

    @Test
    void aTokenIsRedeemedOnceByItsProcess() throws Exception {
        int t = tokens.issue(file, PID, Prot.READ);
        assertNotEquals(0, t);
        TokenTable.Grant g = tokens.redeem(t, PID);
        assertSame(file, g.file());
        assertEquals(Prot.READ, g.prot());
        assertEquals(TokenTable.Refusal.REPLAYED,
                assertThrows(TokenTable.RefusedException.class, () -> tokens.redeem(t, PID)).refusal());
        int other = tokens.issue(file, PID, Prot.READ);
        assertEquals(TokenTable.Refusal.WRONG_PROCESS,
                assertThrows(TokenTable.RefusedException.class, () -> tokens.redeem(other, PID + 1)).refusal());
    }

    @Test
    void anExpiredTokenIsRefused() throws Exception {
        int t = tokens.issue(file, PID, Prot.READ);
        now.addAndGet(LIFETIME + 1);
        assertEquals(TokenTable.Refusal.EXPIRED,
                assertThrows(TokenTable.RefusedException.class, () -> tokens.redeem(t, PID)).refusal());
    }

    @Test
    void expiredTokensAreSweptOnceTheTableHasGrown() throws Exception {
        for (int i = 0; i < 1_025; i++) {
            tokens.issue(file, PID, Prot.READ);
        }
        now.addAndGet(LIFETIME / 2);
        int younger = tokens.issue(file, PID, Prot.READ);
        now.addAndGet(LIFETIME / 2 + 1);
        tokens.issue(file, PID, Prot.READ); // sweeps the first 1,025, keeps the younger one
        assertEquals(2, tokens.outstanding());
        assertSame(file, tokens.redeem(younger, PID).file());
    }

    @Test
    void aSweepWaitsForTheTableToDoubleSinceTheLastOne() throws Exception {
        now.addAndGet(LIFETIME / 2);
        issue(1_025); // expire at 1.5 lifetimes
        now.addAndGet(LIFETIME / 2 + 1);
        issue(1); // a sweep: one could have expired, none has; the next waits for 2,050
        now.addAndGet(LIFETIME / 2);
        issue(1); // the first 1,025 have expired, but 1,026 is not above 2,050
        assertEquals(1_027, tokens.outstanding());
        issue(1_024);
        assertEquals(2_051, tokens.outstanding());
        issue(1); // above 2,050: the sweep takes the 1,025 expired ones
        assertEquals(1_027, tokens.outstanding());
    }

    private void issue(int n) throws ErrnoException {
        for (int i = 0; i < n; i++) {
            tokens.issue(file, PID, Prot.READ);
        }
    }

    @Test
    void theCapCountsOnlyLiveTokensAndRefusesWithEagain() throws Exception {
        for (int i = 0; i < TokenTable.MAX_OUTSTANDING; i++) {
            tokens.issue(file, PID, Prot.READ);
        }
        ErrnoException full = assertThrows(ErrnoException.class, () -> tokens.issue(file, PID, Prot.READ));
        assertEquals(Errno.EAGAIN.number(), full.errno());
        now.addAndGet(LIFETIME + 1);
        tokens.issue(file, PID, Prot.READ); // every earlier one expired: swept, room again
        assertEquals(1, tokens.outstanding());
    }

    @Test
    void aRevokedFilesTokensGo() throws Exception {
        int t = tokens.issue(file, PID, Prot.READ);
        tokens.revoke(file);
        assertEquals(0, tokens.outstanding());
        assertEquals(TokenTable.Refusal.UNKNOWN,
                assertThrows(TokenTable.RefusedException.class, () -> tokens.redeem(t, PID)).refusal());
        int fresh = tokens.issue(file, PID, Prot.READ);
        assertEquals(1, tokens.outstanding());
        assertSame(file, tokens.redeem(fresh, PID).file());
    }
}
