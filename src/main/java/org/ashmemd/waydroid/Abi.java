package org.ashmemd.waydroid;

import java.util.List;

/**
 * The preload library's architectures as the installation names them ({@code lib/native/<arch>/})
 * and the library directory Android loads each from: one bare soname in {@code LD_PRELOAD} serves
 * 32- and 64-bit processes because bionic's linker searches {@code ${LIB}}.
 */
public enum Abi {
    X86_64("x86_64", "lib64"),
    I386("i386", "lib"),
    ARM64("arm64", "lib64"),
    ARMHF("armhf", "lib");

    public static final String LIBRARY = "libashmemd-preload.so";

    private final String arch;
    private final String libDir;

    Abi(String arch, String libDir) {
        this.arch = arch;
        this.libDir = libDir;
    }

    /** The directory name under the installation's {@code lib/native/}. */
    public String arch() {
        return arch;
    }

    /** {@code lib} or {@code lib64}, under Android's {@code /system} and {@code /vendor}. */
    public String libDir() {
        return libDir;
    }

    /**
     * The ABIs an Android image of Waydroid's {@code arch} (its {@code [waydroid] arch} value, as
     * {@code waydroid init} sets it from the host) runs: 64-bit images run 32-bit apps too, except
     * {@code arm64_only}. Empty for an architecture Waydroid does not know.
     */
    public static List<Abi> forWaydroidArch(String waydroidArch) {
        switch (waydroidArch) {
            case "x86_64":
                return List.of(X86_64, I386);
            case "x86":
                return List.of(I386);
            case "arm64":
                return List.of(ARM64, ARMHF);
            case "arm64_only":
                return List.of(ARM64);
            case "arm":
                return List.of(ARMHF);
            default:
                return List.of();
        }
    }

    /** Waydroid's name for the architecture this JVM runs on (what {@code waydroid init} would pick). */
    public static String hostWaydroidArch() {
        String a = System.getProperty("os.arch", "");
        switch (a) {
            case "amd64":
            case "x86_64":
                return "x86_64";
            case "x86":
            case "i386":
            case "i686":
                return "x86";
            case "aarch64":
                return "arm64";
            case "arm":
                return "arm";
            default:
                return a;
        }
    }
}
