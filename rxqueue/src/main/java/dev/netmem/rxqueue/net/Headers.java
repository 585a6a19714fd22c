package dev.netmem.rxqueue.net;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The protocol headers a driver writes in front of each payload (the emulated NIC for its wire's
 * packets, the io_uring driver for what the kernel's socket layer received): Ethernet (14), IPv4 (20)
 * and TCP (20) bytes, {@link #HEADER_LEN} in all, with the fields the stack reads (ports, lengths).
 */
public final class Headers {
    /**
     * Ethernet, IPv4 (no options) and TCP (no options), declared once; the offsets below are derived
     * from it. Multi-byte fields are big-endian on the wire (read and written with {@code BE_SHORT}).
     */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(6, ValueLayout.JAVA_BYTE).withName("eth_dst"),
            MemoryLayout.sequenceLayout(6, ValueLayout.JAVA_BYTE).withName("eth_src"),
            ValueLayout.JAVA_SHORT_UNALIGNED.withName("eth_type"),
            ValueLayout.JAVA_BYTE.withName("ip_version_ihl"),
            ValueLayout.JAVA_BYTE.withName("ip_tos"),
            ValueLayout.JAVA_SHORT_UNALIGNED.withName("ip_tot_len"),
            ValueLayout.JAVA_SHORT_UNALIGNED.withName("ip_id"),
            ValueLayout.JAVA_SHORT_UNALIGNED.withName("ip_frag_off"),
            ValueLayout.JAVA_BYTE.withName("ip_ttl"),
            ValueLayout.JAVA_BYTE.withName("ip_protocol"),
            ValueLayout.JAVA_SHORT_UNALIGNED.withName("ip_check"),
            ValueLayout.JAVA_INT_UNALIGNED.withName("ip_saddr"),
            ValueLayout.JAVA_INT_UNALIGNED.withName("ip_daddr"),
            ValueLayout.JAVA_SHORT_UNALIGNED.withName("tcp_source"),
            ValueLayout.JAVA_SHORT_UNALIGNED.withName("tcp_dest"),
            ValueLayout.JAVA_INT_UNALIGNED.withName("tcp_seq"),
            ValueLayout.JAVA_INT_UNALIGNED.withName("tcp_ack_seq"),
            ValueLayout.JAVA_BYTE.withName("tcp_doff"),
            ValueLayout.JAVA_BYTE.withName("tcp_flags"),
            ValueLayout.JAVA_SHORT_UNALIGNED.withName("tcp_window"),
            ValueLayout.JAVA_SHORT_UNALIGNED.withName("tcp_check"),
            ValueLayout.JAVA_SHORT_UNALIGNED.withName("tcp_urg_ptr")).withName("eth_ipv4_tcp");
    /** Ethernet + IPv4 + TCP without options: 54 bytes. */
    public static final int HEADER_LEN = (int) LAYOUT.byteSize();
    private static final int ETHERTYPE = offset("eth_type");
    private static final int IP_VERSION_IHL = offset("ip_version_ihl");
    private static final int IP_TOTAL_LEN = offset("ip_tot_len");
    private static final int IP_PROTO = offset("ip_protocol");
    private static final int TCP_SRC_PORT = offset("tcp_source");
    private static final int TCP_DST_PORT = offset("tcp_dest");
    private static final int TCP_DATA_OFF = offset("tcp_doff");
    private static final int TCP_FLAGS = offset("tcp_flags");
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

    private static int offset(String field) {
        return (int) LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement(field));
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
