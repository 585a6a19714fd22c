package dev.netmem.rxqueue.nic;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Fault injection for the RX engine's buffer allocation, modelling the kernel's page_pool fault
 * injection used by the {@code pp_alloc_fail.py} selftest. Consulted once per descriptor refill,
 * before fresh buffers are allocated; a failure counts {@link RxQueue#rxAllocFail()} and leaves
 * the slot unposted until a later poll, so the NIC drops packets ({@link RxQueue#rxMissed()})
 * while buffers are short and traffic resumes as soon as a refill succeeds.
 *
 * <p>Caller: the queue's NAPI. Implementations must not allocate or block.
 */
public interface AllocFailPolicy {
    /** Whether this allocation should fail. */
    boolean shouldFail();

    /** Never fails (the default). */
    static AllocFailPolicy none() {
        return Never.INSTANCE;
    }

    /**
     * Fails every {@code interval}-th allocation (the selftest uses interval 511, probability 100%).
     *
     * @throws IllegalArgumentException if {@code interval < 1}
     */
    static AllocFailPolicy everyNth(int interval) {
        if (interval < 1) {
            throw new IllegalArgumentException("interval must be >= 1: " + interval);
        }
        return new EveryNth(interval);
    }

    /** {@link #none()}. */
    enum Never implements AllocFailPolicy {
        /** The instance. */
        INSTANCE;

        @Override
        public boolean shouldFail() {
            return false;
        }
    }

    /** {@link #everyNth(int)}; shared by queues, so the counter is atomic. */
    final class EveryNth implements AllocFailPolicy {
        private final int interval;
        private final AtomicLong calls = new AtomicLong();

        private EveryNth(int interval) {
            this.interval = interval;
        }

        @Override
        public boolean shouldFail() {
            return calls.incrementAndGet() % interval == 0;
        }
    }
}
