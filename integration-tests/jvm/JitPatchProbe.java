import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongUnaryOperator;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * A JVM with no native code of its own that makes HotSpot patch many method entries while other
 * threads run through them: several threads call one small method together until it has been
 * compiled by C1 and then by C2 (which makes the C1 code not entrant: its entry is patched with a
 * jump while the other threads still call it), then the next method, and so on.
 *
 * <p>The jit suite runs it to tell a JVM crash that comes from the machine (an emulator that
 * executes a half-patched instruction) from one that comes from ashmemd's native calls: this
 * program makes none. Usage: {@code JitPatchProbe CLASSDIR METHODS THREADS SECONDS}; CLASSDIR
 * receives the generated methods (compiled once, reused by later runs).
 */
public final class JitPatchProbe {
    /** Calls per method and thread: well past C2's invocation threshold (5,000 in tiered mode). */
    private static final int CALLS = 20_000;

    private JitPatchProbe() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: JitPatchProbe CLASSDIR METHODS THREADS SECONDS");
            System.exit(64);
        }
        Path dir = Path.of(args[0]);
        int methods = Integer.parseInt(args[1]);
        int threads = Integer.parseInt(args[2]);
        long deadline = System.nanoTime() + Long.parseLong(args[3]) * 1_000_000_000L;
        LongUnaryOperator[] ops = load(dir, methods);

        CyclicBarrier together = new CyclicBarrier(threads);
        AtomicLong sink = new AtomicLong();
        AtomicLong done = new AtomicLong();
        CountDownLatch finished = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            long seed = t;
            Thread worker = new Thread(() -> {
                long acc = seed;
                try {
                    for (int m = 0; m < ops.length && System.nanoTime() < deadline; m++) {
                        together.await(); // every thread enters method m at once
                        LongUnaryOperator op = ops[m];
                        for (int i = 0; i < CALLS; i++) {
                            acc = op.applyAsLong(acc);
                        }
                        done.incrementAndGet();
                    }
                } catch (Exception e) {
                    // the barrier breaks when another thread stops at the deadline
                }
                together.reset();
                sink.addAndGet(acc);
                finished.countDown();
            }, "probe-" + t);
            worker.start();
        }
        finished.await();
        System.out.println("probe methods " + methods + " threads " + threads + " method_runs " + done.get()
                + " checksum " + Long.toHexString(sink.get()));
    }

    /** The generated methods, compiled into {@code dir} on first use. */
    private static LongUnaryOperator[] load(Path dir, int methods) throws Exception {
        String name = "ProbeMethods" + methods;
        Path classFile = dir.resolve(name + ".class");
        if (!Files.exists(classFile)) {
            generate(dir, name, methods);
        }
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()})) {
            Class<?> c = loader.loadClass(name);
            return (LongUnaryOperator[]) c.getField("OPS").get(null);
        }
    }

    private static void generate(Path dir, String name, int methods) throws IOException {
        Files.createDirectories(dir);
        StringBuilder src = new StringBuilder("import java.util.function.LongUnaryOperator;\n");
        src.append("public final class ").append(name).append(" {\n");
        src.append("    public static final LongUnaryOperator[] OPS = {\n");
        for (int i = 0; i < methods; i++) {
            src.append("        ").append(name).append("::m").append(i).append(",\n");
        }
        src.append("    };\n");
        for (int i = 0; i < methods; i++) {
            // distinct bodies, so that no two methods share compiled code
            src.append("    static long m").append(i).append("(long x) { return (x ^ (x >>> ").append(1 + i % 31)
                    .append(")) * ").append(2 * i + 0x9E3779B1L).append("L + ").append(i).append("; }\n");
        }
        src.append("}\n");
        Path source = dir.resolve(name + ".java");
        Files.writeString(source, src);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null || javac.run(null, null, null, "-d", dir.toString(), source.toString()) != 0) {
            throw new IOException("could not compile " + source);
        }
    }
}
