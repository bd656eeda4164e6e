package org.ashmemd.admin;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.ashmemd.ashmem.AreaSnapshot;
import org.ashmemd.ashmem.BackingMemory;
import org.ashmemd.ashmem.RegistryStats;
import org.ashmemd.ashmem.UnpinnedRange;
import org.ashmemd.broker.BrokerServer;
import org.ashmemd.cmdline.Version;
import org.ashmemd.control.AdminProtocol;
import org.ashmemd.control.AdminRequest;
import org.ashmemd.control.AdminResponse;
import org.ashmemd.control.DaemonStatus;
import org.ashmemd.control.PinRange;
import org.ashmemd.control.PurgeResult;
import org.ashmemd.control.RegionDetail;
import org.ashmemd.control.RegionInfo;
import org.ashmemd.device.AshmemCharDevice;
import org.ashmemd.device.OpenFile;
import org.ashmemd.device.RegionLimits;
import org.ashmemd.device.RequestStats;
import org.ashmemd.procscan.ProcFs;
import org.ashmemd.text.Escape;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Answers admin requests from the daemon's live state. Transport-free, so it is easy to test. */
public final class AdminService {
    private static final Logger log = LoggerFactory.getLogger(AdminService.class);

    /** Who maps and who holds a region's memory, from /proc. */
    public interface RegionProcesses {
        List<RegionDetail.Mapper> mappersOf(long inode);

        List<RegionDetail.Holder> holdersOf(long inode);

        RegionProcesses NONE = new RegionProcesses() {
            @Override
            public List<RegionDetail.Mapper> mappersOf(long inode) {
                return List.of();
            }

            @Override
            public List<RegionDetail.Holder> holdersOf(long inode) {
                return List.of();
            }
        };
    }

    /** Supplies the pressure section of the status (the monitor may be off). */
    public interface PressureReport {
        DaemonStatus.Pressure pressure();
    }

    /** Supplies the restart section of the status. */
    public interface RestartReport {
        DaemonStatus.Restart restart();
    }

    private final AshmemCharDevice device;
    private final RequestStats requests;
    private final BrokerServer broker;
    private final ProcFs proc;
    private final RegionProcesses processes;
    private final PressureReport pressure;
    private final RestartReport restart;
    private final String version;
    private final String deviceNode;
    private final String deviceNumbers;
    private final long startedAtMillis = System.currentTimeMillis();
    private final ObjectMapper json = AdminProtocol.json();
    private final AdminPurger purger;

    /** Purges on behalf of the admin (counted by cause). */
    @FunctionalInterface
    public interface AdminPurger {
        long purgeAll();
    }

    public AdminService(AshmemCharDevice device, RequestStats requests, BrokerServer broker, ProcFs proc,
            RegionProcesses processes, PressureReport pressure, RestartReport restart, AdminPurger purger, String version,
            String deviceNode, String deviceNumbers) {
        this.device = device;
        this.requests = requests;
        this.broker = broker;
        this.proc = proc;
        this.processes = processes;
        this.pressure = pressure;
        this.restart = restart;
        this.purger = purger;
        this.version = version;
        this.deviceNode = deviceNode;
        this.deviceNumbers = deviceNumbers;
    }

