package dev.netmem.demo;

import java.util.List;
import java.util.Locale;

/**
 * Validated {@code ./netmem demo} options ({@link DemoMain} parses them). Every bad value is rejected
 * with a message naming it.
 *
 * @param provider    {@code host}, {@code dmabuf} or {@code user-ring}
 * @param mode        {@code zerocopy} or {@code copy}
 * @param bytes       bytes to send (built-in sender), or 0 when {@code seconds} bounds the run
 * @param seconds     seconds to send for when {@code bytes} is 0
 * @param queues      RX queues on the emulated device
 * @param json        print the summary as JSON on the last line of stdout
 * @param listenPort  receive from external clients on this port instead of the built-in sender, or -1
 * @param connections with {@code listenPort}: connections to serve before exiting
 * @param quiet       no live progress line
 * @param verify      how the consumer verifies: {@code both} (pattern and SHA-256), {@code pattern}, {@code sha256}
 * @param nic         {@code uring} (the io_uring NIC driver: the kernel receives into the pool's buffers)
 *                    or {@code emulated} (a wire copies socket bytes into them)
 * @param uringGiven  whether {@code --uring} was given (else the demo picks bundles where the kernel has them)
 * @param bundles     io_uring driver: receive bundles ({@code IORING_RECVSEND_BUNDLE})
 * @param incremental io_uring driver: incremental buffer consumption ({@code IOU_PBUF_RING_INC})
 * @param bufferOrder io_uring driver: page-pool order of the posted buffers (0: 4 KiB, up to 4: 64 KiB)
 * @param rxBufLen    {@code --rx-buf-len}, 0 when not given (the default, 4 KiB): for {@code user-ring} the
 *                    zcrx {@code rx_buf_len}, for {@code dmabuf} bind-rx's {@code rx-buf-size} (the
 *                    net-next devmem attribute netmem models ahead of the 6.18 kernel); either way the
 *                    size of each net_iov and of the queue's page-pool buffers ({@code rx_page_size})
 * @param rate        {@code --rate}: the built-in sender's pace in bytes per second, 0 when not given (as fast
 *                    as the connection takes them)
 */
