package org.ashmemd.cuse.session;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Optional;
import org.ashmemd.cuse.wire.CuseDevInfo;
import org.ashmemd.cuse.wire.CuseInitIn;
import org.ashmemd.cuse.wire.CuseInitOut;
import org.ashmemd.cuse.wire.FuseProtocol;
import org.ashmemd.cuse.wire.InHeader;
import org.ashmemd.cuse.wire.InterruptIn;
import org.ashmemd.cuse.wire.IoctlIn;
import org.ashmemd.cuse.wire.IoctlOut;
import org.ashmemd.cuse.wire.Opcode;
import org.ashmemd.cuse.wire.OpenIn;
import org.ashmemd.cuse.wire.OutHeader;
import org.ashmemd.cuse.wire.PollIn;
import org.ashmemd.cuse.wire.ReadIn;
import org.ashmemd.cuse.wire.ReleaseIn;
import org.ashmemd.cuse.wire.Replies;
import org.ashmemd.cuse.wire.WriteIn;
import org.ashmemd.posix.Errno;
import org.ashmemd.posix.ErrnoException;
import org.ashmemd.posix.IoctlNumber;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server side of one CUSE connection, without I/O: takes one request frame as read from
 * /dev/cuse, calls the {@link CharDevice}, and builds the one reply frame to write back.
 *
 * <p>Nothing a client or the kernel sends makes {@link #handle} throw: device errors become
 * error replies, device bugs become EIO, malformed frames become EIO (or no reply when their id
 * cannot be read). Thread-safe: any number of reader threads may call {@link #handle}
 * concurrently, each with its own buffers.
 */
public final class CuseSession {
    private static final Logger log = LoggerFactory.getLogger(CuseSession.class);
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    /**
     * The data of an ioctl that brought none (GET_SIZE, SET_SIZE, GET_TOKEN, the first round of
     * those that fetch their argument): shared, as nothing can be read from or written to it.
     */
    private static final ByteBuffer NO_DATA = ByteBuffer.allocate(0).asReadOnlyBuffer().order(NATIVE);
    private static final int EIO = Errno.EIO.number();
    private static final int ENOSYS = Errno.ENOSYS.number();
    private static final long U32_MAX = 0xffff_ffffL;

    /** The smallest reply buffer {@link #handle} accepts: room for the CUSE_INIT reply. */
    public static final int MIN_REPLY_CAPACITY =
            OutHeader.SIZE + CuseInitOut.SIZE + FuseProtocol.CUSE_INIT_INFO_MAX;

    private final CuseConfig config;
    private final CharDevice device;
    private final RequestObserver observer;
    private final boolean observing;
    private final byte[] devInfo;
    private volatile NegotiatedProtocol negotiated;

    public CuseSession(CuseConfig config, CharDevice device) {
        this(config, device, RequestObserver.NONE);
    }

    public CuseSession(CuseConfig config, CharDevice device, RequestObserver observer) {
        this.config = config;
        this.device = device;
        this.observer = observer;
        this.observing = observer != RequestObserver.NONE;
        this.devInfo = CuseDevInfo.encode(config.deviceName());
    }

    public CuseConfig config() {
        return config;
    }

    /** Whether CUSE_INIT has been answered (the kernel may still have refused the answer). */
    public boolean initialized() {
        return negotiated != null;
    }

    /** What CUSE_INIT settled, once it has been answered. */
    public Optional<NegotiatedProtocol> negotiated() {
        return Optional.ofNullable(negotiated);
    }

    /**
     * Takes over a connection whose CUSE_INIT a previous server answered (a restart with the
     * channel handed over): requests are served with what was settled then.
     *
     * @throws IllegalStateException when this session has answered a CUSE_INIT itself
     */
    public void resume(NegotiatedProtocol settled) {
        if (negotiated != null) {
            throw new IllegalStateException("CUSE_INIT was already answered on this session");
        }
        negotiated = settled;
    }

    /** The protocol minor answered in CUSE_INIT, or 0 before it. */
    public int negotiatedMinor() {
        NegotiatedProtocol p = negotiated;
        return p == null ? 0 : p.minor();
    }

    /**
     * Answers one request.
     *
     * @param request exactly one frame, from its position to its limit, as one read() returned
     *                it; consumed (its position and limit are left anywhere)
     * @param reply   receives the reply from index 0; at least {@link #MIN_REPLY_CAPACITY}
     *                bytes, and {@link CuseConfig#replyBufferSize()} to serve the largest reads
     *                and ioctls. On return its position is 0 and its limit the reply length.
     *                Slices of both buffers handed to the device are valid only during the call.
     * @return the reply length to write in one write(), or 0 when nothing must be sent
     */
    public int handle(ByteBuffer request, ByteBuffer reply) {
        return handle(request, reply, observing ? System.nanoTime() : 0L);
    }

    /**
     * {@link #handle(ByteBuffer, ByteBuffer)} for a request read at {@code startedNanos}
     * ({@link System#nanoTime()}), which the observer's latency counts from.
     */
    public int handle(ByteBuffer request, ByteBuffer reply, long startedNanos) {
        if (reply.capacity() < MIN_REPLY_CAPACITY) {
            throw new IllegalArgumentException("reply buffer smaller than " + MIN_REPLY_CAPACITY);
        }
        long started = startedNanos;
        reply.clear();
        Exchange x = new Exchange();
        int len = exchange(request, reply, x);
        reply.position(0).limit(len);
        if (observing) {
            try {
                observer.requestDone(x.opcode, x.ioctlCmd, x.errno, System.nanoTime() - started);
            } catch (RuntimeException e) {
                log.error("request observer failed", e);
            }
        }
        return len;
    }

    /** What one request turned into, for the log line and the observer. */
    private static final class Exchange {
        int opcode;
        int ioctlCmd;
        int errno;
        /** The decoded request body, for the debug line. */
        Object body;
        /** The device's answer on success, for the debug line. */
        Object result;
    }

    private int exchange(ByteBuffer request, ByteBuffer reply, Exchange x) {
        int frameBytes = request.remaining();
        x.opcode = InHeader.peekOpcode(request);
        if (frameBytes < InHeader.SIZE) {
            return malformed(request, reply, x, "frame of " + frameBytes + " bytes is shorter than the "
                    + InHeader.SIZE + "-byte header");
        }
        int frameStart = request.position();
        InHeader h = InHeader.decode(request);
        if (h.len() != frameBytes) {
            return malformed(request.position(frameStart), reply, x,
                    "len field " + h.len() + " but " + frameBytes + " bytes read");
        }
        if (h.unique() == 0) {
            // a reply with id 0 would be taken for a notification
            return malformed(request.position(frameStart), reply, x, "unique id 0");
        }
        Opcode op = Opcode.of(h.opcode());
        if (op == null) {
            log.warn("rx {}: {} is not a CUSE request; answering ENOSYS",
                    Long.toUnsignedString(h.unique()), Opcode.nameOf(h.opcode()));
            x.errno = ENOSYS;
            return Replies.error(reply, h.unique(), ENOSYS);
        }
        int payload = request.remaining() - h.extensionBytes();
        if (payload < op.requestBodySize()) {
            return malformed(request.position(frameStart), reply, x, op.name() + " body of " + payload
                    + " bytes is shorter than its " + op.requestBodySize() + "-byte struct");
        }
        request.limit(request.position() + payload);

        int len;
        try {
            len = dispatch(op, h, request, reply, x);
        } catch (ErrnoException e) {
            x.errno = wireErrno(op, h, e);
            x.result = e;
            len = op.replyRequired() ? Replies.error(reply.clear(), h.unique(), x.errno) : 0;
        } catch (MalformedFrame e) {
            return malformed(request.position(frameStart), reply.clear(), x, e.getMessage());
        } catch (DeviceContractViolation e) {
            log.error("rx {}: {}: device bug: {}; answering EIO", Long.toUnsignedString(h.unique()),
                    describeRequest(op, h, x.body), e.getMessage());
            x.errno = EIO;
            x.result = e;
            len = Replies.error(reply.clear(), h.unique(), EIO);
        } catch (RuntimeException e) {
            log.error("rx {}: {}: device failed; answering EIO", Long.toUnsignedString(h.unique()),
                    describeRequest(op, h, x.body), e);
            x.errno = EIO;
            x.result = e;
            len = op.replyRequired() ? Replies.error(reply.clear(), h.unique(), EIO) : 0;
        }
        if (log.isDebugEnabled()) {
            log.debug("rx {}: {} -> {}", Long.toUnsignedString(h.unique()), describeRequest(op, h, x.body),
                    describeOutcome(x, len));
        }
        return len;
    }

    private int dispatch(Opcode op, InHeader h, ByteBuffer req, ByteBuffer reply, Exchange x)
            throws ErrnoException, MalformedFrame {
        switch (op) {
            case CUSE_INIT:
                return init(h, CuseInitIn.decode(req), reply, x);
            case OPEN: {
                OpenIn in = OpenIn.decode(req);
                x.body = in;
                long fh = device.open(caller(h), in.flags());
                x.result = fh;
                return Replies.open(reply, h.unique(), fh);
            }
            case READ:
                return read(h, ReadIn.decode(req), reply, x);
            case WRITE:
                return write(h, WriteIn.decode(req), req, reply, x);
            case RELEASE:
                return release(h, ReleaseIn.decode(req), reply, x);
            case INTERRUPT:
                // Device operations never block, so the interrupted request has been or is about
                // to be answered anyway. The kernel needs no reply: ENOSYS would switch
                // interrupts off for good and EAGAIN would queue this one again.
                x.body = InterruptIn.decode(req);
                return 0;
            case IOCTL:
                return ioctl(h, IoctlIn.decode(req), req, reply, x);
            case POLL: {
                PollIn in = PollIn.decode(req);
                x.body = in;
                int revents = device.poll(caller(h), in.fh(), in.events());
                x.result = revents;
                return Replies.poll(reply, h.unique(), revents);
            }
            default:
                throw new IllegalStateException("no handler for " + op);
        }
    }

    private int init(InHeader h, CuseInitIn in, ByteBuffer reply, Exchange x) throws ErrnoException {
        x.body = in;
        if (in.major() != FuseProtocol.KERNEL_MAJOR) {
            log.error("kernel speaks FUSE protocol {}.{}, only {} is known; refusing CUSE_INIT",
                    in.major(), in.minor(), FuseProtocol.KERNEL_MAJOR);
            throw new ErrnoException(Errno.EPROTO, "unsupported protocol major " + in.major());
        }
        if (in.minor() < FuseProtocol.MIN_MINOR_IOCTL_IOVEC) {
            // CUSE keeps the answered minor as given; on a 64-bit kernel the old native iovec
            // array has the layout of fuse_ioctl_iovec, so answering 16 stays correct there.
            log.warn("kernel announces FUSE 7.{}, older than 7.{}; answering 7.{}", in.minor(),
                    FuseProtocol.MIN_MINOR_IOCTL_IOVEC, FuseProtocol.MIN_MINOR_IOCTL_IOVEC);
        }
        if ((in.flags() & FuseProtocol.CUSE_UNRESTRICTED_IOCTL) == 0) {
            log.warn("kernel does not offer unrestricted ioctls (flags 0x{}); value-passing ioctls will fail",
                    Integer.toHexString(in.flags()));
        }
        int minor = Math.max(FuseProtocol.MIN_MINOR_IOCTL_IOVEC, Math.min(in.minor(), FuseProtocol.MAX_MINOR));
        int flags = FuseProtocol.CUSE_UNRESTRICTED_IOCTL;
        CuseInitOut out = new CuseInitOut(FuseProtocol.KERNEL_MAJOR, minor, flags, config.maxRead(),
                config.maxWrite(), config.devMajor(), config.devMinor());
        int len = Replies.cuseInit(reply, h.unique(), out, devInfo);
        negotiated = new NegotiatedProtocol(in.minor(), in.flags(), minor, flags, config.maxRead(), config.maxWrite());
        x.result = out;
        return len;
    }

    private int read(InHeader h, ReadIn in, ByteBuffer reply, Exchange x) throws ErrnoException {
        x.body = in;
        // a shorter reply than asked for is a legal short read
        int size = (int) Math.min(in.size(), reply.capacity() - OutHeader.SIZE);
        ByteBuffer dst = reply.slice(OutHeader.SIZE, size).order(NATIVE);
        int n = device.read(caller(h), in.fh(), in.offset(), dst, in.flags());
        if (n < 0 || n > size) {
            throw new DeviceContractViolation("read returned " + n + " for a chunk of " + size + " bytes");
        }
        x.result = n;
        return Replies.read(reply, h.unique(), n);
    }

    private int write(InHeader h, WriteIn in, ByteBuffer req, ByteBuffer reply, Exchange x)
            throws ErrnoException, MalformedFrame {
        x.body = in;
        if (in.size() > req.remaining()) {
            throw new MalformedFrame("WRITE size " + in.size() + " but " + req.remaining() + " data bytes");
        }
        ByteBuffer src = req.slice(req.position(), (int) in.size()).asReadOnlyBuffer().order(NATIVE);
        int n = device.write(caller(h), in.fh(), in.offset(), src, in.flags());
        if (n < 0 || n > in.size()) {
            throw new DeviceContractViolation("write accepted " + n + " of " + in.size() + " bytes");
        }
        x.result = n;
        return Replies.write(reply, h.unique(), n);
    }

    private int release(InHeader h, ReleaseIn in, ByteBuffer reply, Exchange x) {
        x.body = in;
        // The kernel ignores the error of a RELEASE, and the closing thread waits uninterruptibly:
        // answer at once whatever the device says.
        try {
            device.release(in.fh(), in.flags());
        } catch (RuntimeException e) {
            log.error("rx {}: RELEASE fh={}: device failed; answering anyway", Long.toUnsignedString(h.unique()),
                    Long.toUnsignedString(in.fh()), e);
            x.errno = EIO;
            x.result = e;
        }
        return Replies.empty(reply, h.unique());
    }

    private int ioctl(InHeader h, IoctlIn in, ByteBuffer req, ByteBuffer reply, Exchange x)
            throws ErrnoException, MalformedFrame {
        x.body = in;
        x.ioctlCmd = in.cmd();
        if (in.inSize() > req.remaining()) {
            throw new MalformedFrame("IOCTL in_size " + in.inSize() + " but " + req.remaining() + " data bytes");
        }
        if (in.outSize() > Integer.MAX_VALUE) {
            throw new MalformedFrame("IOCTL out_size " + in.outSize());
        }
        if ((in.flags() & FuseProtocol.IOCTL_COMPAT) != 0 && Long.compareUnsigned(in.arg(), U32_MAX) > 0) {
            // the kernel zero-extends a 32-bit caller's argument; the device could not even
            // ask for the memory such an argument points to
            throw new MalformedFrame("compat IOCTL arg 0x" + Long.toHexString(in.arg()) + " does not fit 32 bits");
        }
        ByteBuffer data = in.inSize() == 0 ? NO_DATA
                : req.slice(req.position(), (int) in.inSize()).asReadOnlyBuffer().order(NATIVE);
        IoctlRequest request = new IoctlRequest(in.fh(), in.flags(), in.cmd(), in.arg(), data, (int) in.outSize());
        IoctlReply answer = device.ioctl(caller(h), request);
        x.result = answer;
        if (answer instanceof IoctlReply.Done done) {
            int outBytes = done.out().length;
            if (outBytes > in.outSize()) {
                throw new DeviceContractViolation("ioctl " + IoctlNumber.toHex(in.cmd()) + " answered " + outBytes
                        + " output bytes where the kernel accepts " + in.outSize());
            }
            if (OutHeader.SIZE + IoctlOut.SIZE + outBytes > reply.remaining()) {
                throw new DeviceContractViolation("ioctl output of " + outBytes + " bytes exceeds the reply buffer");
            }
            return Replies.ioctl(reply, h.unique(), done.result(), done.out());
        }
        if (answer instanceof IoctlReply.Retry retry) {
            checkRetry(in, retry);
            return Replies.ioctlRetry(reply, h.unique(), retry.in(), retry.out(), IoctlIovec::base, IoctlIovec::length);
        }
        throw new DeviceContractViolation("ioctl " + IoctlNumber.toHex(in.cmd()) + " returned " + answer);
    }

    /**
     * The kernel would fail the caller's ioctl for a RETRY beyond its limits; a device asking
     * for one is broken, and one asking for nothing would be sent the same round forever.
     */
    private void checkRetry(IoctlIn in, IoctlReply.Retry retry) {
        int count = retry.in().size() + retry.out().size();
        if (count == 0) {
            throw new DeviceContractViolation("RETRY without iovecs would repeat the same round forever");
        }
        if (count > FuseProtocol.IOCTL_MAX_IOV) {
            throw new DeviceContractViolation("RETRY with " + count + " iovecs, more than "
                    + FuseProtocol.IOCTL_MAX_IOV);
        }
        boolean compat = (in.flags() & FuseProtocol.IOCTL_COMPAT) != 0;
        checkIovecs("in", retry.in(), compat);
        checkIovecs("out", retry.out(), compat);
    }

    private void checkIovecs(String direction, List<IoctlIovec> iovecs, boolean compat) {
        long limit = config.maxIoctlBytes();
        long total = 0;
        for (IoctlIovec v : iovecs) {
            // unsigned: a "negative" length is a huge one
            if (Long.compareUnsigned(v.length(), limit) > 0) {
                throw new DeviceContractViolation("RETRY " + direction + " iovec of " + Long.toUnsignedString(v.length())
                        + " bytes, more than " + limit);
            }
            if (compat && (Long.compareUnsigned(v.base(), U32_MAX) > 0 || v.length() > U32_MAX)) {
                throw new DeviceContractViolation("RETRY " + direction + " iovec 0x" + Long.toHexString(v.base())
                        + " does not fit a 32-bit caller");
            }
            total += v.length();
        }
        if (total > limit) {
            throw new DeviceContractViolation("RETRY " + direction + " iovecs total " + total + " bytes, more than "
                    + limit);
        }
    }

    /** The errno to put on the wire for a device's ErrnoException. */
    private static int wireErrno(Opcode op, InHeader h, ErrnoException e) {
        int errno = e.errno();
        if (errno > FuseProtocol.MAX_ERRNO) {
            // the kernel rejects such a reply and leaves the caller waiting
            log.error("rx {}: {}: device errno {} is outside 1..{}; answering EIO",
                    Long.toUnsignedString(h.unique()), op, errno, FuseProtocol.MAX_ERRNO);
            return EIO;
        }
        if (op == Opcode.OPEN && errno == ENOSYS) {
            // ENOSYS to OPEN makes the kernel skip OPEN and RELEASE for the rest of the connection
            log.warn("rx {}: OPEN: device answered ENOSYS ({}); answering EIO instead",
                    Long.toUnsignedString(h.unique()), e.getMessage());
            return EIO;
        }
        return errno;
    }

    private int malformed(ByteBuffer frame, ByteBuffer reply, Exchange x, String why) {
        x.errno = EIO;
        boolean answerable = InHeader.hasUnique(frame) && InHeader.peekUnique(frame) != 0
                && x.opcode != Opcode.INTERRUPT.number();
        if (!answerable) {
            log.warn("rx ?: malformed frame, not answered: {}", why);
            return 0;
        }
        long unique = InHeader.peekUnique(frame);
        log.warn("rx {}: malformed {} frame, answering EIO: {}", Long.toUnsignedString(unique),
                Opcode.nameOf(x.opcode), why);
        return Replies.error(reply, unique, EIO);
    }

    private static Caller caller(InHeader h) {
        return new Caller(h.uid(), h.gid(), h.pid());
    }

    /** The request for the debug line: its name, its decoded body's own text and who sent it. */
    private static String describeRequest(Opcode op, InHeader h, Object body) {
        String text = body == null ? op.name() : op.name() + " " + body;
        switch (op) {
            case CUSE_INIT:
            case RELEASE:
            case INTERRUPT:
                return text;
            case OPEN:
                text += " uid=" + Integer.toUnsignedString(h.uid()) + " gid=" + Integer.toUnsignedString(h.gid());
                break;
            default:
                break;
        }
        return text + " tid=" + Integer.toUnsignedString(h.pid());
    }

    /** The answer for the debug line: the errno, or the device's result in its own text. */
    private static String describeOutcome(Exchange x, int len) {
        Object r = x.result;
        if (r instanceof ErrnoException e) {
            String name = Errno.nameOf(x.errno);
            return e.errno() == x.errno ? name + " (" + e.getMessage() + ")"
                    : name + " (device: " + e + ")";
        }
        if (x.errno != 0 && len <= OutHeader.SIZE) {
            return len == 0 ? Errno.nameOf(x.errno) + ", no reply" : Errno.nameOf(x.errno);
        }
        if (len == 0) {
            return "no reply";
        }
        if (r instanceof Long fh) {
            return "fh=" + Long.toUnsignedString(fh);
        } else if (r instanceof Integer n) {
            return x.opcode == Opcode.POLL.number() ? "revents=0x" + Integer.toHexString(n) : n.toString();
        }
        return r == null ? "OK" : r.toString();
    }

    /** A frame the kernel would never send; answered with EIO. */
    private static final class MalformedFrame extends Exception {
        private static final long serialVersionUID = 1L;

        MalformedFrame(String message) {
            super(message, null, false, false);
        }
    }

    /** The device answered something the protocol cannot carry; answered with EIO. */
    private static final class DeviceContractViolation extends RuntimeException {
        private static final long serialVersionUID = 1L;

        DeviceContractViolation(String message) {
            super(message, null, false, false);
        }
    }
}
