package org.ashmemd.sys;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The libc functions the daemon calls, bound once through jnr-ffi. This package is the only
 * place that touches native code; everything else sees Java types and {@link
 * org.ashmemd.posix.ErrnoException}. Read errno with {@link #errno()} right after a call, on
 * the same thread.
 */
public interface LibC {
    LibC INSTANCE = LibraryLoader.create(LibC.class).load("c");

    int open(String path, int flags, int mode);

    int close(int fd);

    @ssize_t
    long read(int fd, Pointer buf, @size_t long count);

    @ssize_t
    long write(int fd, Pointer buf, @size_t long count);

    @ssize_t
    long pread(int fd, Pointer buf, @size_t long count, @off_t long offset);

    @off_t
    long lseek(int fd, @off_t long offset, int whence);

    int ftruncate(int fd, @off_t long length);

    int fchmod(int fd, int mode);

    int fallocate(int fd, int mode, @off_t long offset, @off_t long len);

    int fcntl(int fd, int cmd, int arg);

    int memfd_create(@In byte[] nulTerminatedName, int flags);

    int eventfd(int initval, int flags);

    int poll(@In @Out Pointer fds, long nfds, int timeout);

    int accept4(int sockfd, Pointer addr, Pointer addrlen, int flags);

    int socketpair(int domain, int type, int protocol, @Out int[] sv);

    @ssize_t
    long sendmsg(int sockfd, @In Pointer msg, int flags);

    int getsockopt(int sockfd, int level, int optname, @Out Pointer optval, @In @Out Pointer optlen);

    int setsockopt(int sockfd, int level, int optname, @In int[] optval, int optlen);

    int epoll_create1(int flags);

    int epoll_ctl(int epfd, int op, int fd, @In Pointer event);

    int epoll_wait(int epfd, @Out Pointer events, int maxevents, int timeout);

    int fstat(int fd, @Out Pointer statbuf);

    @ssize_t
    long getrandom(@Out Pointer buf, @size_t long buflen, int flags);

    // open(2) flags
    int O_RDONLY = 0;
    int O_WRONLY = 1;
    int O_RDWR = 2;
    int O_ACCMODE = 3;
    int O_NONBLOCK = 04000;
    int O_CLOEXEC = 02000000;

    // memfd_create(2)
    int MFD_CLOEXEC = 1;
    int MFD_ALLOW_SEALING = 2;

    // fcntl(2) sealing
    int F_ADD_SEALS = 1033;
    int F_GET_SEALS = 1034;
    int F_SEAL_SEAL = 1;
    int F_SEAL_SHRINK = 2;
    int F_SEAL_GROW = 4;
    int F_SEAL_WRITE = 8;
    int F_SEAL_FUTURE_WRITE = 16;

    // fallocate(2)
    int FALLOC_FL_KEEP_SIZE = 1;
    int FALLOC_FL_PUNCH_HOLE = 2;

    // lseek(2)
    int SEEK_SET = 0;
    int SEEK_CUR = 1;
    int SEEK_END = 2;
    int SEEK_DATA = 3;
    int SEEK_HOLE = 4;

    // poll(2)
    short POLLIN = 1;
    short POLLERR = 8;
    short POLLHUP = 16;
    short POLLPRI = 2;
    short POLLNVAL = 32;

    // epoll(7)
    int EPOLL_CLOEXEC = 02000000;
    int EPOLL_CTL_ADD = 1;
    int EPOLLIN = 1;
    int EPOLLEXCLUSIVE = 1 << 28;

    int EFD_CLOEXEC = 02000000;
    int EFD_NONBLOCK = 04000;

    /** errno of the last call on this thread. */
    static int errno() {
        return jnr.ffi.Runtime.getRuntime(INSTANCE).getLastError();
    }

    static jnr.ffi.Runtime runtime() {
        return jnr.ffi.Runtime.getRuntime(INSTANCE);
    }
}
