package org.ashmemd.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** ashmemd's SIZE options read sizes as ashmemctl's do; a bad one is a usage error (64). */
class UnitOptionsTest {
    @Test
    void sizesTakeDecimalsAndUnitsAsInAshmemctl() {
        AshmemDaemon d = new AshmemDaemon();
        new CommandLine(d).parseArgs("--max-bytes-per-uid", "1.5G", "--unpinned-soft-limit", "64 MiB",
                "--max-bytes-per-container", "4096");
        assertEquals(3L << 29, d.maxBytesPerUid);
        assertEquals(64L << 20, d.unpinnedSoftLimit);
        assertEquals(4096, d.maxBytesPerContainer);
        d = new AshmemDaemon();
        new CommandLine(d).parseArgs();
        assertEquals(16L << 30, d.maxBytesPerUid);
        assertEquals(64L << 30, d.maxBytesPerContainer);
        assertEquals(0, d.unpinnedSoftLimit);
    }

    @Test
    void aBadSizeIsAUsageError() {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new AshmemDaemon());
        cl.setErr(new PrintWriter(err));
        assertEquals(64, cl.execute("--max-bytes-per-uid", "lots"));
        assertTrue(err.toString().contains("'--max-bytes-per-uid'") && err.toString().contains(
                "'lots' is not a size (e.g. 4096, 512K, 1.5M, 16G)"), err.toString());
    }
}
