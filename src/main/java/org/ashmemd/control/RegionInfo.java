package org.ashmemd.control;

import java.util.List;

/**
 * One region (an open file description of the device) as the daemon knows it.
 *
 * @param mapped        whether it was mapped at least once (name and size are then frozen)
 * @param inode         the backing memfd's inode, or -1 before the first mapping
 * @param residentBytes memory the backing memfd holds now (its allocated pages)
 * @param openerAlive   whether the opening process still exists
 */
public record RegionInfo(long id, String name, long size, int protMask, boolean mapped, long inode,
        long residentBytes, long unpinnedBytes, long purgedBytes, List<PinRange> unpinned,
        Opener opener, boolean openerAlive, long createdAtMillis) {
}
