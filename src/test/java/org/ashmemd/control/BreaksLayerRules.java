package org.ashmemd.control;

/** The protocol using picocli and the device (see LayerRulesCatchViolationsTest). */
final class BreaksLayerRules {
    Class<?> picocli = picocli.CommandLine.class;
    Class<?> device = org.ashmemd.device.OpenerResolver.class;
}
