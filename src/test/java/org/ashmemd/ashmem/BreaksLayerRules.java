package org.ashmemd.ashmem;

/** Uses device/, above it, which closes a cycle (see LayerRulesCatchViolationsTest). */
final class BreaksLayerRules {
    Class<?> device = org.ashmemd.device.AshmemCharDevice.class;
}
