package org.ashmemd.procscan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ContainerNamesTest {
    private static final String ID = "3f9c2b7d41e8a05c6b2d9e7f1a3c5b8d0e2f4a6c8b1d3e5f7a9c0b2d4e6f8a1b";

    @ParameterizedTest(name = "{0} -> \"{1}\"")
    @CsvSource(delimiter = '|', value = { // an empty column reads as null: ""
        // the host
        "/|",
        "|",
        "/init.scope|",
        "/user.slice|",
        // LXC 4+ (and Waydroid, LXD), with the payload's own sub-cgroups
        "/lxc.payload.waydroid2/uid_10061/pid_2417|waydroid2",
        "/lxc.payload.waydroid|waydroid",
        "/lxc.payload.android-11/system.slice/foo.service|android-11",
        "/lxc.monitor.waydroid|waydroid",
        // LXC 3 and earlier
        "/lxc.payload/android|android",
        "/lxc/android|android",
        "/lxc/android/init.scope|android",
        // Docker, cgroupfs and systemd drivers, rootless
        "/docker/" + ID + "|docker:3f9c2b7d41e8",
        "/system.slice/docker-" + ID + ".scope|docker:3f9c2b7d41e8",
        "/user.slice/user-1000.slice/user@1000.service/docker.service/docker/" + ID + "|docker:3f9c2b7d41e8",
        "/system.slice/docker.service|docker.service",
        // containerd, Kubernetes, CRI-O, nerdctl
        "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod6f1c2e34_9a5b_4c1d_8e7f_0a1b2c3d4e5f.slice/cri-containerd-"
                + ID + ".scope|containerd:3f9c2b7d41e8",
        "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod6f1c.slice/crio-" + ID + ".scope|crio:3f9c2b7d41e8",
        "/kubepods.slice/kubepods-pod6f1c.slice/crio-conmon-" + ID + ".scope|crio:3f9c2b7d41e8",
        "/kubepods/burstable/pod6f1c2e34-9a5b-4c1d-8e7f-0a1b2c3d4e5f/" + ID + "|k8s:3f9c2b7d41e8",
        "/kubepods/pod6f1c2e34-9a5b-4c1d-8e7f-0a1b2c3d4e5f/" + ID + "|k8s:3f9c2b7d41e8",
        "/containerd/" + ID + "|containerd:3f9c2b7d41e8",
        "/containerd/default/" + ID + "|containerd:3f9c2b7d41e8",
        "/system.slice/nerdctl-" + ID + ".scope|containerd:3f9c2b7d41e8",
        "/system.slice/containerd.service|containerd.service",
        // Podman: systemd and cgroupfs drivers, inner cgroup of --cgroupns=private, conmon
        "/machine.slice/libpod-" + ID + ".scope|podman:3f9c2b7d41e8",
        "/machine.slice/libpod-" + ID + ".scope/container|podman:3f9c2b7d41e8",
        "/libpod_parent/libpod-" + ID + "|podman:3f9c2b7d41e8",
        "/machine.slice/libpod-conmon-" + ID + ".scope|podman:3f9c2b7d41e8",
        "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + ID + ".scope|podman:3f9c2b7d41e8",
        // systemd-machined: nspawn, libvirt
        "/machine.slice/systemd-nspawn@debian.service/payload|debian",
        "/machine.slice/machine-waydroid\\x2dtest.scope|waydroid-test",
        "/machine.slice/machine-qemu\\x2d1\\x2dvm.scope/libvirt/emulator|qemu-1-vm",
        // plain systemd units and user sessions
        "/system.slice/waydroid-container.service|waydroid-container.service",
        "/system.slice/ashmemd.service|ashmemd.service",
        "/system.slice/system-getty.slice/getty@tty1.service|getty@tty1.service",
        "/system.slice/foo.service/sub/group|foo.service",
        "/user.slice/user-1000.slice/session-3.scope|user-1000.slice",
        "/user.slice/user-1000.slice/user@1000.service/app.slice/app-org.gnome.Terminal.slice/vte-spawn-1.scope|user-1000.slice",
        // shapes it does not know, and ids too short to be container ids
        "/process_api/899c39d0d6e90d67012a12bcf6ed4964|",
        "/docker/abc|",
        "/docker|",
        "/mygroup/sub|",
    })
    void fromPath(String path, String container) {
        assertEquals(container == null ? "" : container, ContainerNames.fromPath(path == null ? "" : path));
    }

    @ParameterizedTest(name = "{0}.cgroup -> \"{1}\"")
    @CsvSource(delimiter = '|', value = { // an empty column reads as null: ""
        "host-root|",
        "lxc-waydroid|waydroid2",
        "lxc-legacy|android",
        "docker-systemd|docker:3f9c2b7d41e8",
        "docker-cgroupfs|docker:3f9c2b7d41e8", // v2 left at "/": only v1 lines tell
        "kubepods-containerd|containerd:3f9c2b7d41e8",
        "podman|podman:3f9c2b7d41e8",
        "systemd-service|waydroid-container.service",
        "user-session|user-1000.slice",
    })
    void fromRealCgroupFiles(String shape, String container) throws Exception {
        assertEquals(container == null ? "" : container, ContainerNames.of(Cgroups.parse(ProcFixtures.cgroupFile(shape))));
    }

    @Test
    void aContainerInAnyHierarchyWinsOverAUnitInV2() {
        Cgroups hybrid = Cgroups.parse("9:name=systemd:/system.slice/containerd.service\n"
                + "4:memory:/kubepods/besteffort/pod1/" + ID + "\n0::/system.slice/containerd.service\n");
        assertEquals("k8s:3f9c2b7d41e8", ContainerNames.of(hybrid));
    }

    @Test
    void processesOfTheFixtureTree() {
        assertEquals("waydroid2", ContainerNames.ofProcess(ProcFixtures.resource("host/proc"), ProcFixtures.pid("mapper")));
        assertEquals("ashmemd.service", ContainerNames.ofProcess(ProcFixtures.resource("host/proc"),
                ProcFixtures.pid("holder")));
        assertEquals("", ContainerNames.ofProcess(ProcFixtures.resource("host/proc"), ProcFixtures.pid("sleeper")));
        assertEquals("", ContainerNames.ofProcess(ProcFixtures.resource("host/proc"), 1), "gone: the host");
    }

    @Test
    void shortIds() {
        assertEquals("3f9c2b7d41e8", ContainerNames.shortId(ID));
        assertEquals("abc", ContainerNames.shortId("abc"));
    }

    @Test
    void cgroupFileLines() throws Exception {
        Cgroups c = Cgroups.parse(ProcFixtures.cgroupFile("docker-cgroupfs"));
        assertEquals("/", c.unifiedPath());
        assertEquals("/docker/" + ID, c.path("memory"));
        assertEquals("/docker/" + ID, c.path("name=systemd"));
        assertEquals("/", c.path("cpu"));
        assertNull(c.path("hugetlb"));
        assertEquals("/docker/" + ID, c.primaryPath());
        assertEquals(List.of("name=systemd"), c.entries().get(0).controllers());
        Cgroups v2 = Cgroups.parse("0::/system.slice/ashmemd.service\n");
        assertEquals("/system.slice/ashmemd.service", v2.primaryPath());
        assertEquals("/", Cgroups.parse("0::/\n").primaryPath());
        assertEquals("", Cgroups.parse("").primaryPath());
        Cgroups colons = Cgroups.parse("0::/weird:name/x\n");
        assertEquals("/weird:name/x", colons.unifiedPath());
    }
}
