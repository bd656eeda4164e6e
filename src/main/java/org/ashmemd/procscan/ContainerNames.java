package org.ashmemd.procscan;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A short container name from a cgroup path, "" for the host.
 *
 * <ul>
 * <li>LXC (and Waydroid, LXD): {@code /lxc.payload.NAME/...}, {@code /lxc.payload/NAME},
 *     {@code /lxc/NAME} → NAME</li>
 * <li>Docker: {@code /docker/ID}, {@code /system.slice/docker-ID.scope} → {@code docker:ID12}</li>
 * <li>containerd: {@code cri-containerd-ID.scope}, {@code nerdctl-ID.scope}, {@code /containerd/ID}
 *     → {@code containerd:ID12}; CRI-O {@code crio-ID.scope} → {@code crio:ID12}; Kubernetes with
 *     cgroupfs {@code /kubepods/QOS/podUID/ID} → {@code k8s:ID12}</li>
 * <li>Podman: {@code libpod-ID.scope}, {@code /libpod_parent/libpod-ID} → {@code podman:ID12}</li>
 * <li>systemd-machined: {@code machine-NAME.scope}, {@code systemd-nspawn@NAME.service} → NAME</li>
 * <li>otherwise the systemd unit: {@code /system.slice/foo.service} → {@code foo.service}, and a
 *     user's processes → {@code user-UID.slice}; the root, {@code init.scope} and unknown shapes → ""</li>
 * </ul>
 * Container ids are cut to 12 characters, as container tools print them.
 */
public final class ContainerNames {
    public static final int SHORT_ID = 12;

    private ContainerNames() {
    }

    /** The container of a process, from its /proc/PID/cgroup file; "" when it cannot be read. */
    public static String ofProcess(Path proc, int pid) {
        try {
            // a cgroup's name is any bytes its creator chose: U+FFFD for invalid UTF-8, never refused
            return of(Cgroups.parse(ProcIo.system().read(proc.resolve(pid + "/cgroup"))));
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * The container across all hierarchies of a cgroup file: a container manager's cgroup in any of
     * them wins over a systemd unit, since hybrid hosts may show a container only in v1 lines.
     */
    public static String of(Cgroups cgroups) {
        List<String> paths = cgroups.pathsByPreference();
        for (String p : paths) {
            String c = container(segments(p));
            if (c != null) {
                return c;
            }
        }
        for (String p : paths) {
            String u = unit(segments(p));
            if (u != null) {
                return u;
            }
        }
        return "";
    }

    /** The container of one cgroup path. */
    public static String fromPath(String path) {
        if (path == null) {
            return "";
        }
        List<String> s = segments(path);
        String c = container(s);
        if (c != null) {
            return c;
        }
        String u = unit(s);
        return u == null ? "" : u;
    }

    /** The first 12 characters of a container id. */
    public static String shortId(String id) {
        return id.length() > SHORT_ID ? id.substring(0, SHORT_ID) : id;
    }

    private static String container(List<String> s) {
        boolean kube = false;
        for (int i = 0; i < s.size(); i++) {
            String seg = s.get(i);
            String next = i + 1 < s.size() ? s.get(i + 1) : null;
            if (seg.startsWith("lxc.payload.") && seg.length() > "lxc.payload.".length()) {
                return seg.substring("lxc.payload.".length());
            }
            if (seg.startsWith("lxc.monitor.") && seg.length() > "lxc.monitor.".length()) {
                return seg.substring("lxc.monitor.".length());
            }
            if ((seg.equals("lxc.payload") || seg.equals("lxc")) && next != null) {
                return next;
            }
            String id;
            if (seg.equals("docker") && next != null && isId(next)) {
                return "docker:" + shortId(next);
            }
            if ((id = scoped(seg, "docker-")) != null) {
                return "docker:" + shortId(id);
            }
            if ((id = scoped(seg, "cri-containerd-")) != null || (id = scoped(seg, "nerdctl-")) != null) {
                return "containerd:" + shortId(id);
            }
            if (seg.equals("containerd")) {
                for (int j = i + 1; j < Math.min(s.size(), i + 3); j++) {
                    if (isId(s.get(j))) {
                        return "containerd:" + shortId(s.get(j));
                    }
                }
            }
            if ((id = scoped(seg, "crio-conmon-")) != null || (id = scoped(seg, "crio-")) != null) {
                return "crio:" + shortId(id);
            }
            if ((id = scoped(seg, "libpod-conmon-")) != null || (id = scoped(seg, "libpod-")) != null) {
                return "podman:" + shortId(id);
            }
            if (seg.startsWith("machine-") && seg.endsWith(".scope") && seg.length() > "machine-.scope".length()) {
                return unescape(seg.substring("machine-".length(), seg.length() - ".scope".length()));
            }
            if (seg.startsWith("systemd-nspawn@") && seg.endsWith(".service")) {
                return unescape(seg.substring("systemd-nspawn@".length(), seg.length() - ".service".length()));
            }
            if (seg.equals("kubepods") || seg.startsWith("kubepods.") || seg.startsWith("kubepods-")) {
                kube = true;
            } else if (kube && isId(seg)) {
                return "k8s:" + shortId(seg);
            }
        }
        return null;
    }

    private static String unit(List<String> s) {
        if (s.size() >= 2 && s.get(0).equals("user.slice") && s.get(1).startsWith("user-")) {
            return s.get(1);
        }
        for (String seg : s) {
            if (seg.equals("init.scope")) {
                return null;
            }
            if (seg.endsWith(".service") || seg.endsWith(".scope")) {
                return seg;
            }
        }
        return null;
    }

    /** The id in "PREFIXid.scope" (or "PREFIXid" as cgroupfs drivers name it), or null. */
    private static String scoped(String seg, String prefix) {
        if (!seg.startsWith(prefix)) {
            return null;
        }
        String id = seg.substring(prefix.length());
        if (id.endsWith(".scope")) {
            id = id.substring(0, id.length() - ".scope".length());
        }
        return isId(id) ? id : null;
    }

    /** A container id: hex, at least 12 digits (the full ones have 64). */
    private static boolean isId(String s) {
        if (s.length() < SHORT_ID) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    private static List<String> segments(String path) {
        List<String> out = new ArrayList<>();
        for (String p : path.split("/")) {
            if (!p.isEmpty()) {
                out.add(p);
            }
        }
        return out;
    }

    /** systemd's unit name escaping: "\x2d" for '-'. */
    private static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length() && s.charAt(i + 1) == 'x') {
                try {
                    b.append((char) Integer.parseInt(s.substring(i + 2, i + 4), 16));
                    i += 3;
                    continue;
                } catch (NumberFormatException e) {
                    // not an escape; keep it as written
                }
            }
            b.append(c);
        }
        return b.toString();
    }
}
