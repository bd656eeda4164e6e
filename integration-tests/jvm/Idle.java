/**
 * A JVM that does nothing but stay alive with a little garbage behind it: the kernel suite
 * points the resource probes of lib/suite.sh at it to prove that they work in the VM before
 * they are trusted on the daemon.
 */
public final class Idle {
    private Idle() {}

    public static void main(String[] args) throws InterruptedException {
        byte[][] garbage = new byte[64][];
        for (int i = 0; i < garbage.length; i++) {
            garbage[i] = new byte[64 * 1024];
        }
        System.out.println("ready " + garbage.length);
        System.out.flush();
        Thread.sleep(600_000L);
    }
}
