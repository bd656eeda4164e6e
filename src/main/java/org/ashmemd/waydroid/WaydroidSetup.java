package org.ashmemd.waydroid;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Switches Waydroid to ashmemd ({@link #enable}), keeps it switched across Waydroid's own
 * regenerations ({@link #reapply}), switches it back ({@link #disable}).
 *
 * <p>What enable does, each step only when needed (so a second run changes nothing):
 * <ol>
 * <li>the preload library of each ABI the image runs, from the installation, into
 *     {@code overlay/system/lib{,64}} and {@code overlay/vendor/lib{,64}} (vendor processes
 *     load only from {@code /vendor} and {@code /odm});</li>
 * <li>{@code ashmemd.rc} into {@code overlay/system/etc/init}: it exports {@code LD_PRELOAD} and
 *     {@code ASHMEMD_BROKER} to every service init starts, the zygote included;</li>
 * <li>ashmemd's entries in {@code lxc/waydroid/config_nodes} (see {@link LxcNodes});</li>
 * <li>{@code sys.use_memfd=false} in {@code waydroid.cfg [properties]}, which Waydroid copies into
 *     {@code waydroid_base.prop} when it regenerates its configuration;</li>
 * <li>{@code waydroid upgrade -o} (offline: regenerates, downloads nothing), then step 3 again,
 *     since the regeneration rewrites {@code config_nodes}.</li>
 * </ol>
 */
public final class WaydroidSetup {
    static final String PROPERTIES = "properties";
    static final String USE_MEMFD = "sys.use_memfd";
    static final String CONTAINER = "waydroid";
    static final String RESTART = "sudo systemctl restart waydroid-container";
    static final List<String> UPGRADE = List.of("upgrade", "-o");
    private static final String[] PARTITIONS = {"system", "vendor"};
    private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-r--r--");
    private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwxr-xr-x");

    private final WaydroidLayout layout;
    private final Installation installation;
    private final WaydroidTool waydroid;
    private final Clock clock;

    public WaydroidSetup(WaydroidLayout layout, Installation installation, WaydroidTool waydroid, Clock clock) {
        this.layout = layout;
        this.installation = installation;
        this.waydroid = waydroid;
        this.clock = clock;
    }

    public WaydroidLayout layout() {
        return layout;
    }

    /** What a run did or would do. */
    public record Outcome(int changes, boolean upgradePending) {
    }

    /** One file enable wants to be a certain way. */
    private record Want(Path path, String what, byte[] bytes, boolean edited) {
    }

    /** Switches Waydroid to ashmemd; with {@code dryRun}, says what it would change and changes nothing. */
    public Outcome enable(boolean dryRun, Consumer<String> out) throws IOException, WaydroidException {
        String cfg = readConfig();
        requireInitialized();
        AshmemdProbe.Result up = AshmemdProbe.probe(layout);
        if (!up.up()) {
            throw new WaydroidException(WaydroidException.Reason.ASHMEMD_DOWN, "ashmemd is not running: " + up.detail()
                    + ". Start it first (sudo systemctl start ashmemd): Waydroid binds /dev/ashmem only if it "
                    + "exists when it regenerates its configuration");
        }
        out.accept("ashmemd is up: " + up.detail());
        SetupState state = SetupState.load(layout.state());
        int changes = apply(state, wanted(cfg, out, true), dryRun, out, false);
        boolean pending = !upgradeApplied();
        boolean ran = false;
        if (pending) {
            Optional<Path> exe = runnableWaydroid();
            if (exe.isEmpty()) {
                out.accept("Then regenerate Waydroid's configuration (it applies waydroid.cfg [properties] only then): "
                        + "sudo waydroid upgrade -o");
            } else if (upgrade(exe.get(), dryRun, out,
                    "the files are switched, run it again once it works, then 'sudo ashmemctl waydroid enable'")) {
                ran = true;
                // the regeneration rewrote config_nodes (and may have saved waydroid.cfg): again
                int again = apply(SetupState.load(layout.state()), wanted(readConfig(), out, false), false, out, true);
                changes += again;
                pending = !upgradeApplied();
                if (pending) {
                    out.accept("warning: " + layout.baseProps() + " still lacks " + USE_MEMFD + "=false after the "
                            + "upgrade; check 'waydroid prop get " + USE_MEMFD + "' after the restart");
                }
            }
        }
        if (changes == 0 && !ran) {
            out.accept(pending ? "Nothing else to change." : "Waydroid already uses ashmemd: nothing to change.");
        } else if (!dryRun) {
            out.accept("Restart the container to use ashmemd: " + RESTART);
        }
        return new Outcome(changes, pending);
    }

    /**
     * Puts back what Waydroid's own regenerations (package upgrades, {@code waydroid upgrade})
     * removed, before the container starts; does nothing unless enable was run. Never fails for
     * ashmemd being down: the entries are optional mounts, and a warning goes to the journal.
     */
    public Outcome reapply(Consumer<String> out) throws IOException, WaydroidException {
        SetupState state = SetupState.load(layout.state());
        if (!state.exists()) {
            out.accept("Waydroid is not switched to ashmemd (no " + layout.state() + "): nothing to reapply");
            if (exposedWithoutLibrary(readText(layout.configNodes()))) {
                out.accept("warning: " + EXPOSED);
            }
            return new Outcome(0, false);
        }
        String cfg = readConfig();
        requireInitialized();
        AshmemdProbe.Result up = AshmemdProbe.probe(layout);
        if (!up.up()) {
            out.accept("warning: ashmemd is not running (" + up.detail() + "); Android will lack /dev/ashmem");
        }
        int changes = apply(state, wanted(cfg, out, false), false, out, true);
        boolean pending = !upgradeApplied();
        if (pending) {
            out.accept("warning: " + layout.baseProps() + " lacks " + USE_MEMFD + "=false: run 'sudo waydroid upgrade -o'");
        }
        if (changes == 0) {
            out.accept("Waydroid's files still carry ashmemd's changes");
        }
        return new Outcome(changes, pending);
    }

    /** Undoes enable: restores every file it changed, removes every file it created. */
    public Outcome disable(boolean dryRun, Consumer<String> out) throws IOException, WaydroidException {
        SetupState state = SetupState.load(layout.state());
        if (!state.exists()) {
            out.accept("Waydroid is not switched to ashmemd (no " + layout.state() + "): nothing to undo.");
            return new Outcome(0, false);
        }
        String verb = dryRun ? "would " : "";
        int changes = 0;
        List<SetupState.Item> items = new ArrayList<>(state.items());
        java.util.Collections.reverse(items);
        for (SetupState.Item item : items) {
            Path p = layout.resolve(item.path());
            byte[] current = readIfExists(p);
            switch (item.kind()) {
                case CREATED:
                    if (current != null) {
                        out.accept(verb + "remove " + p);
                        if (!dryRun) {
                            Files.delete(p);
                        }
                        changes++;
                    }
                    break;
                case REPLACED: {
                    byte[] original = state.original(item);
                    if (current == null || !Arrays.equals(current, original)) {
                        out.accept(verb + "restore " + p);
                        if (!dryRun) {
                            write(p, original);
                        }
                        changes++;
                    }
                    break;
                }
                case EDITED: {
                    if (current == null) {
                        out.accept(p + " is gone; not restoring it");
                        break;
                    }
                    byte[] target;
                    if (SetupState.isWritten(item, current)) {
                        target = state.original(item);
                    } else {
                        target = unapply(p, current, state);
                        out.accept(p + " was rewritten since enable (by Waydroid?): taking out ashmemd's changes only");
                    }
                    if (!Arrays.equals(current, target)) {
                        out.accept(verb + "restore " + p);
                        if (!dryRun) {
                            write(p, target);
                        }
                        changes++;
                    }
                    break;
                }
                default:
                    throw new IllegalStateException("unknown kind " + item.kind());
            }
        }
        out.accept(verb + "remove " + state.dir());
        List<String> dirs = new ArrayList<>(state.createdDirectories());
        dirs.sort(Comparator.comparingInt(String::length).reversed());
        if (!dryRun) {
            state.delete();
            for (String d : dirs) {
                try {
                    Files.deleteIfExists(layout.resolve(d));
                } catch (DirectoryNotEmptyException e) {
                    out.accept("keeping " + layout.resolve(d) + ": it holds other files now");
                }
            }
        }
        AshmemdProbe.Result up = AshmemdProbe.probe(layout);
        Optional<Path> exe = runnableWaydroid();
        if (up.up()) {
            out.accept("ashmemd is still up. While /dev/ashmem exists, Waydroid's regeneration binds it and leaves "
                    + "memfd off, and Android would use the device without the preload library. To finish:");
            out.accept("  sudo systemctl stop ashmemd && sudo waydroid upgrade -o && " + RESTART);
        } else if (exe.isPresent()) {
            if (upgrade(exe.get(), dryRun, out, "the files are restored, run it again")) {
                out.accept("Restart the container: " + RESTART);
            }
        } else {
            out.accept("To finish: sudo waydroid upgrade -o && " + RESTART);
        }
        return new Outcome(changes, false);
    }

    // ---- status

    /** One checked piece: what, where, whether it is as enable leaves it, and a word on it. */
    public record Piece(String name, String where, boolean ok, String state) {
    }

    /** Everything status shows. */
    public record Status(boolean enabled, String enabledAt, AshmemdProbe.Result ashmemd, List<Piece> pieces,
            Container container, List<String> advice) {
        /** Whether the user has something to do. */
        public boolean actionNeeded() {
            return !advice.isEmpty();
        }

        public boolean ashmemdUp() {
            return ashmemd.up();
        }

        public String ashmemdDetail() {
            return ashmemd.detail();
        }
    }

    /**
     * The running container: whether it runs, how many processes, how many use ashmemd's device
     * (an fd to it or a mapping of its memfds) and how many use plain memfds; known is false when
     * the procfs ({@code proc}) could not be read or lists no processes.
     */
    public record Container(String proc, boolean known, int processes, int usingAshmemd, int usingMemfd,
            int usingKernelDriver) {
        public boolean running() {
            return processes > 0;
        }
    }

    public Status status() throws IOException, WaydroidException {
        String cfg = readConfig();
        SetupState state = SetupState.load(layout.state());
        AshmemdProbe.Result up = AshmemdProbe.probe(layout);
        List<Piece> pieces = new ArrayList<>();
        String arch = arch(cfg);
        for (Abi abi : Abi.forWaydroidArch(arch)) {
            Optional<Path> lib = installation.libraryIfPresent(abi);
            for (String part : PARTITIONS) {
                Path target = layout.library(part, abi);
                pieces.add(filePiece("library " + abi.arch() + " (" + part + ")", target, lib.orElse(null)));
            }
        }
        Path rc = installation.initScript();
        pieces.add(filePiece("init script", layout.initScript(), Files.isRegularFile(rc) ? rc : null));
        String nodes = readText(layout.configNodes());
        String bootId = bootId();
        List<LxcNodes.Entry> entries = nodes == null ? List.of() : LxcNodes.entries(nodes);
        boolean waydroidOwn = nodes != null && LxcNodes.hasOwnDeviceEntry(nodes);
        pieces.add(new Piece("lxc entry /dev/ashmem", layout.configNodes().toString(),
                entries.contains(LxcNodes.deviceEntry()), entries.contains(LxcNodes.deviceEntry())
                        ? (waydroidOwn ? "present (Waydroid's)" : "present") : "missing"));
        if (bootId != null) {
            boolean alias = entries.contains(LxcNodes.aliasEntry(bootId));
            boolean stale = !alias && entries.stream().anyMatch(e -> e.source().startsWith(LxcNodes.DEVICE)
                    && !e.source().equals(LxcNodes.DEVICE));
            pieces.add(new Piece("lxc entry /dev/ashmem<boot_id>", layout.configNodes().toString(), alias,
                    alias ? "present" : stale ? "stale (another boot's id)" : "missing"));
        }
        boolean broker = entries.contains(LxcNodes.brokerEntry());
        pieces.add(new Piece("lxc entry /run/ashmemd -> /dev/ashmemd", layout.configNodes().toString(), broker,
                broker ? "present" : "missing"));
        Optional<String> prop = IniText.parse(cfg).get(PROPERTIES, USE_MEMFD);
        boolean propOk = prop.isPresent() && prop.get().equalsIgnoreCase("false");
        pieces.add(new Piece(USE_MEMFD + " in [properties]", layout.config().toString(), propOk,
                prop.map(v -> "= " + v).orElse("not set")));
        Optional<String> base = baseProperty();
        boolean baseOk = base.isPresent() && base.get().equalsIgnoreCase("false");
        pieces.add(new Piece(USE_MEMFD + " applied", layout.baseProps().toString(), baseOk,
                base.map(v -> "= " + v).orElse(Files.exists(layout.baseProps()) ? "not set" : "file missing")));
        Container container = container();
        List<String> advice = new ArrayList<>();
        boolean allOk = pieces.stream().allMatch(Piece::ok);
        if (state.exists()) {
            if (!up.up()) {
                advice.add("Start ashmemd: sudo systemctl start ashmemd");
            }
            if (!allOk) {
                boolean onlyBase = pieces.stream().filter(p -> !p.ok()).allMatch(p -> p.name().equals(USE_MEMFD + " applied"));
                advice.add(onlyBase ? "Regenerate Waydroid's configuration: sudo waydroid upgrade -o"
                        : "Repair the switch: sudo ashmemctl waydroid enable");
            }
            if (container.running() && container.usingAshmemd() == 0) {
                advice.add("The running container does not use ashmemd yet. Restart it: " + RESTART);
            }
        } else {
            if (exposedWithoutLibrary(nodes)) {
                advice.add(EXPOSED);
            }
            if (container.running() && container.usingAshmemd() > 0) {
                advice.add("The running container still uses ashmemd. Restart it: " + RESTART);
            }
        }
        return new Status(state.exists(), state.enabledAt(), up, pieces, container, advice);
    }

    static final String EXPOSED = "Waydroid binds /dev/ashmem (it regenerated its configuration while ashmemd was up) "
            + "but Android has no preload library, so mapping ashmem fails there. Either switch it over: sudo ashmemctl "
            + "waydroid enable; or keep memfd: sudo systemctl stop ashmemd && sudo waydroid upgrade -o && " + RESTART;

    /**
     * Whether the container gets ashmemd's device without the switch: Waydroid's own entry binds
     * /dev/ashmem (it found the node while regenerating), memfd is not forced on, and the overlay
     * has no library. Android then opens the device, and its mmap fails.
     */
    private boolean exposedWithoutLibrary(String nodes) {
        if (nodes == null || !LxcNodes.hasOwnDeviceEntry(nodes)) {
            return false;
        }
        boolean memfdForced = baseProperty().map(v -> v.equalsIgnoreCase("true")).orElse(false);
        return !memfdForced && !Files.exists(layout.library("system", Abi.X86_64))
                && !Files.exists(layout.library("system", Abi.ARM64))
                && !Files.exists(layout.library("system", Abi.I386))
                && !Files.exists(layout.library("system", Abi.ARMHF));
    }

    private Piece filePiece(String name, Path target, Path source) throws IOException {
        byte[] have = readIfExists(target);
        if (have == null) {
            return new Piece(name, target.toString(), false, source == null ? "missing (not in this installation)" : "missing");
        }
        if (source == null) {
            return new Piece(name, target.toString(), true, "present");
        }
        boolean same = Arrays.equals(have, Files.readAllBytes(source));
        return new Piece(name, target.toString(), same, same ? "present" : "differs from " + source);
    }

    private Container container() {
        Path proc = layout.proc();
        List<Integer> pids = new ArrayList<>();
        try (var list = Files.list(proc)) {
            for (Path p : (Iterable<Path>) list::iterator) {
                String n = p.getFileName().toString();
                if (!n.isEmpty() && n.chars().allMatch(Character::isDigit) && n.length() < 10) {
                    pids.add(Integer.parseInt(n));
                }
            }
        } catch (IOException e) {
            return new Container(proc.toString(), false, 0, 0, 0, 0);
        }
        int inContainer = 0;
        for (int pid : pids) {
            if (CONTAINER.equals(org.ashmemd.procscan.ContainerNames.ofProcess(proc, pid))) {
                inContainer++;
            }
        }
        if (inContainer == 0) {
            return new Container(proc.toString(), !pids.isEmpty(), 0, 0, 0, 0);
        }
        int ashmemd = 0;
        int memfd = 0;
        int kernel = 0;
        try {
            var scan = org.ashmemd.procscan.ProcScanner.rooted(proc, layout.sys(),
                    org.ashmemd.procscan.AshmemClassifier.DEFAULT_DEVICE).scan();
            for (var p : scan.processes()) {
                if (!CONTAINER.equals(p.container())) {
                    continue;
                }
                if (p.kinds().containsKey(org.ashmemd.procscan.AshmemKind.ASHMEMD)) {
                    ashmemd++;
                }
                if (p.kinds().containsKey(org.ashmemd.procscan.AshmemKind.MEMFD)) {
                    memfd++;
                }
                if (p.kinds().containsKey(org.ashmemd.procscan.AshmemKind.KERNEL)) {
                    kernel++;
                }
            }
        } catch (org.ashmemd.procscan.ProcUnavailableException e) {
            return new Container(proc.toString(), false, inContainer, 0, 0, 0);
        }
        return new Container(proc.toString(), true, inContainer, ashmemd, memfd, kernel);
    }

    // ---- the steps

    /**
     * Runs {@code waydroid upgrade -o} (or, dry, says it would); true when it ran. A failure
     * throws with what the files are left as and what to do, {@code ifItFails}.
     */
    private boolean upgrade(Path exe, boolean dryRun, Consumer<String> out, String ifItFails)
            throws IOException, WaydroidException {
        if (dryRun) {
            out.accept("would run: " + exe + " upgrade -o");
            return false;
        }
        out.accept("running: " + exe + " upgrade -o");
        int status = waydroid.run(exe, UPGRADE, l -> out.accept("  waydroid: " + l));
        if (status != 0) {
            throw new WaydroidException(WaydroidException.Reason.WAYDROID_FAILED,
                    "'" + exe + " upgrade -o' failed (exit status " + status + "); " + ifItFails);
        }
        return true;
    }

    /** The files enable wants, from the installation and the current configuration. */
    private List<Want> wanted(String cfg, Consumer<String> out, boolean verbose) throws IOException, WaydroidException {
        List<Want> w = new ArrayList<>();
        String arch = arch(cfg);
        List<Abi> abis = Abi.forWaydroidArch(arch);
        if (abis.isEmpty()) {
            throw new WaydroidException(WaydroidException.Reason.INCOMPLETE_INSTALLATION, "Waydroid's architecture '"
                    + arch + "' (waydroid.cfg [waydroid] arch) is not one ashmemd has a preload library for");
        }
        for (Abi abi : abis) {
            Optional<Path> lib = installation.libraryIfPresent(abi);
            if (lib.isEmpty()) {
                if (abi == abis.get(0)) {
                    throw new WaydroidException(WaydroidException.Reason.INCOMPLETE_INSTALLATION, "no preload library for "
                            + abi.arch() + " in this installation (" + installation.library(abi) + ")");
                }
                if (verbose) {
                    out.accept("warning: no " + abi.arch() + " preload library in this installation ("
                            + installation.library(abi) + "): " + abi.arch() + " processes in Android cannot map ashmem");
                }
                continue;
            }
            byte[] bytes = Files.readAllBytes(lib.get());
            for (String part : PARTITIONS) {
                w.add(new Want(layout.library(part, abi), abi.arch() + " preload library", bytes, false));
            }
        }
        Path rc = installation.initScript();
        if (!Files.isRegularFile(rc)) {
            throw new WaydroidException(WaydroidException.Reason.INCOMPLETE_INSTALLATION, "no Android init script in "
                    + "this installation (" + rc + ")");
        }
        w.add(new Want(layout.initScript(), "init script", Files.readAllBytes(rc), false));
        byte[] nodes = Files.readAllBytes(layout.configNodes());
        String nodesText = new String(nodes, StandardCharsets.ISO_8859_1);
        w.add(new Want(layout.configNodes(), "LXC node entries",
                LxcNodes.apply(nodesText, bootId()).getBytes(StandardCharsets.ISO_8859_1), true));
        w.add(new Want(layout.config(), USE_MEMFD + "=false",
                IniText.parse(cfg).set(PROPERTIES, USE_MEMFD, "false").toString().getBytes(StandardCharsets.ISO_8859_1),
                true));
        return w;
    }

    /** Makes each wanted file so, recording originals first; the number of files changed. */
    private int apply(SetupState state, List<Want> wants, boolean dryRun, Consumer<String> out, boolean quiet)
            throws IOException {
        int changes = 0;
        for (Want w : wants) {
            byte[] current = readIfExists(w.path());
            String sys = layout.systemPath(w.path());
            SetupState.Item item = state.item(sys);
            if (current != null && Arrays.equals(current, w.bytes())) {
                if (!quiet) {
                    out.accept("unchanged " + w.path() + " (" + w.what() + ")");
                }
                if (item != null && !dryRun && !SetupState.isWritten(item, current)) {
                    state.written(sys, current);
                    state.save();
                }
                continue;
            }
            changes++;
            if (dryRun) {
                describe(w, current, true, out);
                continue;
            }
            describe(w, current, false, out);
            state.start(Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString());
            if (!state.exists()) {
                createDirectories(state, layout.state(), false);
            }
            if (current == null) {
                List<Path> made = missingDirectories(w.path().getParent());
                for (Path d : made) {
                    state.createdDirectory(layout.systemPath(d));
                }
                if (item == null) {
                    state.created(sys, w.bytes());
                } else {
                    state.written(sys, w.bytes());
                }
                state.save();
                createDirectories(state, w.path().getParent(), true);
            } else if (item == null) {
                if (w.edited() && w.path().equals(layout.config())) {
                    state.propertyBefore(IniText.parse(text(current)).get(PROPERTIES, USE_MEMFD).orElse(SetupState.ABSENT));
                }
                state.changed(sys, w.edited() ? SetupState.Kind.EDITED : SetupState.Kind.REPLACED, current, w.bytes());
                state.save();
            } else if (item.kind() == SetupState.Kind.EDITED && !SetupState.isWritten(item, current)) {
                // rewritten by someone else since: what they wrote, without ashmemd's edits, is the new original
                state.changed(sys, SetupState.Kind.EDITED, unapply(w.path(), current, state), w.bytes());
                state.save();
            } else {
                state.written(sys, w.bytes());
                state.save();
            }
            write(w.path(), w.bytes());
        }
        return changes;
    }

    /** One change, in the future tense for a dry run or in the past tense once made. */
    private void describe(Want w, byte[] current, boolean dryRun, Consumer<String> out) {
        String would = dryRun ? "would " : "";
        if (!w.edited()) {
            String verb = current == null ? (dryRun ? "create " : "created ") : (dryRun ? "replace " : "replaced ");
            out.accept(would + verb + w.path() + " (" + w.what() + ")");
            return;
        }
        out.accept(would + (dryRun ? "edit " : "edited ") + w.path() + " (" + w.what() + "):");
        diff(current, w.bytes(), out);
    }

    /** The lines only in {@code before} ("- ") and only in {@code after} ("+ "). */
    private static void diff(byte[] before, byte[] after, Consumer<String> out) {
        List<String> a = before == null ? List.of() : text(before).lines().toList();
        List<String> b = text(after).lines().toList();
        List<String> gone = new ArrayList<>(a);
        for (String l : b) {
            gone.remove(l);
        }
        List<String> added = new ArrayList<>(b);
        for (String l : a) {
            added.remove(l);
        }
        gone.forEach(l -> out.accept("  - " + l));
        added.forEach(l -> out.accept("  + " + l));
    }

    /** A file's bytes without ashmemd's edits. */
    private byte[] unapply(Path p, byte[] current, SetupState state) {
        String t = text(current);
        if (p.equals(layout.configNodes())) {
            return LxcNodes.unapply(t).getBytes(StandardCharsets.ISO_8859_1);
        }
        if (p.equals(layout.config())) {
            String before = state.propertyBefore();
            IniText ini = IniText.parse(t);
            Optional<String> now = ini.get(PROPERTIES, USE_MEMFD);
            if (before == null || now.isEmpty() || !now.get().equalsIgnoreCase("false")) {
                return current; // unknown, or changed by the user since: theirs now
            }
            ini = SetupState.ABSENT.equals(before) ? ini.remove(PROPERTIES, USE_MEMFD) : ini.set(PROPERTIES, USE_MEMFD, before);
            return ini.toString().getBytes(StandardCharsets.ISO_8859_1);
        }
        return current;
    }

    private void requireInitialized() throws WaydroidException {
        if (!Files.isRegularFile(layout.configNodes())) {
            throw new WaydroidException(WaydroidException.Reason.NO_WAYDROID, "Waydroid is not initialized: "
                    + layout.configNodes() + " is missing. Run 'sudo waydroid init' first");
        }
    }

    /** waydroid.cfg as ISO-8859-1 text; a clear error when Waydroid is not there. */
    private String readConfig() throws IOException, WaydroidException {
        Path cfg = layout.config();
        if (!Files.exists(cfg, LinkOption.NOFOLLOW_LINKS) && !Files.exists(cfg)) {
            throw new WaydroidException(WaydroidException.Reason.NO_WAYDROID, "no Waydroid here: " + cfg
                    + " is missing. Install Waydroid and run 'sudo waydroid init' first");
        }
        try {
            return text(Files.readAllBytes(cfg));
        } catch (java.nio.file.AccessDeniedException e) {
            throw e;
        } catch (IOException e) {
            throw new IOException("cannot read " + cfg + ": " + (e.getMessage() == null ? e : e.getMessage()), e);
        }
    }

    private String arch(String cfg) {
        return IniText.parse(cfg).get("waydroid", "arch").filter(a -> !a.isEmpty()).orElse(Abi.hostWaydroidArch());
    }

    /** Whether waydroid_base.prop has sys.use_memfd=false, i.e. Waydroid regenerated it since the change. */
    private boolean upgradeApplied() {
        return baseProperty().map(v -> v.equalsIgnoreCase("false")).orElse(false);
    }

    /** sys.use_memfd in waydroid_base.prop (the last one wins, as in Android's property files). */
    private Optional<String> baseProperty() {
        String t = readText(layout.baseProps());
        if (t == null) {
            return Optional.empty();
        }
        String value = null;
        for (String line : t.lines().toList()) {
            String s = line.strip();
            if (s.startsWith(USE_MEMFD + "=")) {
                value = s.substring(USE_MEMFD.length() + 1).strip();
            }
        }
        return Optional.ofNullable(value);
    }

    private Optional<Path> runnableWaydroid() {
        if (waydroid == null || layout.rooted() && !waydroid.evenUnderRoot()) {
            return Optional.empty();
        }
        return waydroid.find();
    }

    /** The kernel's boot id (the alias's suffix); null when it cannot be read. */
    private String bootId() {
        String t = readText(layout.bootId());
        if (t == null) {
            return null;
        }
        String id = t.strip();
        return id.matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}") ? id : null;
    }

    private static String readText(Path p) {
        try {
            return text(Files.readAllBytes(p));
        } catch (IOException e) {
            return null;
        }
    }

    private static byte[] readIfExists(Path p) throws IOException {
        try {
            return Files.readAllBytes(p);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    /** The directories from the top-most missing one down to {@code dir}. */
    private static List<Path> missingDirectories(Path dir) {
        List<Path> missing = new ArrayList<>();
        for (Path d = dir; d != null && !Files.exists(d); d = d.getParent()) {
            missing.add(0, d);
        }
        return missing;
    }

    private void createDirectories(SetupState state, Path dir, boolean recorded) throws IOException {
        for (Path d : missingDirectories(dir)) {
            if (!recorded) {
                state.createdDirectory(layout.systemPath(d));
            }
            Files.createDirectory(d);
            Files.setPosixFilePermissions(d, DIR_MODE);
        }
    }

    /**
     * Replaces a file atomically (a sibling temporary file renamed over it), keeping the mode and
     * owner of the file it replaces; new files get 0644, as Android reads them as any user.
     */
    private static void write(Path p, byte[] bytes) throws IOException {
        Path tmp = p.resolveSibling("." + p.getFileName() + ".ashmemd-new");
        Files.write(tmp, bytes);
        try {
            if (Files.exists(p)) {
                Files.setPosixFilePermissions(tmp, Files.getPosixFilePermissions(p));
                try {
                    Files.setOwner(tmp, Files.getOwner(p));
                } catch (IOException e) {
                    // not root: the file stays ours, as it would with any editor
                }
            } else {
                Files.setPosixFilePermissions(tmp, FILE_MODE);
            }
            Files.move(tmp, p, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
