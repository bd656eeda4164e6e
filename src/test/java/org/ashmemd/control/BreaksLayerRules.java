package org.ashmemd.control;

/** The protocol using picocli, the device and jnr (see LayerRulesCatchViolationsTest). */
final class BreaksLayerRules {
    Class<?> picocli = picocli.CommandLine.class;
    Class<?> device = org.ashmemd.device.OpenerResolver.class;
    Class<?> jnr = jnr.unixsocket.UnixSocketChannel.class;
}