record DemoOptions(String provider, String mode, long bytes, double seconds, int queues, boolean json,
                   int listenPort, int connections, boolean quiet, String nic, String verify,
                   boolean uringGiven, boolean bundles, boolean incremental, int bufferOrder, int rxBufLen,
                   long rate) {

    /** The providers {@code --provider} accepts (and shell completion offers). */
    static final List<String> PROVIDERS = List.of("host", "dmabuf", "user-ring");
    /** The modes {@code --mode} accepts. */
    static final List<String> MODES = List.of("zerocopy", "copy");
    /** The NIC drivers {@code --nic} accepts. */
    static final List<String> NICS = List.of("uring", "emulated");
    /** What {@code --verify} accepts. */
    static final List<String> VERIFY = List.of("both", "pattern", "sha256");
    /** {@code --queues} range: the emulated NIC's RX queues (the demo receives on queue 0). */
    static final int MIN_QUEUES = 1;
    /** See {@link #MIN_QUEUES}. */
    static final int MAX_QUEUES = 64;
    /** The largest {@code --uring order=N}: 64 KiB buffers. */
    static final int MAX_BUFFER_ORDER = 4;
    /** The largest {@code --rx-buf-len}: the drivers' largest {@code rx_page_size}. */
    static final int MAX_RX_BUF_LEN = 64 << 10;

    /**
     * Validates what the command line gave ({@code null}: not given) and applies the defaults; throws
     * {@link IllegalArgumentException} with a precise message on bad usage. {@code uring}: a
     * comma-separated list of {@code bundles}, {@code incremental} and {@code order=N}.
     * {@code rxBufLen}: the provider's buffer size, a power of two in [4 KiB, 64 KiB], {@code --provider
     * dmabuf} or {@code user-ring} only (host pages are sized with {@code --uring order=N}). {@code rate}:
     * the built-in sender's pace in bytes per second, like {@code 100m}; not with {@code --listen}
     * (clients send at their own pace).
     */
    static DemoOptions of(String provider, String mode, String bytes, String seconds, int queues, boolean json,
                          Integer listen, Integer connections, boolean quiet, String nic, String verify,
                          String uring, String rxBufLen, String rate) {
        String p = oneOf("--provider", provider == null ? "dmabuf" : provider, PROVIDERS);
        String m = oneOf("--mode", mode == null ? "zerocopy" : mode, MODES);
        String n = oneOf("--nic", nic == null ? "uring" : nic, NICS);
        String v = oneOf("--verify", verify == null ? "both" : verify, VERIFY);
        long b = bytes == null ? 0 : parseBytes("--bytes", bytes);
        double s = seconds == null ? 0 : parsePositiveDouble("--seconds", seconds);
        checkRange("--queues", queues, MIN_QUEUES, MAX_QUEUES);
        int port = -1;
        if (listen != null) {
            port = checkRange("--listen", listen, 1, 65535);
        }
        int conns = 1;
        if (connections != null) {
            conns = checkRange("--connections", connections, 1, 1_000_000);
        }
        if (b > 0 && s > 0) {
            throw new IllegalArgumentException("give --bytes or --seconds, not both");
        }
        if (port > 0 && (b > 0 || s > 0)) {
            throw new IllegalArgumentException("--listen receives what clients send: --bytes/--seconds do not apply");
        }
        if (port < 0 && connections != null) {
            throw new IllegalArgumentException("--connections needs --listen");
        }
        if (port < 0 && b == 0 && s == 0) {
            s = 20;
        }
        boolean bundles = false;
        boolean incremental = false;
        int order = 0;
        if (uring != null) {
            if (!n.equals("uring")) {
                throw new IllegalArgumentException("--uring applies to the io_uring driver, not --nic " + n);
            }
            for (String opt : uring.split(",", -1)) {
                if (opt.equals("none") && uring.equals("none")) {
                    break; // none of them (the default is bundles where the kernel has them)
                } else if (opt.equals("bundles")) {
                    bundles = true;
                } else if (opt.equals("incremental")) {
                    incremental = true;
                } else if (opt.startsWith("order=")) {
                    try {
                        order = Integer.parseInt(opt.substring("order=".length()));
                    } catch (NumberFormatException e) {
                        order = -1;
                    }
                    if (order < 0 || order > MAX_BUFFER_ORDER) {
                        throw new IllegalArgumentException("--uring order must be an integer in [0, "
                                + MAX_BUFFER_ORDER + "]: " + opt);
                    }
                    if (order > 0 && !p.equals("host")) {
                        throw new IllegalArgumentException("--uring " + opt + " needs --provider host: " + p
                                + " buffers are its net_iovs (4 KiB), sized with --rx-buf-len instead");
                    }
                } else {
                    throw new IllegalArgumentException("--uring takes none, or a comma-separated list of bundles, "
                            + "incremental and order=N: " + (opt.isEmpty() ? "an empty item" : opt));
                }
            }
        }
        int bufLen = 0;
        if (rxBufLen != null) {
            if (p.equals("host")) {
                throw new IllegalArgumentException("--rx-buf-len applies to --provider dmabuf or user-ring, not host");
            }
            long len = parseBytes("--rx-buf-len", rxBufLen);
            if (Long.bitCount(len) != 1 || len < 4096 || len > MAX_RX_BUF_LEN) {
                throw new IllegalArgumentException("--rx-buf-len must be a power of two from 4k to 64k: " + rxBufLen);
            }
            bufLen = (int) len;
        }
        long pace = 0;
        if (rate != null) {
            if (port > 0) {
                throw new IllegalArgumentException("--rate paces the built-in sender: with --listen clients send at "
                        + "their own pace");
            }
            pace = parseBytes("--rate", rate);
        }
        return new DemoOptions(p, m, b, s, queues, json, port, conns, quiet, n, v, uring != null, bundles, incremental,
                order, bufLen, pace);
    }

    private static String oneOf(String opt, String v, List<String> allowed) {
        if (allowed.contains(v)) {
            return v;
        }
        throw new IllegalArgumentException(opt + " must be one of " + String.join("|", allowed) + ": " + v);
    }

    static long parseBytes(String opt, String v) {
        String s = v.toLowerCase(Locale.ROOT);
        long mult = 1;
        if (s.endsWith("k")) {
            mult = 1L << 10;
        } else if (s.endsWith("m")) {
            mult = 1L << 20;
        } else if (s.endsWith("g")) {
            mult = 1L << 30;
        }
        if (mult != 1) {
            s = s.substring(0, s.length() - 1);
        }
        try {
            long n = Long.parseLong(s);
            if (n <= 0 || n > Long.MAX_VALUE / mult) {
                throw new NumberFormatException();
            }
            return n * mult;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(opt + " must be a positive byte count like 64m: " + v);
        }
    }

    private static double parsePositiveDouble(String opt, String v) {
        try {
            double d = Double.parseDouble(v);
            if (!(d > 0) || d > 86_400) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(opt + " must be a number of seconds in (0, 86400]: " + v);
        }
    }

    private static int checkRange(String opt, int n, int min, int max) {
        if (n < min || n > max) {
            throw new IllegalArgumentException(opt + " must be an integer in [" + min + ", " + max + "]: " + n);
        }
        return n;
    }
}
