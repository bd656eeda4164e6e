/**
 * The man pages and the bash completion, rendered from both programs' picocli definitions at
 * build time; the only package that sees both {@code daemon/} and {@code cli/}.
 */
package org.ashmemd.manual;
