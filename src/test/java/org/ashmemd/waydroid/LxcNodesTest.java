package org.ashmemd.waydroid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** ashmemd's block in Waydroid's config_nodes. */
class LxcNodesTest {
    private static final String BOOT = WaydroidFixture.BOOT_ID;

    @Test
    void blockFollowsTheTmpfsOnDevWhenWaydroidHasNoAshmemLine() throws IOException {
        String nodes = WaydroidFixture.resourceText("var/lib/waydroid/lxc/waydroid/config_nodes");
        String applied = LxcNodes.apply(nodes, BOOT);
        List<String> l = applied.lines().toList();
        assertEquals("lxc.mount.entry = tmpfs dev tmpfs nosuid 0 0", l.get(0));
        assertEquals(LxcNodes.BEGIN, l.get(1));
        assertEquals(LxcNodes.deviceEntry().line(), l.get(2));
        assertEquals(LxcNodes.aliasEntry(BOOT).line(), l.get(3));
        assertEquals(LxcNodes.brokerEntry().line(), l.get(4));
        assertEquals(LxcNodes.END, l.get(5));
        assertEquals(nodes, LxcNodes.unapply(applied));
        assertEquals(applied, LxcNodes.apply(applied, BOOT));
        assertFalse(LxcNodes.hasOwnDeviceEntry(applied));
    }

    @Test
    void blockFollowsWaydroidsOwnAshmemLineWithoutRepeatingIt() throws IOException {
        String nodes = WaydroidFixture.resourceText("config_nodes.with-ashmem");
        String applied = LxcNodes.apply(nodes, BOOT);
        List<String> l = applied.lines().toList();
        int own = l.indexOf(LxcNodes.deviceEntry().line());
        assertEquals(List.of(LxcNodes.BEGIN, LxcNodes.aliasEntry(BOOT).line(), LxcNodes.brokerEntry().line(),
                LxcNodes.END), l.subList(own + 1, own + 5));
        assertEquals(1, l.stream().filter(LxcNodes.deviceEntry().line()::equals).count());
        assertTrue(LxcNodes.hasOwnDeviceEntry(applied));
        assertEquals(nodes, LxcNodes.unapply(applied));
    }

    @Test
    void newBootIdReplacesTheAlias() {
        String applied = LxcNodes.apply("lxc.mount.entry = tmpfs dev tmpfs nosuid 0 0\n", BOOT);
        String other = "00000000-1111-2222-3333-444444444444";
        String again = LxcNodes.apply(applied, other);
        assertFalse(again.contains(BOOT));
        assertTrue(again.contains(LxcNodes.aliasEntry(other).line()));
    }

    @Test
    void withoutBootIdNoAlias() {
        String applied = LxcNodes.apply("lxc.mount.entry = tmpfs dev tmpfs nosuid 0 0", null);
        assertEquals("lxc.mount.entry = tmpfs dev tmpfs nosuid 0 0\n" + LxcNodes.BEGIN + "\n"
                + LxcNodes.deviceEntry().line() + "\n" + LxcNodes.brokerEntry().line() + "\n" + LxcNodes.END + "\n", applied);
    }

    @Test
    void aBlockWithoutItsEndMarkerIsStillRemoved() {
        String t = "lxc.mount.entry = tmpfs dev tmpfs nosuid 0 0\n" + LxcNodes.BEGIN + "\n" + LxcNodes.brokerEntry().line()
                + "\nlxc.mount.entry = /dev/zero dev/zero none bind,create=file,optional 0 0\n";
        assertEquals("lxc.mount.entry = tmpfs dev tmpfs nosuid 0 0\n"
                + "lxc.mount.entry = /dev/zero dev/zero none bind,create=file,optional 0 0\n", LxcNodes.unapply(t));
    }

    @Test
    void parsesEntries() {
        LxcNodes.Entry e = LxcNodes.parse("  lxc.mount.entry=/dev/ashmem   dev/ashmem none bind,create=file,optional 0 0");
        assertEquals(LxcNodes.deviceEntry(), e);
        assertEquals(null, LxcNodes.parse("lxc.mount.entryx = a b c"));
        assertEquals(null, LxcNodes.parse("# lxc.mount.entry = a b c d"));
    }
}
