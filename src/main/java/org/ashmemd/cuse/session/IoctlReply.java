package org.ashmemd.cuse.session;

import java.util.List;

/** What a device answers to one ioctl round. */
public sealed interface IoctlReply {

    /**
     * The ioctl is finished: {@code result} is its return value (a signed 32-bit int; use
     * {@link org.ashmemd.posix.ErrnoException} for errors), {@code out} the bytes to scatter over
     * the caller's out iovecs (at most the round's outSize; may be empty).
     */
    record Done(int result, byte[] out) implements IoctlReply {
        public Done {
            out = out == null ? NO_BYTES : out;
        }

        /** For the debug line: the result, and how many bytes go back. */
        @Override
        public String toString() {
            return out.length == 0 ? Integer.toString(result) : result + " +" + out.length + " bytes";
        }
    }

    /**
     * Ask the kernel to copy {@code in} ranges of the caller's memory into a new round, and to
     * accept {@code out} ranges of output in it. A bad address fails the caller with EFAULT
     * without a new round.
     */
    record Retry(List<IoctlIovec> in, List<IoctlIovec> out) implements IoctlReply {
        public Retry {
            in = List.copyOf(in);
            out = List.copyOf(out);
        }

        /** For the debug line: "RETRY in=[0x...+256] out=[]". */
        @Override
        public String toString() {
            return "RETRY in=" + in + " out=" + out;
        }
    }

    byte[] NO_BYTES = new byte[0];

    static IoctlReply result(int result) {
        return new Done(result, NO_BYTES);
    }

    static IoctlReply result(int result, byte[] out) {
        return new Done(result, out);
    }

    static IoctlReply retryIn(long base, long length) {
        return new Retry(List.of(new IoctlIovec(base, length)), List.of());
    }

    static IoctlReply retryOut(long base, long length) {
        return new Retry(List.of(), List.of(new IoctlIovec(base, length)));
    }

    static IoctlReply retryInOut(long base, long inLength, long outLength) {
        return new Retry(List.of(new IoctlIovec(base, inLength)), List.of(new IoctlIovec(base, outLength)));
    }
}
