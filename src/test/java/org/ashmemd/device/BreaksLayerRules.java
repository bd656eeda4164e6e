package org.ashmemd.device;

/** The device using the admin service above it (see LayerRulesCatchViolationsTest). */
final class BreaksLayerRules {
    Class<?> admin = org.ashmemd.admin.BreaksLayerRulesTarget.class;
}
