package org.ashmemd.cuse.session;

/** Uses what cuse/ must not: the ashmem core, the transport, sys/ and restart/ (see LayerRulesCatchViolationsTest). */
final class BreaksLayerRules {
    Class<?> area = org.ashmemd.ashmem.Area.class;
    Class<?> transport = org.ashmemd.cuse.transport.CuseTransport.class;
    Class<?> sys = org.ashmemd.sys.SystemInfo.class;
    Class<?> restart = org.ashmemd.restart.BreaksLayerRulesTarget.class;
}
