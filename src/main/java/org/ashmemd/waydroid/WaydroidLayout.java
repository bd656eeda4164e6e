package org.ashmemd.waydroid;

import java.nio.file.Path;

/**
 * Where Waydroid and ashmemd keep what the Waydroid switch touches, under a root directory:
 * {@code /} on a live system, a chroot or a test tree otherwise. Paths are resolved as on the
 * system, then prefixed with the root.
 */
public record WaydroidLayout(Path root) {
    public static final String WORK = "/var/lib/waydroid";
    public static final String STATE = "/var/lib/ashmemd/waydroid";

    public static WaydroidLayout system() {
        return new WaydroidLayout(Path.of("/"));
    }

    /** Whether the root is not the live system's, so that device and socket checks relax. */
    public boolean rooted() {
        return !root.normalize().toAbsolutePath().equals(Path.of("/"));
    }

    /** A system path ({@code /var/lib/...}) under the root. */
    public Path resolve(String systemPath) {
        return root.resolve(systemPath.startsWith("/") ? systemPath.substring(1) : systemPath);
    }

    /** The system path of a file under the root (the inverse of {@link #resolve}). */
    public String systemPath(Path p) {
        return "/" + root.relativize(p).toString();
    }

    public Path work() {
        return resolve(WORK);
    }

    public Path config() {
        return resolve(WORK + "/waydroid.cfg");
    }

    public Path baseProps() {
        return resolve(WORK + "/waydroid_base.prop");
    }

    public Path lxcDir() {
        return resolve(WORK + "/lxc/waydroid");
    }

    public Path configNodes() {
        return resolve(WORK + "/lxc/waydroid/config_nodes");
    }

    public Path overlay() {
        return resolve(WORK + "/overlay");
    }

    /** {@code overlay/<partition>/<lib or lib64>/libashmemd-preload.so}. */
    public Path library(String partition, Abi abi) {
        return overlay().resolve(partition).resolve(abi.libDir()).resolve(Abi.LIBRARY);
    }

    public Path initScript() {
        return overlay().resolve("system/etc/init/ashmemd.rc");
    }

    public Path device() {
        return resolve(LxcNodes.DEVICE);
    }

    public Path brokerSocket() {
        return resolve(LxcNodes.RUNTIME_DIR + "/broker.sock");
    }

    public Path bootId() {
        return resolve("/proc/sys/kernel/random/boot_id");
    }

    public Path proc() {
        return resolve("/proc");
    }

    public Path sys() {
        return resolve("/sys");
    }

    public Path state() {
        return resolve(STATE);
    }
}
