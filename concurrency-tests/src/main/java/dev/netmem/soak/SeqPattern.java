package dev.netmem.soak;

import dev.netmem.rxqueue.wire.PayloadPattern;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The payload of one soak flow: fixed-size packets, each starting with its sequence number (8 bytes,
 * little-endian, xor a per-flow salt) and filled with bytes derived from the sequence number and the
 * position. A receiver can verify every packet on its own: a lost packet shows up as a counted gap
 * (only the stack's counted drops may cause one; a restarting queue delivers what the NIC wrote), and
 * any duplicate, reordering or corrupted byte is a violation.
 */
record SeqPattern(int packetSize, long salt) implements PayloadPattern {
    static final int SEQ_BYTES = 8;

    SeqPattern {
        if (packetSize <= SEQ_BYTES) {
            throw new IllegalArgumentException("packetSize must be > " + SEQ_BYTES + ": " + packetSize);
        }
    }

    @Override
    public byte at(long offset) {
        long seq = offset / packetSize;
        int pos = (int) (offset - seq * packetSize);
        return pos < SEQ_BYTES ? (byte) ((seq ^ salt) >>> (8 * pos)) : body(seq, pos);
    }

    static byte body(long seq, int pos) {
        return (byte) ((seq * 131 + pos) ^ (pos >>> 7));
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
            for (long i = 0; i < len; i++) {
                byte b = seg.get(ValueLayout.JAVA_BYTE, off + i);
                if (pos < SEQ_BYTES) {
                    seqBits |= (b & 0xFFL) << (8 * pos);
                    if (pos == SEQ_BYTES - 1) {
                        startPacket(seqBits ^ p.salt());
                    }
                } else if (b != body(seq, pos)) {
                    violations.add(flow + ": packet " + seq + " byte " + pos + " is " + b + ", expected "
                            + body(seq, pos));
                }
                if (++pos == p.packetSize()) {
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