    /**
     * The response line, without its newline, to one request line as the admin socket read it;
     * {@code null} stands for a request that was too long or not terminated by a newline.
     */
    public String answer(String line) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            answer(line, out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write an admin response", e); // not on a byte array
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /**
     * Writes the response line, without its newline, to {@code out} as it is produced: a listing
     * of 100,000 regions goes out one region at a time instead of as a tree, a string and a byte
     * array of the whole answer in the daemon's heap.
     */
    public void answer(String line, OutputStream out) throws IOException {
        Outcome o;
        if (line == null) {
            o = Outcome.failed(AdminResponse.failure("usage", "request too long or not terminated by a newline"));
        } else {
            try {
                o = outcome(json.readValue(line, AdminRequest.class));
            } catch (JsonProcessingException e) {
                // the message alone: Jackson's location adds lines, and the request's own bytes may be anything
                o = Outcome.failed(AdminResponse.failure("usage", "unreadable request: " + Escape.text(e.getOriginalMessage())));
            }
        }
        try (JsonGenerator g = json.getFactory().createGenerator(out)) {
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            if (o.failure() != null) {
                json.writeValue(g, o.failure());
                return;
            }
            // the envelope of AdminResponse.ok(data), written field by field around a streamed data
            g.writeStartObject();
            g.writeNumberField("version", AdminProtocol.VERSION);
            g.writeBooleanField("ok", true);
            g.writeNullField("error");
            g.writeNullField("code");
            g.writeFieldName("data");
            json.writeValue(g, o.data());
            g.writeEndObject();
        }
    }

    /** The answer to one request; messages that repeat the request's text carry it escaped. */
    public AdminResponse handle(AdminRequest req) {
        Outcome o = outcome(req);
        return o.failure() != null ? o.failure() : AdminResponse.ok(json.valueToTree(o.data()));
    }

    /** A failure, or the data of a success as a value the JSON mapper writes. */
    private record Outcome(AdminResponse failure, Object data) {
        static Outcome failed(AdminResponse failure) {
            return new Outcome(failure, null);
        }

        static Outcome ok(Object data) {
            return new Outcome(null, data);
        }
    }

    private Outcome outcome(AdminRequest req) {
        if (req == null) {
            return Outcome.failed(AdminResponse.failure("usage", "empty request: a JSON object is expected"));
        }
        if (req.version() != AdminProtocol.VERSION) {
            return Outcome.failed(AdminResponse.failure("usage", "this ashmemd speaks admin protocol " + AdminProtocol.VERSION
                    + ", not " + req.version() + ": use the ashmemctl of the same release"));
        }
        String cmd = req.command() == null ? "" : req.command();
        try {
            switch (cmd) {
                case AdminProtocol.STATUS:
                    return Outcome.ok(status());
                case AdminProtocol.REGIONS:
                    return Outcome.ok(regionsInIdOrder());
                case AdminProtocol.REGION: {
                    String id = req.args().get("id");
                    long n;
                    try {
                        n = Long.parseLong(id == null ? "" : id.trim());
                    } catch (NumberFormatException e) {
                        return Outcome.failed(AdminResponse.failure("usage", "region needs a numeric id, not '" + Escape.text(id) + "'"));
                    }
                    RegionDetail d = region(n);
                    return d == null ? Outcome.failed(AdminResponse.failure("notfound", "no region " + n)) : Outcome.ok(d);
                }
                case AdminProtocol.PURGE: {
                    long pages = purger.purgeAll();
                    return Outcome.ok(new PurgeResult(pages, pages * device.registry().pageSize()));
                }
                default:
                    return Outcome.failed(AdminResponse.failure("usage", "unknown command '" + Escape.text(cmd) + "'"));
            }
        } catch (RuntimeException e) {
            log.error("admin command {} failed", cmd, e);
            return Outcome.failed(AdminResponse.failure("internal", "the daemon failed to answer: " + Escape.text(e.toString())));
        }
    }

    public List<RegionInfo> regions() {
        List<RegionInfo> out = new ArrayList<>();
        regionsInIdOrder().forEach(out::add);
        return out;
    }

    /**
     * Every region in id order, each built when it is reached: only the open files are held
     * (sorted), not 100,000 region records at once. A region released meanwhile is skipped.
     */
    private Iterable<RegionInfo> regionsInIdOrder() {
        List<OpenFile> files = new ArrayList<>(device.openFiles());
        files.sort(Comparator.comparingLong(f -> f.area().id()));
        Map<Integer, Boolean> alive = new HashMap<>(); // one look per opener, not per region
        return () -> files.stream().map(f -> info(f, alive)).filter(Objects::nonNull).iterator();
    }

    public RegionDetail region(long id) {
        OpenFile f = device.openFile(id); // a lookup: one region costs the same among 100,000
        if (f == null || f.area().id() != id) {
            return null;
        }
        RegionInfo r = info(f, new HashMap<>());
        if (r == null) {
            return null;
        }
        return new RegionDetail(r, r.inode() > 0 ? processes.mappersOf(r.inode()) : List.of(),
                r.inode() > 0 ? processes.holdersOf(r.inode()) : List.of());
    }

    private RegionInfo info(OpenFile f, Map<Integer, Boolean> alive) {
        AreaSnapshot s;
        try {
            s = f.area().snapshot();
        } catch (RuntimeException e) {
            return null; // released meanwhile
        }
        int page = device.registry().pageSize();
        List<PinRange> ranges = new ArrayList<>();
        for (UnpinnedRange u : s.unpinned()) {
            ranges.add(new PinRange(u.pgstart() * page, Math.max(0, u.pages()) * page, u.purged()));
        }
        long resident = f.area().residentBytes();
        return new RegionInfo(s.id(), s.name(), s.nameHex(), s.size(), s.protMask(), s.hasBacking(), s.inode(), resident,
                s.unpinnedPages() * page, s.purgedPages() * page, ranges, f.opener(), alive.computeIfAbsent(f.opener().pid(), proc::alive), f.openedAtMillis());
    }

    public DaemonStatus status() {
        RegistryStats st = device.registry().stats();
        int page = device.registry().pageSize();
        // the registry keeps the page totals; only residency needs a pass (one fstat per region),
        // without building the listing: status costs no allocation per region
        long resident = 0;
        for (OpenFile f : device.openFiles()) {
            resident += f.area().residentBytes();
        }
        long unpinned = st.unpinnedPages() * page;
        long purged = st.purgedPages() * page;
        BrokerServer.Stats b = broker.stats();
        List<RequestStats.Operation> ops = requests.snapshot();
        RegionLimits.Caps caps = device.limits().caps();
        long now = System.currentTimeMillis();
        return new DaemonStatus(version, ProcessHandle.current().pid(), startedAtMillis,
                (now - startedAtMillis) / 1000, proc.kernelRelease(), deviceNode, deviceNumbers, (int) st.areas(),
                (int) st.mappedAreas(), st.totalSize(), resident, unpinned, purged,
                device.registry().pagesPurgedTotal() * page, RequestStats.requests(ops), RequestStats.errors(ops),
                new DaemonStatus.Broker(broker.path().toString(), b.granted(), b.refused(), b.malformed(), b.timedOut(),
                        b.connections(), b.outstandingTokens()),
                pressure.pressure(),
                new DaemonStatus.Limits(caps.regionsPerUid(), caps.bytesPerUid(), caps.regionsPerContainer(),
                        caps.bytesPerContainer(), device.limits().refused()),
                restart.restart());
    }
}
