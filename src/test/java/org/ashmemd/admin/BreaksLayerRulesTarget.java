package org.ashmemd.admin;

/** Stands for a class of admin/ in LayerRulesCatchViolationsTest. */
public final class BreaksLayerRulesTarget {
}
