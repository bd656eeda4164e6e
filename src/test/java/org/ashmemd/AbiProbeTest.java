package org.ashmemd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.ashmemd.ashmem.AreaRegistry;
import org.ashmemd.broker.BrokerWire;
import org.ashmemd.cuse.wire.CuseInitIn;
import org.ashmemd.cuse.wire.CuseInitOut;
import org.ashmemd.cuse.wire.FuseProtocol;
import org.ashmemd.cuse.wire.InHeader;
import org.ashmemd.cuse.wire.InterruptIn;
import org.ashmemd.cuse.wire.IoctlIn;
import org.ashmemd.cuse.wire.IoctlOut;
import org.ashmemd.cuse.wire.Opcode;
import org.ashmemd.cuse.wire.OpenIn;
import org.ashmemd.cuse.wire.OpenOut;
import org.ashmemd.cuse.wire.OutHeader;
import org.ashmemd.cuse.wire.PollIn;
import org.ashmemd.cuse.wire.PollOut;
import org.ashmemd.cuse.wire.ReadIn;
import org.ashmemd.cuse.wire.ReleaseIn;
import org.ashmemd.cuse.wire.RetryIovec;
import org.ashmemd.cuse.wire.WriteIn;
import org.ashmemd.cuse.wire.WriteOut;
import org.ashmemd.device.AshmemIoctl;
import org.ashmemd.posix.Errno;
import org.ashmemd.posix.IoctlNumber;
import org.ashmemd.posix.Prot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Java constants against what the C compiler says: {@code native-headers/abi_probe.c},
 * built 64- and 32-bit by the Maven build, prints every ABI fact the Java side hard-codes (ioctl
 * numbers as each ABI's callers send them, ashmemd's private ioctls, the broker's wire layout,
 * the CUSE structs and opcodes of the system's {@code <linux/fuse.h>}, errno numbers). A changed
 * constant on either side fails here, not in a VM.
 */
class AbiProbeTest {
    private static final Map<String, Map<String, Long>> FACTS = new HashMap<>();

    /** The probe's "NAME VALUE" lines for one ABI ("m64" or "m32"). */
    private static synchronized Map<String, Long> facts(String abi) {
        return FACTS.computeIfAbsent(abi, a -> {
            String dir = System.getProperty("ashmemd.abi.probe.dir");
            if (dir == null) {
                fail("ashmemd.abi.probe.dir is not set: run the test through Maven, which builds "
                        + "native-headers/abi_probe.c (process-test-classes phase)");
            }
            Path file = Path.of(dir, a + ".txt");
            Map<String, Long> m = new HashMap<>();
            try {
                for (String line : Files.readAllLines(file)) {
                    String[] f = line.trim().split(" ");
                    if (f.length != 2) {
                        fail(file + ": not a NAME VALUE line: " + line);
                    }
                    m.put(f[0], Long.parseLong(f[1]));
                }
            } catch (IOException e) {
                fail("cannot read the ABI probe's output " + file + " (the build runs the probe before the tests): " + e);
            }
            return m;
        });
    }

    private static long fact(String abi, String name) {
        Long v = facts(abi).get(name);
        if (v == null) {
            fail("the " + abi + " ABI probe prints no " + name + " (native-headers/abi_probe.c)");
        }
        return v;
    }

    /** An ioctl number or other 32-bit value, as Java's int holds it. */
    private static int u32(String abi, String name) {
        return (int) fact(abi, name);
    }

    private static void same(String abi, String cName, long javaValue) {
        assertEquals(fact(abi, cName), javaValue, abi + ": " + cName + " in C vs the Java constant");
    }

    private static void sameU32(String abi, String cName, int javaValue) {
        assertEquals(IoctlNumber.toHex(u32(abi, cName)), IoctlNumber.toHex(javaValue),
                abi + ": " + cName + " in C vs the Java constant");
    }

    @ParameterizedTest
    @ValueSource(strings = {"m64", "m32"})
    void theProbeWasBuiltForItsAbi(String abi) {
        same(abi, "abi.pointer_bytes", abi.equals("m64") ? 8 : 4);
    }

    @ParameterizedTest
    @ValueSource(strings = {"m64", "m32"})
    void ioctlEncoding(String abi) {
        same(abi, "_IOC_NONE", IoctlNumber.DIR_NONE);
        same(abi, "_IOC_WRITE", IoctlNumber.DIR_WRITE);
        same(abi, "_IOC_READ", IoctlNumber.DIR_READ);
        sameU32(abi, "ioc.sample",
                IoctlNumber.encode(IoctlNumber.DIR_READ | IoctlNumber.DIR_WRITE, 0xab, 0xcd, 0x1234));
    }

    /** The numbers every caller sends alike. */
    @ParameterizedTest
    @ValueSource(strings = {"m64", "m32"})
    void ashmemIoctlsOfFixedSize(String abi) {
        same(abi, "__ASHMEMIOC", AshmemIoctl.TYPE);
        same(abi, "ASHMEM_NAME_LEN", org.ashmemd.ashmem.Area.NAME_LEN);
        sameU32(abi, "ASHMEM_SET_NAME", AshmemIoctl.SET_NAME);
        sameU32(abi, "ASHMEM_GET_NAME", AshmemIoctl.GET_NAME);
        sameU32(abi, "ASHMEM_GET_SIZE", AshmemIoctl.GET_SIZE);
        sameU32(abi, "ASHMEM_GET_PROT_MASK", AshmemIoctl.GET_PROT_MASK);
        sameU32(abi, "ASHMEM_PIN", AshmemIoctl.PIN);
        sameU32(abi, "ASHMEM_UNPIN", AshmemIoctl.UNPIN);
        sameU32(abi, "ASHMEM_GET_PIN_STATUS", AshmemIoctl.GET_PIN_STATUS);
        sameU32(abi, "ASHMEM_PURGE_ALL_CACHES", AshmemIoctl.PURGE_ALL_CACHES);
        sameU32(abi, "COMPAT_ASHMEM_SET_SIZE", AshmemIoctl.COMPAT_SET_SIZE);
        sameU32(abi, "COMPAT_ASHMEM_SET_PROT_MASK", AshmemIoctl.COMPAT_SET_PROT_MASK);
        sameU32(abi, "COMPAT_ASHMEM_GET_FILE_ID", AshmemIoctl.COMPAT_GET_FILE_ID);
        same(abi, "sizeof.ashmem_pin", IoctlNumber.size(AshmemIoctl.PIN));
        same(abi, "ASHMEM_IS_UNPINNED", AreaRegistry.IS_UNPINNED);
        same(abi, "ASHMEM_IS_PINNED", AreaRegistry.IS_PINNED);
        same(abi, "ASHMEM_NOT_PURGED", AreaRegistry.NOT_PURGED);
        same(abi, "ASHMEM_WAS_PURGED", AreaRegistry.WAS_PURGED);
    }

    /** size_t and unsigned long arguments: a 64-bit caller's numbers and a 32-bit caller's. */
    @Test
    void ashmemIoctlsSizedByTheCallersAbi() {
        sameU32("m64", "ASHMEM_SET_SIZE", AshmemIoctl.SET_SIZE);
        sameU32("m64", "ASHMEM_SET_PROT_MASK", AshmemIoctl.SET_PROT_MASK);
        sameU32("m64", "ASHMEM_GET_FILE_ID", AshmemIoctl.GET_FILE_ID);
        sameU32("m32", "ASHMEM_SET_SIZE", AshmemIoctl.COMPAT_SET_SIZE);
        sameU32("m32", "ASHMEM_SET_PROT_MASK", AshmemIoctl.COMPAT_SET_PROT_MASK);
        sameU32("m32", "ASHMEM_GET_FILE_ID", AshmemIoctl.COMPAT_GET_FILE_ID);
    }

    @ParameterizedTest
    @ValueSource(strings = {"m64", "m32"})
    void privateIoctls(String abi) {
        same(abi, "ASHMEMD_IOC_TYPE", AshmemIoctl.TYPE);
        sameU32(abi, "ASHMEMD_IOC_GET_TOKEN", AshmemIoctl.ASHMEMD_GET_TOKEN);
        sameU32(abi, "ASHMEMD_IOC_SEEK", AshmemIoctl.ASHMEMD_SEEK);
        same(abi, "sizeof.ashmemd_seek", AshmemIoctl.SEEK_STRUCT_SIZE);
        same(abi, "ASHMEMD_MAP_PROT_MASK", AshmemIoctl.MAP_PROT_MASK);
        same(abi, "ASHMEMD_MAP_SHARED", AshmemIoctl.MAP_SHARED);
        same(abi, "ASHMEMD_MAP_PAGES_SHIFT", AshmemIoctl.MAP_PAGES_SHIFT);
        same(abi, "ASHMEMD_MAP_MAX_PAGES", AshmemIoctl.MAP_MAX_PAGES);
    }

    /** Sizes, and each field where the C struct has it: written by Java, read at C's offset. */
    @ParameterizedTest
    @ValueSource(strings = {"m64", "m32"})
    void brokerWire(String abi) {
        sameU32(abi, "ASHMEMD_BROKER_MAGIC", BrokerWire.MAGIC);
        same(abi, "sizeof.ashmemd_broker_request", BrokerWire.REQUEST_SIZE);
        same(abi, "sizeof.ashmemd_broker_reply", BrokerWire.REPLY_SIZE);

        ByteBuffer request = ByteBuffer.allocate(BrokerWire.REQUEST_SIZE).order(ByteOrder.nativeOrder());
        BrokerWire.encodeRequest(request, 0x01020304);
        assertEquals(BrokerWire.REQUEST_SIZE, request.position(), "encodeRequest writes the whole request");
        assertEquals(BrokerWire.MAGIC, request.getInt((int) fact(abi, "offsetof.ashmemd_broker_request.magic")));
        assertEquals(0x01020304, request.getInt((int) fact(abi, "offsetof.ashmemd_broker_request.token")));
        int reserved = (int) fact(abi, "offsetof.ashmemd_broker_request.reserved");
        assertEquals(0L, request.getLong(reserved), "reserved[2]");

        ByteBuffer reply = ByteBuffer.allocate(BrokerWire.REPLY_SIZE).order(ByteOrder.nativeOrder());
        BrokerWire.encodeReply(reply, 13, 0x1122334455667788L, 5);
        assertEquals(BrokerWire.REPLY_SIZE, reply.position(), "encodeReply writes the whole reply");
        assertEquals(BrokerWire.MAGIC, reply.getInt((int) fact(abi, "offsetof.ashmemd_broker_reply.magic")));
        assertEquals(13, reply.getInt((int) fact(abi, "offsetof.ashmemd_broker_reply.status")));
        assertEquals(0x1122334455667788L, reply.getLong((int) fact(abi, "offsetof.ashmemd_broker_reply.size")));
        assertEquals(5, reply.getInt((int) fact(abi, "offsetof.ashmemd_broker_reply.prot_mask")));
        assertEquals(0, reply.getInt((int) fact(abi, "offsetof.ashmemd_broker_reply.reserved")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"m64", "m32"})
    void protBits(String abi) {
        same(abi, "PROT_NONE", Prot.NONE);
        same(abi, "PROT_READ", Prot.READ);
        same(abi, "PROT_WRITE", Prot.WRITE);
        same(abi, "PROT_EXEC", Prot.EXEC);
    }

    /** The daemon is a 64-bit process, but the CUSE structs have one layout for both. */
    @ParameterizedTest
    @ValueSource(strings = {"m64", "m32"})
    void cuseProtocol(String abi) {
        same(abi, "FUSE_KERNEL_VERSION", FuseProtocol.KERNEL_MAJOR);
        same(abi, "CUSE_INIT", Opcode.CUSE_INIT.number());
        same(abi, "FUSE_OPEN", Opcode.OPEN.number());
        same(abi, "FUSE_READ", Opcode.READ.number());
        same(abi, "FUSE_WRITE", Opcode.WRITE.number());
        same(abi, "FUSE_RELEASE", Opcode.RELEASE.number());
        same(abi, "FUSE_INTERRUPT", Opcode.INTERRUPT.number());
        same(abi, "FUSE_IOCTL", Opcode.IOCTL.number());
        same(abi, "FUSE_POLL", Opcode.POLL.number());
        same(abi, "CUSE_UNRESTRICTED_IOCTL", FuseProtocol.CUSE_UNRESTRICTED_IOCTL);
        same(abi, "CUSE_INIT_INFO_MAX", FuseProtocol.CUSE_INIT_INFO_MAX);
        same(abi, "FUSE_IOCTL_COMPAT", FuseProtocol.IOCTL_COMPAT);
        same(abi, "FUSE_IOCTL_UNRESTRICTED", FuseProtocol.IOCTL_UNRESTRICTED);
        same(abi, "FUSE_IOCTL_RETRY", FuseProtocol.IOCTL_RETRY);
        same(abi, "FUSE_IOCTL_32BIT", FuseProtocol.IOCTL_32BIT);
        same(abi, "FUSE_IOCTL_DIR", FuseProtocol.IOCTL_DIR);
        same(abi, "FUSE_IOCTL_COMPAT_X32", FuseProtocol.IOCTL_COMPAT_X32);
        same(abi, "FUSE_IOCTL_MAX_IOV", FuseProtocol.IOCTL_MAX_IOV);
        same(abi, "FUSE_POLL_SCHEDULE_NOTIFY", FuseProtocol.POLL_SCHEDULE_NOTIFY);

        same(abi, "sizeof.fuse_in_header", InHeader.SIZE);
        same(abi, "sizeof.fuse_out_header", OutHeader.SIZE);
        same(abi, "sizeof.cuse_init_in", CuseInitIn.SIZE);
        same(abi, "sizeof.cuse_init_out", CuseInitOut.SIZE);
        same(abi, "sizeof.fuse_open_in", OpenIn.SIZE);
        same(abi, "sizeof.fuse_open_out", OpenOut.SIZE);
        same(abi, "sizeof.fuse_read_in", ReadIn.SIZE);
        same(abi, "sizeof.fuse_write_in", WriteIn.SIZE);
        same(abi, "sizeof.fuse_write_out", WriteOut.SIZE);
        same(abi, "sizeof.fuse_release_in", ReleaseIn.SIZE);
        same(abi, "sizeof.fuse_interrupt_in", InterruptIn.SIZE);
        same(abi, "sizeof.fuse_ioctl_in", IoctlIn.SIZE);
        same(abi, "sizeof.fuse_ioctl_out", IoctlOut.SIZE);
        same(abi, "sizeof.fuse_ioctl_iovec", RetryIovec.SIZE);
        same(abi, "sizeof.fuse_poll_in", PollIn.SIZE);
        same(abi, "sizeof.fuse_poll_out", PollOut.SIZE);
    }

    /** Every errno the daemon knows, by the number the C library gives it. */
    @ParameterizedTest
    @ValueSource(strings = {"m64", "m32"})
    void errnoNumbers(String abi) {
        for (Errno e : Errno.values()) {
            same(abi, "errno." + e.name(), e.number());
        }
        assertTrue(facts(abi).keySet().stream().filter(k -> k.startsWith("errno.")).count() >= Errno.values().length);
    }
}
