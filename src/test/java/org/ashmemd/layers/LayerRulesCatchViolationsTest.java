package org.ashmemd.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each rule of {@link LayerRules} fails on a class that breaks it: the test tree has one class
 * named {@code BreaksLayerRules} in each package concerned, which the main rules never see.
 */
class LayerRulesCatchViolationsTest {
    private static final JavaClasses CLASSES = new ClassFileImporter().importClasses(
            org.ashmemd.cuse.session.CuseSession.class, classOf("org.ashmemd.cuse.session.BreaksLayerRules"),
            org.ashmemd.ashmem.Area.class, classOf("org.ashmemd.ashmem.BreaksLayerRules"),
            org.ashmemd.device.AshmemCharDevice.class, classOf("org.ashmemd.device.BreaksLayerRules"),
            classOf("org.ashmemd.cli.BreaksLayerRules"), classOf("org.ashmemd.posix.BreaksLayerRules"),
            classOf("org.ashmemd.control.BreaksLayerRules"), classOf("org.ashmemd.leaks.BreaksLayerRules"));

    private static Class<?> classOf(String name) {
        try {
            return Class.forName(name);
        } catch (ClassNotFoundException e) {
            throw new AssertionError(e);
        }
    }

    static Stream<Arguments> rulesAndTheClassThatBreaksThem() {
        return Stream.of(
                Arguments.of(LayerRules.LEAVES_USE_NOTHING, "org.ashmemd.posix.BreaksLayerRules"),
                Arguments.of(LayerRules.CUSE_KNOWS_NO_ASHMEM, "org.ashmemd.cuse.session.BreaksLayerRules"),
                Arguments.of(LayerRules.CUSE_PROTOCOL_HAS_NO_IO, "org.ashmemd.cuse.session.BreaksLayerRules"),
                Arguments.of(LayerRules.ASHMEM_IS_PURE_LOGIC, "org.ashmemd.ashmem.BreaksLayerRules"),
                Arguments.of(LayerRules.NATIVE_CALLS_ONLY_IN_SYS, "org.ashmemd.cli.BreaksLayerRules"),
                Arguments.of(LayerRules.CONTROL_IS_ONLY_THE_PROTOCOL, "org.ashmemd.control.BreaksLayerRules"),
                Arguments.of(LayerRules.ANALYSIS_DOES_NOT_RENDER, "org.ashmemd.leaks.BreaksLayerRules"),
                Arguments.of(LayerRules.CLI_USES_NO_DAEMON_INTERNALS, "org.ashmemd.cli.BreaksLayerRules"),
                Arguments.of(LayerRules.NOTHING_BELOW_USES_ADMIN, "org.ashmemd.device.BreaksLayerRules"),
                Arguments.of(LayerRules.CORE_DOES_NOT_USE_RESTART, "org.ashmemd.cuse.session.BreaksLayerRules"),
                Arguments.of(LayerRules.NO_CYCLES, "org.ashmemd.ashmem.BreaksLayerRules"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rulesAndTheClassThatBreaksThem")
    void theRuleFailsOnTheClassThatBreaksIt(ArchRule rule, String breaker) {
        EvaluationResult result = rule.evaluate(CLASSES);
        String report = result.getFailureReport().toString();
        assertTrue(result.hasViolation() && report.contains(breaker), report);
    }

    @Test
    void everyRuleIsShownToFail() {
        assertEquals(LayerRules.ALL.size(), rulesAndTheClassThatBreaksThem().count());
    }
}
