package org.ashmemd.cmdline;

import picocli.CommandLine;

/** The version from the jar manifest (set by the build), or "dev" when run from classes. */
public final class Version {
    private Version() {
    }

    public static String get() {
        String v = Version.class.getPackage().getImplementationVersion();
        return v != null ? v : "dev";
    }

    /** For picocli's --version. */
    public static final class Provider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"ashmemd " + get()};
        }
    }
}
