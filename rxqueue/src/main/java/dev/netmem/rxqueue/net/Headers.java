package dev.netmem.rxqueue.net;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The protocol headers the emulated NIC writes in front of each payload: Ethernet (14), IPv4 (20)
 * and TCP (20) bytes, {@link #HEADER_LEN} in all, with the fields the stack reads (ports, lengths).
 */
public final class Headers {
    /** Ethernet + IPv4 + TCP without options. */
    public static final int HEADER_LEN = 54;
    private static final int ETHERTYPE = 12;
    private static final int IP_VERSION_IHL = 14;
    private static final int IP_TOTAL_LEN = 16;
    private static final int IP_PROTO = 23;
    private static final int TCP_SRC_PORT = 34;
    private static final int TCP_DST_PORT = 36;
    private static final int TCP_DATA_OFF = 46;
    private static final ValueLayout.OfShort BE_SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    /** Copied over the header first, so writing one allocates nothing. */
    private static final MemorySegment ZEROS = MemorySegment.ofArray(new byte[HEADER_LEN]);

    private Headers() {
    }

    /** Writes the headers of a TCP segment carrying {@code payloadLen} bytes at {@code off}. */
    public static void write(MemorySegment seg, long off, int srcPort, int dstPort, int payloadLen) {
        MemorySegment.copy(ZEROS, 0, seg, off, HEADER_LEN);
        seg.set(BE_SHORT, off + ETHERTYPE, (short) 0x0800);
        seg.set(ValueLayout.JAVA_BYTE, off + IP_VERSION_IHL, (byte) 0x45);
        seg.set(BE_SHORT, off + IP_TOTAL_LEN, (short) (40 + payloadLen));
        seg.set(ValueLayout.JAVA_BYTE, off + IP_PROTO, (byte) 6);
        seg.set(BE_SHORT, off + TCP_SRC_PORT, (short) srcPort);
        seg.set(BE_SHORT, off + TCP_DST_PORT, (short) dstPort);
        seg.set(ValueLayout.JAVA_BYTE, off + TCP_DATA_OFF, (byte) (5 << 4));
    }

    /** The TCP source port of the headers at {@code off}. */
    public static int srcPort(MemorySegment seg, long off) {
        return Short.toUnsignedInt(seg.get(BE_SHORT, off + TCP_SRC_PORT));
    }

    /** The TCP destination port of the headers at {@code off}. */
    public static int dstPort(MemorySegment seg, long off) {
        return Short.toUnsignedInt(seg.get(BE_SHORT, off + TCP_DST_PORT));
    }
}
