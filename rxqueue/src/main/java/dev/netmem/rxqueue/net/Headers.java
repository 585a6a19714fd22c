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
    private static final int TCP_FLAGS = 47;
    /** TCP flag {@code FIN}: the peer finished sending. */
    public static final int TCP_FIN = 0x01;
    /** TCP flag {@code RST}: the peer reset the connection. */
    public static final int TCP_RST = 0x04;
    /** TCP flag {@code ACK}, set on every segment of an established connection. */
    public static final int TCP_ACK = 0x10;
    private static final ValueLayout.OfShort BE_SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    /** Copied over the header first, so writing one allocates nothing. */
    private static final MemorySegment ZEROS = MemorySegment.ofArray(new byte[HEADER_LEN]);

    private Headers() {
    }

    /** Writes the headers of a TCP data segment ({@link #TCP_ACK}) carrying {@code payloadLen} bytes at {@code off}. */
    public static void write(MemorySegment seg, long off, int srcPort, int dstPort, int payloadLen) {
        write(seg, off, srcPort, dstPort, payloadLen, TCP_ACK);
    }

    /** Writes the headers of a TCP segment with {@code tcpFlags} carrying {@code payloadLen} bytes at {@code off}. */
    public static void write(MemorySegment seg, long off, int srcPort, int dstPort, int payloadLen, int tcpFlags) {
        MemorySegment.copy(ZEROS, 0, seg, off, HEADER_LEN);
        seg.set(BE_SHORT, off + ETHERTYPE, (short) 0x0800);
        seg.set(ValueLayout.JAVA_BYTE, off + IP_VERSION_IHL, (byte) 0x45);
        seg.set(BE_SHORT, off + IP_TOTAL_LEN, (short) (40 + payloadLen));
        seg.set(ValueLayout.JAVA_BYTE, off + IP_PROTO, (byte) 6);
        seg.set(BE_SHORT, off + TCP_SRC_PORT, (short) srcPort);
        seg.set(BE_SHORT, off + TCP_DST_PORT, (short) dstPort);
        seg.set(ValueLayout.JAVA_BYTE, off + TCP_DATA_OFF, (byte) (5 << 4));
        seg.set(ValueLayout.JAVA_BYTE, off + TCP_FLAGS, (byte) tcpFlags);
    }

    /** The TCP flags of the headers at {@code off}. */
    public static int tcpFlags(MemorySegment seg, long off) {
        return Byte.toUnsignedInt(seg.get(ValueLayout.JAVA_BYTE, off + TCP_FLAGS));
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
