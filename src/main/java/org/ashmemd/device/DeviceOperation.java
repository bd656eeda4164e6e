package org.ashmemd.device;

import org.ashmemd.cuse.wire.Opcode;

/**
 * What a device request did, as the daemon counts it: one constant per CUSE opcode and per ioctl
 * the device answers, and one bucket each for ioctl numbers and opcodes it does not know.
 * Statistics are keyed by these, never by a number a client sent, so a client cannot grow them.
 */
public enum DeviceOperation {
    CUSE_INIT, OPEN, READ, WRITE, RELEASE, INTERRUPT, POLL,
    SET_NAME, GET_NAME, SET_SIZE, GET_SIZE, SET_PROT_MASK, GET_PROT_MASK, PIN, UNPIN, GET_PIN_STATUS,
    PURGE_ALL_CACHES, GET_FILE_ID, ASHMEMD_GET_TOKEN, ASHMEMD_SEEK,
    /** Every ioctl number the device does not answer (ENOTTY), in one bucket. */
    UNKNOWN_IOCTL,
    /** A frame whose opcode a CUSE server never receives, or too short to carry one. */
    UNKNOWN_OPCODE;

    /** The operation of a request: its opcode, or for IOCTL its ioctl number. */
    public static DeviceOperation of(int opcode, int ioctlCmd) {
        Opcode o = Opcode.of(opcode);
        if (o == null) {
            return UNKNOWN_OPCODE;
        }
        switch (o) {
            case CUSE_INIT: return CUSE_INIT;
            case OPEN: return OPEN;
            case READ: return READ;
            case WRITE: return WRITE;
            case RELEASE: return RELEASE;
            case INTERRUPT: return INTERRUPT;
            case POLL: return POLL;
            case IOCTL: return ofIoctl(ioctlCmd);
            default: return UNKNOWN_OPCODE;
        }
    }

    /** The ioctl's operation; the 32-bit numbers of SET_SIZE etc. count as their 64-bit twins. */
    public static DeviceOperation ofIoctl(int cmd) {
        switch (cmd) {
            case AshmemIoctl.SET_NAME: return SET_NAME;
            case AshmemIoctl.GET_NAME: return GET_NAME;
            case AshmemIoctl.SET_SIZE:
            case AshmemIoctl.COMPAT_SET_SIZE: return SET_SIZE;
            case AshmemIoctl.GET_SIZE: return GET_SIZE;
            case AshmemIoctl.SET_PROT_MASK:
            case AshmemIoctl.COMPAT_SET_PROT_MASK: return SET_PROT_MASK;
            case AshmemIoctl.GET_PROT_MASK: return GET_PROT_MASK;
            case AshmemIoctl.PIN: return PIN;
            case AshmemIoctl.UNPIN: return UNPIN;
            case AshmemIoctl.GET_PIN_STATUS: return GET_PIN_STATUS;
            case AshmemIoctl.PURGE_ALL_CACHES: return PURGE_ALL_CACHES;
            case AshmemIoctl.GET_FILE_ID:
            case AshmemIoctl.COMPAT_GET_FILE_ID: return GET_FILE_ID;
            case AshmemIoctl.ASHMEMD_GET_TOKEN: return ASHMEMD_GET_TOKEN;
            case AshmemIoctl.ASHMEMD_SEEK: return ASHMEMD_SEEK;
            default: return UNKNOWN_IOCTL;
        }
    }
}
