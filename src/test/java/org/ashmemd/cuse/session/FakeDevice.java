package org.ashmemd.cuse.session;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.ashmemd.posix.Errno;
import org.ashmemd.posix.ErrnoException;

/**
 * A small scripted device: each operation is a replaceable handler, and every call is recorded.
 * The default ioctl handler speaks a few ashmem commands the way a real device would use the
 * retry protocol.
 */
final class FakeDevice implements CharDevice {
    static final int SET_NAME = 0x41007701;
    static final int GET_NAME = 0x81007702;
    static final int SET_SIZE = 0x40087703;
    static final int SET_SIZE_32 = 0x40047703;
    static final int GET_SIZE = 0x00007704;
    static final int NAME_LEN = 256;

    interface OpenHandler {
        long open(Caller caller, int flags) throws ErrnoException;
    }

    interface DataHandler {
        int apply(Caller caller, long fh, long offset, ByteBuffer data, int flags) throws ErrnoException;
    }

    interface IoctlHandler {
        IoctlReply ioctl(Caller caller, IoctlRequest request) throws ErrnoException;
    }

    interface PollHandler {
        int poll(Caller caller, long fh, int events) throws ErrnoException;
    }

    interface ReleaseHandler {
        void release(long fh, int flags);
    }

    final List<Object> calls = Collections.synchronizedList(new ArrayList<>());
    volatile String name = "";
    volatile long size;

    OpenHandler onOpen = (caller, flags) -> 7;
    DataHandler onRead = (caller, fh, offset, dst, flags) -> 0;
    DataHandler onWrite = (caller, fh, offset, src, flags) -> src.remaining();
    IoctlHandler onIoctl = this::ashmemIoctl;
    PollHandler onPoll = null;
    ReleaseHandler onRelease = (fh, flags) -> { };

    record OpenCall(Caller caller, int flags) { }

    record DataCall(String op, Caller caller, long fh, long offset, int bufferRemaining, byte[] data, int flags) { }

    record IoctlCall(Caller caller, long fh, int flags, int cmd, long arg, byte[] in, int outSize,
                     boolean inReadOnly) { }

    record ReleaseCall(long fh, int flags) { }

    record PollCall(Caller caller, long fh, int events) { }

    @Override
    public long open(Caller caller, int flags) throws ErrnoException {
        calls.add(new OpenCall(caller, flags));
        return onOpen.open(caller, flags);
    }

    @Override
    public void release(long fh, int flags) {
        calls.add(new ReleaseCall(fh, flags));
        onRelease.release(fh, flags);
    }

    @Override
    public int read(Caller caller, long fh, long offsetInCall, ByteBuffer dst, int fileFlags) throws ErrnoException {
        int remaining = dst.remaining();
        int n = onRead.apply(caller, fh, offsetInCall, dst, fileFlags);
        calls.add(new DataCall("read", caller, fh, offsetInCall, remaining, null, fileFlags));
        return n;
    }

    @Override
    public int write(Caller caller, long fh, long offsetInCall, ByteBuffer src, int fileFlags) throws ErrnoException {
        byte[] data = new byte[src.remaining()];
        src.duplicate().get(data);
        calls.add(new DataCall("write", caller, fh, offsetInCall, data.length, data, fileFlags));
        return onWrite.apply(caller, fh, offsetInCall, src, fileFlags);
    }

    @Override
    public IoctlReply ioctl(Caller caller, IoctlRequest request) throws ErrnoException {
        byte[] in = new byte[request.inSize()];
        request.in().duplicate().get(in);
        calls.add(new IoctlCall(caller, request.fh(), request.flags(), request.cmd(), request.arg(), in,
                request.outSize(), request.in().isReadOnly()));
        return onIoctl.ioctl(caller, request);
    }

    @Override
    public int poll(Caller caller, long fh, int events) throws ErrnoException {
        calls.add(new PollCall(caller, fh, events));
        if (onPoll == null) {
            return CharDevice.super.poll(caller, fh, events);
        }
        return onPoll.poll(caller, fh, events);
    }

    /** The retry exchanges of a few ashmem commands. */
    private IoctlReply ashmemIoctl(Caller caller, IoctlRequest r) throws ErrnoException {
        switch (r.cmd()) {
            case SET_NAME:
                if (r.inSize() == 0) {
                    return IoctlReply.retryIn(r.arg(), NAME_LEN);
                }
                byte[] raw = new byte[r.inSize()];
                r.in().get(raw);
                int end = 0;
                while (end < raw.length - 1 && raw[end] != 0) {
                    end++;
                }
                name = new String(raw, 0, end, StandardCharsets.UTF_8);
                return IoctlReply.result(0);
            case GET_NAME:
                if (r.outSize() == 0) {
                    return IoctlReply.retryOut(r.arg(), NAME_LEN);
                }
                return IoctlReply.result(0, (name + "\0").getBytes(StandardCharsets.UTF_8));
            case SET_SIZE:
            case SET_SIZE_32:
                size = r.arg();
                return IoctlReply.result(0);
            case GET_SIZE:
                return IoctlReply.result((int) size);
            default:
                throw new ErrnoException(Errno.ENOTTY, "unknown ioctl");
        }
    }

    <T> List<T> callsOf(Class<T> type) {
        synchronized (calls) {
            return calls.stream().filter(type::isInstance).map(type::cast).toList();
        }
    }
}
