package org.ashmemd.layers;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.lang.ArchRule;
import java.util.List;

/**
 * README's package table as rules, one per row that forbids something. Each names the packages
 * as the table does; {@link LayerRulesTest} checks the tree against them and
 * {@link LayerRulesCatchViolationsTest} shows that each one fails on a class that breaks it.
 */
final class LayerRules {
    private static final String BASE = "org.ashmemd.";

    private LayerRules() {
    }

    private static String pkg(String name) {
        return BASE + name + "..";
    }

    /** posix/, text/ and units/: leaves, which everyone may use and which use nothing of the project. */
    static final ArchRule LEAVES_USE_NOTHING = noClasses()
            .that().resideInAnyPackage(pkg("posix"), pkg("text"), pkg("units"))
            .should().dependOnClassesThat().resideOutsideOfPackages(pkg("posix"), pkg("text"), pkg("units"), "java..")
            .as("posix/, text/ and units/ use nothing but java")
            .because("every other package may use them");

    /** cuse/: the FUSE protocol over /dev/cuse, for any character device. */
    static final ArchRule CUSE_KNOWS_NO_ASHMEM = noClasses()
            .that().resideInAPackage(pkg("cuse"))
            .should().dependOnClassesThat().resideInAnyPackage(pkg("ashmem"), pkg("device"), pkg("memory"),
                    pkg("broker"), pkg("daemon"), pkg("admin"), pkg("restart"), pkg("control"), pkg("procscan"),
                    pkg("cli"))
            .as("cuse/ knows nothing of ashmem/, device/, memory/, broker/, admin/, restart/, daemon/ or the CLI")
            .because("it serves any character device: the device is given to it");

    /** cuse/wire/ and cuse/session/: bytes in, bytes out. */
    static final ArchRule CUSE_PROTOCOL_HAS_NO_IO = noClasses()
            .that().resideInAnyPackage(pkg("cuse.wire"), pkg("cuse.session"))
            .should().dependOnClassesThat().resideInAnyPackage(pkg("cuse.transport"), pkg("sys"))
            .as("cuse/wire/ and cuse/session/ do no I/O (only cuse/transport/ reads /dev/cuse)")
            .because("every opcode is tested without a kernel");

    /** ashmem/: the driver's logic. */
    static final ArchRule ASHMEM_IS_PURE_LOGIC = classes()
            .that().resideInAPackage(pkg("ashmem"))
            .should().onlyDependOnClassesThat().resideInAnyPackage(pkg("ashmem"), pkg("posix"), pkg("text"),
                    "java..")
            .as("ashmem/ uses only posix/ (and text/, java)")
            .because("the driver's logic is pure: no CUSE, no system calls, no memfds");

    /** sys/: the only native code. */
    static final ArchRule NATIVE_CALLS_ONLY_IN_SYS = noClasses()
            .that().resideOutsideOfPackage(pkg("sys"))
            .should().dependOnClassesThat().resideInAnyPackage("jnr.ffi..", "com.kenai.jffi..", "jnr.posix..",
                    "jnr.constants..")
            .orShould().dependOnClassesThat().belongToAnyOf(org.ashmemd.sys.LibC.class)
            .as("native calls (jnr-ffi, jffi, jnr-posix, LibC) only in sys/")
            .because("sys/ is the one native escape hatch; everything else sees Java types and ErrnoException");

    /** control/: what the daemon and ashmemctl share over the admin socket. */
    static final ArchRule CONTROL_IS_ONLY_THE_PROTOCOL = noClasses()
            .that().resideInAPackage(pkg("control"))
            .should().dependOnClassesThat().resideInAnyPackage(pkg("ashmem"), pkg("cuse"), pkg("device"),
                    pkg("memory"), pkg("broker"), pkg("daemon"), pkg("admin"), pkg("restart"), pkg("metrics"),
                    pkg("pressure"), pkg("cli"), "picocli..", "jnr..")
            .as("control/ holds the admin protocol's records and client: no daemon internals, no picocli, no jnr")
            .because("both programs build on it, and ashmemctl starts faster without native-call machinery");

    /** leaks/: analysis, next to the scanner; the CLI renders it. */
    static final ArchRule ANALYSIS_DOES_NOT_RENDER = noClasses()
            .that().resideInAnyPackage(pkg("leaks"), pkg("procscan"))
            .should().dependOnClassesThat().resideInAnyPackage(pkg("cli"), "picocli..")
            .as("leaks/ and procscan/ neither render nor parse options (no cli/, no picocli)")
            .because("commands only parse options and render");

    /** cli/: ashmemctl. */
    static final ArchRule CLI_USES_NO_DAEMON_INTERNALS = noClasses()
            .that().resideInAPackage(pkg("cli"))
            .should().dependOnClassesThat().resideInAnyPackage(pkg("ashmem"), pkg("cuse"), pkg("device"),
                    pkg("memory"), pkg("broker"), pkg("daemon"), pkg("admin"), pkg("restart"), pkg("metrics"),
                    pkg("pressure"), pkg("sys"))
            .as("cli/ reaches the daemon only through control/")
            .because("ashmemctl talks to a running daemon over the admin socket and reads /proc itself");

    /** admin/: the admin socket's service, above the device and the broker. */
    static final ArchRule NOTHING_BELOW_USES_ADMIN = noClasses()
            .that().resideOutsideOfPackages(pkg("admin"), pkg("daemon"))
            .should().dependOnClassesThat().resideInAPackage(pkg("admin"))
            .as("only daemon/ wires admin/; nothing below it uses it")
            .because("admin/ reads the device, the registry and the broker, never the other way round");

    /** restart/: what survives a restart of the daemon; the core does not know of it. */
    static final ArchRule CORE_DOES_NOT_USE_RESTART = noClasses()
            .that().resideInAnyPackage(pkg("posix"), pkg("text"), pkg("cuse"), pkg("ashmem"), pkg("control"),
                    pkg("procscan"), pkg("cli"), pkg("cmdline"))
            .should().dependOnClassesThat().resideInAPackage(pkg("restart"))
            .as("posix/, text/, cuse/, ashmem/, control/, procscan/ and the CLI do not use restart/")
            .because("restart/ builds on them, not they on it");

    /** No two packages use each other, directly or round about. */
    static final ArchRule NO_CYCLES = slices().matching(BASE + "(**)")
            .should().beFreeOfCycles()
            .as("no cycles between packages");

    static final List<ArchRule> ALL = List.of(LEAVES_USE_NOTHING, CUSE_KNOWS_NO_ASHMEM, CUSE_PROTOCOL_HAS_NO_IO,
            ASHMEM_IS_PURE_LOGIC, NATIVE_CALLS_ONLY_IN_SYS, CONTROL_IS_ONLY_THE_PROTOCOL, ANALYSIS_DOES_NOT_RENDER, CLI_USES_NO_DAEMON_INTERNALS,
            NOTHING_BELOW_USES_ADMIN, CORE_DOES_NOT_USE_RESTART, NO_CYCLES);
}
