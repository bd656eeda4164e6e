package org.ashmemd.cuse.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class OpcodeTest {

    @Test
    void numbersAndSizesMatchTheKernelHeaders() {
        // opcode, request struct, fixed reply struct (include/uapi/linux/fuse.h, offsetof-checked)
        check(Opcode.CUSE_INIT, 4096, 16, 72);
        check(Opcode.OPEN, 14, 8, 16);
        check(Opcode.READ, 15, 40, 0);
        check(Opcode.WRITE, 16, 40, 8);
        check(Opcode.RELEASE, 18, 24, 0);
        check(Opcode.INTERRUPT, 36, 8, 0);
        check(Opcode.IOCTL, 39, 32, 16);
        check(Opcode.POLL, 40, 24, 8);
        assertEquals(8, Opcode.values().length, "a CUSE server receives exactly these");
    }

    private static void check(Opcode op, int number, int requestBody, int replyBody) {
        assertEquals(number, op.number(), op.name());
        assertEquals(requestBody, op.requestBodySize(), op.name());
        assertEquals(replyBody, op.replyBodySize(), op.name());
        assertEquals(16 + replyBody, op.fixedReplySize(), op.name());
        assertSame(op, Opcode.of(number));
    }

    @Test
    void variablePartsAreWhereTheProtocolHasThem() {
        Set<Opcode> requestData = EnumSet.noneOf(Opcode.class);
        Set<Opcode> replyData = EnumSet.noneOf(Opcode.class);
        for (Opcode op : Opcode.values()) {
            if (op.requestHasData()) {
                requestData.add(op);
            }
            if (op.replyHasData()) {
                replyData.add(op);
            }
        }
        assertEquals(EnumSet.of(Opcode.WRITE, Opcode.IOCTL), requestData);
        assertEquals(EnumSet.of(Opcode.CUSE_INIT, Opcode.READ, Opcode.IOCTL), replyData);
        assertFalse(Opcode.INTERRUPT.replyRequired());
        assertTrue(Opcode.RELEASE.replyRequired());
    }

    @Test
    void unknownNumbersHaveNoOpcode() {
        Set<Integer> known = new HashSet<>();
        for (Opcode op : Opcode.values()) {
            known.add(op.number());
        }
        for (int n = -1; n < 5000; n++) {
            if (!known.contains(n)) {
                assertNull(Opcode.of(n), "opcode " + n);
            }
        }
        assertNull(Opcode.of(4096 << 8), "CUSE_INIT read with the wrong byte order");
        assertEquals("opcode 25", Opcode.nameOf(25));
        assertEquals("opcode 4294967295", Opcode.nameOf(-1));
        assertEquals("IOCTL", Opcode.nameOf(39));
        assertEquals("FUSE_IOCTL", Opcode.IOCTL.kernelName());
        assertEquals("CUSE_INIT", Opcode.CUSE_INIT.kernelName());
    }
}
