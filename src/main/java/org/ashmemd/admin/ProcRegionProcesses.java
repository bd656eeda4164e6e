package org.ashmemd.admin;

import java.util.List;
import org.ashmemd.control.RegionDetail;
import org.ashmemd.procscan.ProcScanner;
import org.ashmemd.procscan.ProcUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Who maps and who holds a region's memfd, from the host's /proc. */
public final class ProcRegionProcesses implements AdminService.RegionProcesses {
    private static final Logger log = LoggerFactory.getLogger(ProcRegionProcesses.class);
    private final ProcScanner scanner;

    public ProcRegionProcesses(ProcScanner scanner) {
        this.scanner = scanner;
    }

    @Override
    public List<RegionDetail.Mapper> mappersOf(long inode) {
        try {
            return scanner.mappersOf(inode).stream()
                    .map(m -> new RegionDetail.Mapper(m.pid(), m.comm(), m.container(), m.mappings(), m.sizeBytes(),
                            m.rssBytes(), m.pssBytes(), m.swapBytes()))
                    .toList();
        } catch (ProcUnavailableException e) {
            log.warn("cannot scan /proc for the mappers of inode {}: {}", inode, e.getMessage());
            return List.of();
        }
    }

    @Override
    public List<RegionDetail.Holder> holdersOf(long inode) {
        try {
            // the daemon itself holds every memfd: it is not "who holds" in the user's sense
            return scanner.holdersOf(inode).stream().filter(h -> !h.servesCuse())
                    .map(h -> new RegionDetail.Holder(h.pid(), h.comm(), h.container(), h.fds()))
                    .toList();
        } catch (ProcUnavailableException e) {
            log.warn("cannot scan /proc for the holders of inode {}: {}", inode, e.getMessage());
            return List.of();
        }
    }
}
