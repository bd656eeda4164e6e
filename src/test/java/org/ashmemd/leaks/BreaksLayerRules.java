package org.ashmemd.leaks;

/** Analysis that renders through the CLI (see LayerRulesCatchViolationsTest). */
final class BreaksLayerRules {
    Class<?> cli = org.ashmemd.cli.AshmemCtl.class;
}
