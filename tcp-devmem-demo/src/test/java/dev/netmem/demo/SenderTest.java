package dev.netmem.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The built-in sender's pacing ({@code --rate}): never ahead of its schedule, and the same stream. */
class SenderTest {

    /** A channel that takes everything and remembers how much and when the last write ended. */
    private static final class Sink implements WritableByteChannel {
        long bytes;
        int writes;
        int largest;

        @Override
        public int write(ByteBuffer src) {
            int n = src.remaining();
            src.position(src.limit());
            bytes += n;
            writes++;
            largest = Math.max(largest, n);
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }

    @Test
    void shouldSendTheWholeStreamAtTheRateInWritesOfTenMilliseconds() throws Exception {
        long rate = 1 << 20; // 1 MiB/s: writes of 10,485 bytes
        Sink sink = new Sink();
        Sender.Result r = Sender.send(sink, 100_000, 0, true, rate);
        assertEquals(100_000, r.bytes());
        assertEquals(100_000, sink.bytes);
        assertEquals(rate / 100, sink.largest, "a write is 10 ms of the rate");
        assertEquals(10, sink.writes);
        // the last write may go out when it is due: after 9 full writes' worth of the rate
        assertTrue(r.seconds() >= 9.0 * (rate / 100) / rate, "ahead of the schedule: " + r.seconds() + " s");
        MessageDigest sha = StreamPattern.newSha256();
        StreamPattern.update(sha, 0, 100_000);
        assertEquals(HexFormat.of().formatHex(sha.digest()), r.sha256(), "the same stream as unpaced");
    }

    @Test
    void shouldStopAtTheDeadlineWithNoMoreThanTheRateAllows() throws Exception {
        long rate = 4 << 20;
        Sink sink = new Sink();
        Sender.Result r = Sender.send(sink, 0, 0.3, false, rate);
        // by the deadline at most 0.3 s of the rate plus the write that was due when it came
        assertTrue(r.bytes() <= (long) (0.3 * rate) + rate / 100, r.bytes() + " bytes in 0.3 s at " + rate + " B/s");
        assertTrue(r.bytes() > 0);
        assertEquals(sink.bytes, r.bytes());
    }

    @Test
    void shouldRejectANegativeRate() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Sender.send(new Sink(), 1, 0, false, -1));
        assertEquals("rate must be positive, or 0 for none: -1", e.getMessage());
    }
}
