package org.ashmemd.procscan;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** Where a process's ashmem memory comes from. */
public enum AshmemKind {
    /** The kernel driver: mappings of "/dev/ashmem/NAME (deleted)", fds to its misc device. */
    KERNEL,
    /** memfds not made by ashmemd, as Android's libcutils creates when told to use memfd. */
    MEMFD,
    /** ashmemd's regions: mappings of "/memfd:dev/ashmem/NAME (deleted)", fds to its CUSE device. */
    ASHMEMD;

    /** The name used on the command line and in JSON. */
    @JsonValue
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static AshmemKind parse(String label) {
        for (AshmemKind k : values()) {
            if (k.label().equalsIgnoreCase(label.trim())) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown kind '" + label + "' (kernel, memfd or ashmemd)");
    }

    public static Set<AshmemKind> all() {
        return EnumSet.allOf(AshmemKind.class);
    }
}
