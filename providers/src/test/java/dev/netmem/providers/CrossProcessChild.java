package dev.netmem.providers;

import dev.netmem.providers.dmabuf.Dmabuf;
import dev.netmem.providers.zcrx.ZcrxArea;
import dev.netmem.providers.zcrx.ZcrxIfq;
import dev.netmem.providers.zcrx.ZcrxUserRing;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The consumer process of the cross-process tests: maps a dma-buf (or a zcrx region and its area)
 * by path, checks received bytes in place and gives buffers back, talking line by line over
 * stdin/stdout. Runs as {@code java -cp ... dev.netmem.providers.CrossProcessChild <mode> <args>}.
 * <ul>
 *   <li>{@code dmabuf <file>}: prints {@code READY}; for each {@code CHECK <token> <offset> <len>}
 *       verifies the bytes and answers {@code RET <token>} (or {@code BAD ...}); {@code END} →
 *       {@code BYE <count>}.</li>
 *   <li>{@code zcrx <region> <area> <n>}: prints {@code READY}; on {@code GO} reads {@code n}
 *       completions, verifies their bytes, returns every buffer through the refill ring, then writes
 *       five bad refill entries (nonzero pad, duplicate, foreign area, index past the area, garbage)
 *       and answers {@code REFILLED <n>}; {@code END} → {@code BYE}.</li>
 * </ul>
 */
public final class CrossProcessChild {
    private CrossProcessChild() {
    }

    /** The byte the producer writes at offset {@code x} of the shared memory. */
    public static byte pattern(long x) {
        return (byte) (x * 131 + (x >>> 8));
    }

    /** Index of the first byte of {@code seg[0..len)} that differs from {@code pattern(base + j)}, or -1. */
    public static long firstMismatch(MemorySegment seg, long base, long len) {
        for (long j = 0; j < len; j++) {
            if (seg.get(ValueLayout.JAVA_BYTE, j) != pattern(base + j)) {
                return j;
            }
        }
        return -1;
    }

    /** Entry point; exit status 0 when the protocol completed, 1 on a verification failure, 2 on misuse. */
    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        int status = switch (args[0]) {
            case "dmabuf" -> dmabuf(Path.of(args[1]), in, out);
            case "abandon" -> abandon(Path.of(args[1]), out);
            case "zcrx" -> zcrx(Path.of(args[1]), Path.of(args[2]), Integer.parseInt(args[3]), in, out);
            default -> 2;
        };
        System.exit(status);
    }

    /** Creates a dmabuf and a zcrx region in {@code dir}, prints their paths, and exits without closing them. */
    private static int abandon(Path dir, PrintStream out) {
        Dmabuf d = Dmabuf.create(dir, 4096);
        ZcrxIfq ifq = ZcrxIfq.register(ZcrxArea.ofUserMemory(java.lang.foreign.Arena.ofAuto().allocate(4096, 4096)),
                new dev.netmem.api.DmaDevice("abandon", true), 4, 8, dir, q -> { });
        out.println(d.path());
        out.println(ifq.regionPath());
        return 0;
    }

    private static int dmabuf(Path file, BufferedReader in, PrintStream out) throws Exception {
        try (Dmabuf d = Dmabuf.open(file)) {
            out.println("READY");
            int checked = 0;
            String line;
            while ((line = in.readLine()) != null) {
                String[] f = line.split(" ");
                if (f[0].equals("END")) {
                    out.println("BYE " + checked);
                    return 0;
                }
                long offset = Long.parseLong(f[2]);
                int len = Integer.parseInt(f[3]);
                long bad = firstMismatch(d.segment().asSlice(offset, len), offset, len);
                if (bad >= 0) {
                    out.println("BAD " + f[1] + " at " + bad);
                    return 1;
                }
                checked++;
                out.println("RET " + f[1]);
            }
            return 2;
        }
    }

    private static int zcrx(Path region, Path area, int n, BufferedReader in, PrintStream out) throws Exception {
        try (ZcrxUserRing ring = ZcrxUserRing.open(region, area)) {
            out.println("READY");
            if (!"GO".equals(in.readLine())) {
                return 2;
            }
            List<long[]> cqes = new ArrayList<>();
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (cqes.size() < n && System.nanoTime() < deadline) {
                if (ring.poll((off, len, flags) -> cqes.add(new long[] {off, len})) == 0) {
                    Thread.sleep(1);
                }
            }
            if (cqes.size() != n) {
                out.println("BAD got " + cqes.size() + " completions");
                return 1;
            }
            for (long[] c : cqes) {
                long areaOff = c[0] & ~ZcrxArea.IORING_ZCRX_AREA_MASK;
                long bad = firstMismatch(ring.data(c[0], (int) c[1]), areaOff, c[1]);
                if (bad >= 0) {
                    out.println("BAD completion at " + areaOff + "+" + bad);
                    return 1;
                }
            }
            for (long[] c : cqes) {
                ring.refill(c[0], (int) c[1]);
            }
            long first = cqes.get(0)[0];
            ring.postRefillEntry(first, 1, 1);                                             // nonzero __pad
            ring.refill(first, 1);                                                         // duplicate
            ring.postRefillEntry((2L << ZcrxArea.IORING_ZCRX_AREA_SHIFT) | first, 1, 0);   // foreign area
            ring.postRefillEntry(ring.areaToken() | ring.area().byteSize(), 1, 0);         // past the area
            ring.postRefillEntry(0xdeadbeefcafebabeL, 7, 0);                               // garbage
            out.println("REFILLED " + n);
            return "END".equals(in.readLine()) ? bye(out) : 2;
        }
    }

    private static int bye(PrintStream out) {
        out.println("BYE");
        return 0;
    }
}
