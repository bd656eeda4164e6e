package org.ashmemd.cli;

/** Uses the daemon's internals and calls libc (see LayerRulesCatchViolationsTest). */
final class BreaksLayerRules {
    Class<?> daemon = org.ashmemd.daemon.DaemonConfig.class;

    int pid() {
        return org.ashmemd.sys.LibC.INSTANCE.close(-1);
    }
}
