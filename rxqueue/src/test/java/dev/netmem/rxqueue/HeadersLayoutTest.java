package dev.netmem.rxqueue;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.netmem.rxqueue.net.Headers;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** The wire headers' layout against the on-wire offsets of Ethernet, IPv4 and TCP (RFC 791, RFC 9293). */
class HeadersLayoutTest {
    private static long at(String f) {
        return Headers.LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement(f));
    }

    @Test
    void shouldPlaceEveryFieldAtItsWireOffset() {
        assertEquals(54, Headers.HEADER_LEN);
        assertEquals(12, at("eth_type"));
        assertEquals(14, at("ip_version_ihl"));
        assertEquals(16, at("ip_tot_len"));
        assertEquals(23, at("ip_protocol"));
        assertEquals(26, at("ip_saddr"));
        assertEquals(30, at("ip_daddr"));
        assertEquals(34, at("tcp_source"));
        assertEquals(36, at("tcp_dest"));
        assertEquals(46, at("tcp_doff"));
        assertEquals(47, at("tcp_flags"));
    }

    @Test
    void shouldReadBackWhatItWrote() {
        MemorySegment s = MemorySegment.ofArray(new byte[100]);
        Headers.write(s, 10, 40000, 5201, 1000, Headers.TCP_FIN | Headers.TCP_ACK);
        assertEquals(40000, Headers.srcPort(s, 10));
        assertEquals(5201, Headers.dstPort(s, 10));
        assertEquals(Headers.TCP_FIN | Headers.TCP_ACK, Headers.tcpFlags(s, 10));
        assertEquals((byte) 0x45, s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 24), "IPv4, 20-byte header");
    }
}
