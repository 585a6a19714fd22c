package dev.netmem.soak;

import dev.netmem.rxqueue.wire.PayloadPattern;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The payload of one soak flow: fixed-size packets, each starting with its sequence number (8 bytes,
 * little-endian, xor a per-flow salt) and filled with bytes derived from the sequence number and the
 * position. A receiver can verify every packet on its own: a lost packet shows up as a counted gap
 * (only the stack's counted drops may cause one; a restarting queue delivers what the NIC wrote), and
 * any duplicate, reordering or corrupted byte is a violation.
 */
final class SeqPattern implements PayloadPattern {
    static final int SEQ_BYTES = 8;
    /** Body bytes depend on the sequence number only through the low 8 bits of {@code seq * 131}. */
    private static final int BODIES = 256;

    private final int packetSize;
    private final long salt;
    /**
     * {@code bodies[k]}: the body of a packet whose {@code seq * 131} ends in {@code k} (its first
     * {@link #SEQ_BYTES} bytes unused); made when first needed, by the wire or the receiver.
     */
    private final AtomicReferenceArray<MemorySegment> bodies = new AtomicReferenceArray<>(BODIES);

    SeqPattern(int packetSize, long salt) {
        if (packetSize <= SEQ_BYTES) {
            throw new IllegalArgumentException("packetSize must be > " + SEQ_BYTES + ": " + packetSize);
        }
        this.packetSize = packetSize;
        this.salt = salt;
    }

    /** Bytes per packet, sequence number included. */
    int packetSize() {
        return packetSize;
    }

    /** What the sequence numbers are xored with. */
    long salt() {
        return salt;
    }

    @Override
    public byte at(long offset) {
        long seq = offset / packetSize;
        int pos = (int) (offset - seq * packetSize);
        return pos < SEQ_BYTES ? (byte) ((seq ^ salt) >>> (8 * pos)) : body(seq, pos);
    }

    /**
     * Packet by packet: the sequence number's bytes one by one, the body copied from the body of its
     * class (a bulk copy: a wire sends 3,000 packets a second, and byte by byte it took a tenth of a
     * core each while the JIT warmed up).
     */
    @Override
    public void fill(MemorySegment dst, long offset) {
        long len = dst.byteSize();
        long i = 0;
        while (i < len) {
            long seq = (offset + i) / packetSize;
            int pos = (int) (offset + i - seq * packetSize);
            for (; pos < SEQ_BYTES && i < len; pos++, i++) {
                dst.set(ValueLayout.JAVA_BYTE, i, (byte) ((seq ^ salt) >>> (8 * pos)));
            }
            int n = (int) Math.min(len - i, packetSize - pos);
            if (n > 0) {
                MemorySegment.copy(bodyOf(seq), pos, dst, i, n);
                i += n;
            }
        }
    }

    static byte body(long seq, int pos) {
        return bodyByte((int) (seq * 131), pos);
    }

    /** A body byte: only the low 8 bits of {@code seq * 131} count, which {@link #bodyOf} relies on. */
    private static byte bodyByte(int seqTimes131, int pos) {
        return (byte) ((seqTimes131 + pos) ^ (pos >>> 7));
    }

    /** The body of packet {@code seq} ({@link #body} at every position past the sequence number). */
    private MemorySegment bodyOf(long seq) {
        int k = (int) (seq * 131) & (BODIES - 1);
        MemorySegment b = bodies.get(k);
        if (b == null) {
            byte[] a = new byte[packetSize];
            for (int pos = SEQ_BYTES; pos < packetSize; pos++) {
                a[pos] = bodyByte(k, pos);
            }
            bodies.compareAndSet(k, null, MemorySegment.ofArray(a)); // a racing thread made the same bytes
            b = bodies.get(k);
        }
        return b;
    }

    @Override
    public String toString() {
        return "SeqPattern[packetSize=" + packetSize + ", salt=" + salt + "]";
    }

    /** Verifies one flow's received stream, fed in order. One thread at a time. */
    static final class Verifier {
        private final SeqPattern p;
        private final Violations violations;
        private final String flow;
        private int pos;
        private long seqBits;
        private long seq = -1;
        private long lastSeq = -1;
        private long packets;
        private long bytes;
        private long lost;

        Verifier(SeqPattern p, Violations violations, String flow) {
            this.p = p;
            this.violations = violations;
            this.flow = flow;
        }

        /** Checks {@code len} received bytes at {@code off} of {@code seg}. */
        void feed(MemorySegment seg, long off, long len) {
            long i = 0;
            while (i < len) {
                if (pos < SEQ_BYTES) {
                    seqBits |= (seg.get(ValueLayout.JAVA_BYTE, off + i) & 0xFFL) << (8 * pos);
                    if (pos == SEQ_BYTES - 1) {
                        startPacket(seqBits ^ p.salt());
                    }
                    i++;
                    pos++;
                } else { // the body, compared in bulk with the body of its class; every wrong byte is reported
                    int n = (int) Math.min(len - i, p.packetSize() - pos);
                    MemorySegment want = p.bodyOf(seq);
                    long at = 0;
                    long m;
                    while ((m = MemorySegment.mismatch(seg, off + i + at, off + i + n, want, pos + at, pos + n)) >= 0) {
                        int bad = (int) (pos + at + m);
                        violations.add(flow + ": packet " + seq + " byte " + bad + " is "
                                + seg.get(ValueLayout.JAVA_BYTE, off + i + at + m) + ", expected " + body(seq, bad));
                        at += m + 1;
                    }
                    i += n;
                    pos += n;
                }
                if (pos == p.packetSize()) {
                    pos = 0;
                    seqBits = 0;
                    packets++;
                }
            }
            bytes += len;
        }

        private void startPacket(long s) {
            if (s <= lastSeq) {
                violations.add(flow + ": packet " + s + " after packet " + lastSeq + " (duplicated or reordered)");
            } else {
                lost += s - lastSeq - 1;
                lastSeq = s;
            }
            seq = s;
        }

        long packets() {
            return packets;
        }

        long bytes() {
            return bytes;
        }

        /** Packets missing between those received. */
        long lost() {
            return lost;
        }

        /** Whether the last packet was received whole. */
        boolean atPacketBoundary() {
            return pos == 0;
        }
    }
}
