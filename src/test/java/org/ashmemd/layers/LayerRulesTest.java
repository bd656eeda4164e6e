package org.ashmemd.layers;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/** The main classes against README's package table. */
@AnalyzeClasses(packages = "org.ashmemd", importOptions = ImportOption.DoNotIncludeTests.class)
class LayerRulesTest {
    @ArchTest
    static final ArchRule leavesUseNothing = LayerRules.LEAVES_USE_NOTHING;
    @ArchTest
    static final ArchRule cuseKnowsNoAshmem = LayerRules.CUSE_KNOWS_NO_ASHMEM;
    @ArchTest
    static final ArchRule cuseProtocolHasNoIo = LayerRules.CUSE_PROTOCOL_HAS_NO_IO;
    @ArchTest
    static final ArchRule ashmemIsPureLogic = LayerRules.ASHMEM_IS_PURE_LOGIC;
    @ArchTest
    static final ArchRule nativeCallsOnlyInSys = LayerRules.NATIVE_CALLS_ONLY_IN_SYS;
    @ArchTest
    static final ArchRule controlIsOnlyTheProtocol = LayerRules.CONTROL_IS_ONLY_THE_PROTOCOL;
    @ArchTest
    static final ArchRule analysisDoesNotRender = LayerRules.ANALYSIS_DOES_NOT_RENDER;
    @ArchTest
    static final ArchRule cliUsesNoDaemonInternals = LayerRules.CLI_USES_NO_DAEMON_INTERNALS;
    @ArchTest
    static final ArchRule nothingBelowUsesAdmin = LayerRules.NOTHING_BELOW_USES_ADMIN;
    @ArchTest
    static final ArchRule coreDoesNotUseRestart = LayerRules.CORE_DOES_NOT_USE_RESTART;
    @ArchTest
    static final ArchRule noCycles = LayerRules.NO_CYCLES;
}
