package org.ashmemd.posix;

/** A leaf that uses another package (see LayerRulesCatchViolationsTest). */
final class BreaksLayerRules {
    Class<?> control = org.ashmemd.control.Opener.class;
}
