package org.ashmemd.restart;

/** Stands for a class of restart/ in LayerRulesCatchViolationsTest. */
public final class BreaksLayerRulesTarget {
}
