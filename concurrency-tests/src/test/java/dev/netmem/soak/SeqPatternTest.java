package dev.netmem.soak;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The soak's payload: the wire's packet-by-packet fill writes exactly the bytes {@code at} defines. */
class SeqPatternTest {
    private static final long SEED = 20261207L;

    @Test
    void shouldFillEveryRunWithTheBytesOfAt() {
        System.out.println("SeqPatternTest seed=" + SEED);
        Random r = new Random(SEED);
        MemorySegment buf = Arena.ofAuto().allocate(20_000);
        for (int c = 0; c < 500; c++) {
            SeqPattern p = new SeqPattern(SeqPattern.SEQ_BYTES + 1 + r.nextInt(5000), r.nextLong());
            // runs that start mid-packet, inside the sequence number, span several packets, or are empty
            long offset = r.nextInt(4) == 0 ? (long) r.nextInt(1000) * p.packetSize() : r.nextLong(1L << 40);
            MemorySegment run = buf.asSlice(0, r.nextInt(4) == 0 ? r.nextInt(16) : r.nextInt(20_000));
            p.fill(run, offset);
            for (long i = 0; i < run.byteSize(); i++) {
                assertEquals(p.at(offset + i), run.get(ValueLayout.JAVA_BYTE, i),
                        "seed " + SEED + " case " + c + ": byte " + i + " of a run from " + offset + ", " + p);
            }
        }
    }

    /** The verifier, fed in random pieces: a clean stream passes; each flipped body byte is reported once. */
    @Test
    void shouldVerifyInPiecesAndReportEveryWrongByte() {
        Random r = new Random(SEED + 1);
        SeqPattern p = new SeqPattern(3500, 77);
        MemorySegment stream = Arena.ofAuto().allocate(3500L * 40);
        p.fill(stream, 0);
        Violations v = new Violations();
        SeqPattern.Verifier clean = new SeqPattern.Verifier(p, v, "flow x");
        feedInPieces(clean, stream, r);
        assertEquals(0, v.count(), v.details().toString());
        assertEquals(40, clean.packets());
        assertEquals(0, clean.lost());
        stream.set(ValueLayout.JAVA_BYTE, 3500L * 7 + 100, (byte) (p.at(3500L * 7 + 100) ^ 1));
        stream.set(ValueLayout.JAVA_BYTE, 3500L * 7 + 101, (byte) (p.at(3500L * 7 + 101) ^ 4));
        stream.set(ValueLayout.JAVA_BYTE, 3500L * 39 + 3499, (byte) (p.at(3500L * 39 + 3499) ^ 2));
        SeqPattern.Verifier bad = new SeqPattern.Verifier(p, v, "flow x");
        feedInPieces(bad, stream, r);
        assertEquals(List.of("flow x: packet 7 byte 100 is " + (byte) (p.at(3500L * 7 + 100) ^ 1) + ", expected "
                        + p.at(3500L * 7 + 100),
                "flow x: packet 7 byte 101 is " + (byte) (p.at(3500L * 7 + 101) ^ 4) + ", expected "
                        + p.at(3500L * 7 + 101),
                "flow x: packet 39 byte 3499 is " + (byte) (p.at(3500L * 39 + 3499) ^ 2) + ", expected "
                        + p.at(3500L * 39 + 3499)), v.details());
        assertEquals(40, bad.packets());
    }

    private static void feedInPieces(SeqPattern.Verifier ver, MemorySegment stream, Random r) {
        long at = 0;
        while (at < stream.byteSize()) {
            long n = Math.min(stream.byteSize() - at, 1 + r.nextInt(r.nextBoolean() ? 12 : 9000));
            ver.feed(stream, at, n);
            at += n;
        }
    }
}
