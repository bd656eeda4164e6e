package org.ashmemd.control;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import org.ashmemd.text.Escape;

/**
 * One region (an open file description of the device) as the daemon knows it.
 *
 * @param name          the name, decoded as UTF-8; exact unless {@code nameHex} is given, in which
 *                      case each invalid sequence is U+FFFD here
 * @param nameHex       the name's exact bytes in hex when they are not valid UTF-8, else null
 *                      (and left out of the JSON)
 * @param mapped        whether it was mapped at least once (name and size are then frozen)
 * @param inode         the backing memfd's inode, or -1 before the first mapping
 * @param residentBytes memory the backing memfd holds now (its allocated pages)
 * @param openerAlive   whether the opening process still exists
 */
public record RegionInfo(long id, String name, @JsonInclude(JsonInclude.Include.NON_NULL) String nameHex, long size, int protMask, boolean mapped, long inode,
        long residentBytes, long unpinnedBytes, long purgedBytes, List<PinRange> unpinned,
        Opener opener, boolean openerAlive, long createdAtMillis) {

    /** The name as it is, for display: invalid bytes kept (see {@link Escape#decodeLossless}). */
    public String displayName() {
        if (nameHex == null) {
            return name;
        }
        try {
            return Escape.decodeLossless(Escape.unhex(nameHex));
        } catch (IllegalArgumentException e) {
            return name;
        }
    }
}
