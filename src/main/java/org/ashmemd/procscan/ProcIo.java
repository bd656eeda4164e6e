package org.ashmemd.procscan;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** The file operations a scan makes, so that tests can stand in for the kernel where files cannot. */
public interface ProcIo {
    /** What stat(2) says of an fd's open file (through /proc/PID/fd/N, which follows the link). */
    record FileStat(long inode, long rdev, boolean charDevice, long size) {
    }

    /** A whole file. */
    byte[] readBytes(Path file) throws IOException;

    default String read(Path file) throws IOException {
        return new String(readBytes(file), StandardCharsets.UTF_8);
    }

    String readLink(Path link) throws IOException;

    /** The names in a directory. */
    List<String> list(Path dir) throws IOException;

    FileStat stat(Path file) throws IOException;

    /** The real thing. */
    static ProcIo system() {
        return SystemProcIo.INSTANCE;
    }

    /**
     * {@link #system()}'s implementation: java.io where it makes fewer calls than java.nio.file
     * (one JNI read loop into a reused buffer, one readdir call), since a scan reads thousands of files.
     */
    final class SystemProcIo implements ProcIo {
        static final SystemProcIo INSTANCE = new SystemProcIo();
        private static final int S_IFMT = 0170000;
        private static final int S_IFCHR = 0020000;
        private static final int MAX_KEPT = 1024 * 1024;
        private static final ThreadLocal<byte[]> BUFFER = ThreadLocal.withInitial(() -> new byte[64 * 1024]);

        private SystemProcIo() {
        }

        @Override
        public byte[] readBytes(Path file) throws IOException {
            byte[] buf = BUFFER.get();
            int len = 0;
            try (FileInputStream in = new FileInputStream(file.toString())) {
                for (int n; (n = in.read(buf, len, buf.length - len)) > 0;) {
                    len += n;
                    if (len == buf.length) {
                        buf = Arrays.copyOf(buf, buf.length * 2);
                        BUFFER.set(buf);
                    }
                }
            } catch (java.io.FileNotFoundException e) {
                // java.io says "(No such file or directory)" or "(Permission denied)"; callers want the nio types
                String m = String.valueOf(e.getMessage());
                if (m.contains("Permission denied")) {
                    throw new AccessDeniedException(file.toString());
                }
                throw new NoSuchFileException(file.toString(), null, m);
            }
            byte[] out = Arrays.copyOf(buf, len);
            if (buf.length > MAX_KEPT) {
                BUFFER.remove(); // one huge smaps should not pin memory in a long-lived thread
            }
            return out;
        }

        @Override
        public String readLink(Path link) throws IOException {
            return Files.readSymbolicLink(link).toString();
        }

        @Override
        public List<String> list(Path dir) throws IOException {
            File d = new File(dir.toString());
            String[] names = d.list();
            if (names == null) {
                // java.io does not say why; ask again the slow way for the precise error
                if (!d.exists()) {
                    throw new NoSuchFileException(dir.toString());
                }
                if (!d.canRead()) {
                    throw new AccessDeniedException(dir.toString());
                }
                try (var s = Files.newDirectoryStream(dir)) {
                    s.iterator().hasNext();
                }
                throw new IOException("cannot list " + dir);
            }
            return Arrays.asList(names);
        }

        @Override
        public FileStat stat(Path file) throws IOException {
            Map<String, Object> a = Files.readAttributes(file, "unix:ino,rdev,mode,size");
            int mode = (Integer) a.get("mode");
            return new FileStat((Long) a.get("ino"), (Long) a.get("rdev"), (mode & S_IFMT) == S_IFCHR, (Long) a.get("size"));
        }
    }
}
