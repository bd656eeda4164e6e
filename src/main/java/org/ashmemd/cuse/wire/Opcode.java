package org.ashmemd.cuse.wire;

import java.util.HashMap;
import java.util.Map;

/**
 * The requests a CUSE server receives, each with everything the framing needs to know about it.
 * No other opcode is ever sent to a CUSE server: the kernel's character-device front end has no
 * hook that would produce one.
 */
public enum Opcode {
    /** Once per connection, right after /dev/cuse is opened. Reply: cuse_init_out + DEVNAME block. */
    CUSE_INIT(4096, CuseInitIn.SIZE, false, CuseInitOut.SIZE, true, true),
    /** Every open(2) of the device. Reply: fuse_open_out, exact. */
    OPEN(14, OpenIn.SIZE, false, OpenOut.SIZE, false, true),
    /** One chunk of a read(2). Reply: 0…size data bytes. */
    READ(15, ReadIn.SIZE, false, 0, true, true),
    /** One chunk of a write(2); the data follows fuse_write_in. Reply: fuse_write_out, exact. */
    WRITE(16, WriteIn.SIZE, true, WriteOut.SIZE, false, true),
    /** Last close of an open file description. Reply: the header alone. */
    RELEASE(18, ReleaseIn.SIZE, false, 0, false, true),
    /** A caller waiting on an earlier request got a signal. A reply is optional. */
    INTERRUPT(36, InterruptIn.SIZE, false, 0, false, false),
    /** One round of an ioctl; in data follows fuse_ioctl_in. Reply: fuse_ioctl_out + data or iovecs. */
    IOCTL(39, IoctlIn.SIZE, true, IoctlOut.SIZE, true, true),
    /** poll/select/epoll on the device. Reply: fuse_poll_out, exact. */
    POLL(40, PollIn.SIZE, false, PollOut.SIZE, false, true);

    private final int number;
    private final int requestBodySize;
    private final boolean requestHasData;
    private final int replyBodySize;
    private final boolean replyHasData;
    private final boolean replyRequired;

    Opcode(int number, int requestBodySize, boolean requestHasData, int replyBodySize, boolean replyHasData,
           boolean replyRequired) {
        this.number = number;
        this.requestBodySize = requestBodySize;
        this.requestHasData = requestHasData;
        this.replyBodySize = replyBodySize;
        this.replyHasData = replyHasData;
        this.replyRequired = replyRequired;
    }

    /** The opcode field of {@code fuse_in_header}. */
    public int number() {
        return number;
    }

    /** Size of the fixed struct that follows the 40-byte header. */
    public int requestBodySize() {
        return requestBodySize;
    }

    /** Whether variable data follows the fixed request struct (WRITE payload, IOCTL in data). */
    public boolean requestHasData() {
        return requestHasData;
    }

    /** Size of the fixed struct that follows the 16-byte reply header (0: header only). */
    public int replyBodySize() {
        return replyBodySize;
    }

    /** Whether a successful reply may carry variable data after its fixed struct. */
    public boolean replyHasData() {
        return replyHasData;
    }

    /** Whether the kernel waits for a reply (false only for INTERRUPT). */
    public boolean replyRequired() {
        return replyRequired;
    }

    /** Total size of a successful reply without variable data. */
    public int fixedReplySize() {
        return OutHeader.SIZE + replyBodySize;
    }

    /** The constant's name in the kernel headers. */
    public String kernelName() {
        return this == CUSE_INIT ? "CUSE_INIT" : "FUSE_" + name();
    }

    private static final Map<Integer, Opcode> BY_NUMBER = byNumber();

    private static Map<Integer, Opcode> byNumber() {
        Map<Integer, Opcode> m = new HashMap<>();
        for (Opcode op : values()) {
            if (m.put(op.number, op) != null) {
                throw new ExceptionInInitializerError("two opcodes numbered " + op.number);
            }
        }
        return Map.copyOf(m);
    }

    /** The opcode with this number, or null for one a CUSE server never receives. */
    public static Opcode of(int number) {
        return BY_NUMBER.get(number);
    }

    /** A name for logs for any opcode number. */
    public static String nameOf(int number) {
        Opcode op = of(number);
        return op != null ? op.name() : "opcode " + Integer.toUnsignedString(number);
    }
}
