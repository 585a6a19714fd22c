package dev.netmem.uring;

import static dev.netmem.uring.IoUringDescriptor.IORING_REGISTER_PROBE;
import static dev.netmem.uring.IoUringDescriptor.IO_URING_OP_SUPPORTED;
import static dev.netmem.uring.IoUringDescriptor.IO_URING_PROBE;
import static dev.netmem.uring.IoUringDescriptor.IO_URING_PROBE_OP;
import static dev.netmem.uring.IoUringDescriptor.PROBE_LAST_OP;
import static dev.netmem.uring.IoUringDescriptor.PROBE_OPS_LEN;
import static dev.netmem.uring.IoUringDescriptor.PROBE_OP_FLAGS;
import static dev.netmem.uring.IoUringDescriptor.PROBE_OP_OP;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.BitSet;

/**
 * The opcodes the running kernel supports, from {@code IORING_REGISTER_PROBE} (liburing's
 * {@code io_uring_get_probe_ring}). Immutable.
 */
public final class IoUringProbe {
    /** The probe asks for this many ops: the register call's limit. */
    static final int MAX_OPS = 256;

    private final int lastOp;
    private final BitSet supported;

    private IoUringProbe(int lastOp, BitSet supported) {
        this.lastOp = lastOp;
        this.supported = supported;
    }

    static IoUringProbe of(IoUring ring) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment probe = arena.allocate(IO_URING_PROBE.byteSize() + MAX_OPS * IO_URING_PROBE_OP.byteSize(), 8);
            IoUring.check(ring.register(IORING_REGISTER_PROBE, probe.address(), MAX_OPS), "IORING_REGISTER_PROBE");
            int lastOp = Byte.toUnsignedInt((byte) PROBE_LAST_OP.get(probe, 0L));
            int opsLen = Byte.toUnsignedInt((byte) PROBE_OPS_LEN.get(probe, 0L));
            BitSet supported = new BitSet(opsLen);
            for (int i = 0; i < opsLen; i++) {
                long base = IO_URING_PROBE.byteSize() + i * IO_URING_PROBE_OP.byteSize();
                int flags = (short) PROBE_OP_FLAGS.get(probe, base);
                if ((flags & IO_URING_OP_SUPPORTED) != 0) {
                    supported.set(Byte.toUnsignedInt((byte) PROBE_OP_OP.get(probe, base)));
                }
            }
            return new IoUringProbe(lastOp, supported);
        }
    }

    /** The highest opcode the kernel knows ({@code last_op}). */
    public int lastOp() {
        return lastOp;
    }

    /** Whether {@code IORING_OP_*} {@code opcode} is supported. */
    public boolean supports(int opcode) {
        return opcode >= 0 && supported.get(opcode);
    }

    /** How many opcodes are supported. */
    public int supportedCount() {
        return supported.cardinality();
    }

    @Override
    public String toString() {
        return "IoUringProbe[lastOp=" + lastOp + ", supported=" + supported.cardinality() + "]";
    }
}
