/**
 * Switches a Waydroid installation from memfd to ashmemd's device and back: the preload library
 * and the init script in Waydroid's overlay, ashmemd's entries in its LXC node configuration, the
 * {@code sys.use_memfd} override in {@code waydroid.cfg}, each change recorded with the original
 * bytes so that it can be undone exactly. Works on files under a root directory only (plus an
 * optional run of {@code waydroid upgrade -o}); knows nothing of picocli or of the daemon's
 * internals.
 */
package org.ashmemd.waydroid;
