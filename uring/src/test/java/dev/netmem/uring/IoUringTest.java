package dev.netmem.uring;

import static dev.netmem.uring.IoUringDescriptor.IORING_FEAT_NODROP;
import static dev.netmem.uring.IoUringDescriptor.IORING_OP_ASYNC_CANCEL;
import static dev.netmem.uring.IoUringDescriptor.IORING_OP_RECV;
import static dev.netmem.uring.IoUringDescriptor.IORING_SETUP_CQSIZE;
import static dev.netmem.uring.IoUringDescriptor.IORING_SETUP_DEFER_TASKRUN;
import static dev.netmem.uring.IoUringDescriptor.IORING_SETUP_NO_SQARRAY;
import static dev.netmem.uring.IoUringDescriptor.IORING_SETUP_R_DISABLED;
import static dev.netmem.uring.IoUringDescriptor.IORING_SETUP_SINGLE_ISSUER;
import static dev.netmem.uring.IoUringDescriptor.IORING_SETUP_SUBMIT_ALL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.netmem.api.Errno;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class IoUringTest {

    @BeforeEach
    void requireIoUring() {
        UringTestSupport.assumeIoUring();
    }

    private static List<long[]> reapAll(IoUring ring) {
        List<long[]> cqes = new ArrayList<>();
        ring.reap((ud, res, flags) -> cqes.add(new long[] {ud, res, flags}));
        return cqes;
    }

    @Test
    void shouldProbeOpcodesFeaturesAndAcceptedFlags() {
        try (IoUring ring = IoUring.open(IoUringParams.of(8, 64))) {
            IoUringProbe probe = ring.probe();
            System.out.println(ring + " " + probe);
            assertTrue(probe.supports(IORING_OP_RECV), "IORING_OP_RECV");
            assertTrue(probe.supports(IORING_OP_ASYNC_CANCEL), "IORING_OP_ASYNC_CANCEL");
            assertTrue(probe.lastOp() >= IORING_OP_RECV, "lastOp " + probe.lastOp());
            assertFalse(probe.supports(255));
            assertEquals(0, ring.setupFlags() & ~IoUringParams.DEFAULT_FLAGS, "only requested flags");
            assertTrue((ring.setupFlags() & IORING_SETUP_CQSIZE) != 0);
            assertEquals(8, ring.sqEntries());
            assertEquals(64, ring.cqEntries());
            assertTrue(ring.isOwnerThread());
        }
    }

    @Test
    void shouldCompleteNopsInSubmissionOrder() {
        try (IoUring ring = IoUring.open(IoUringParams.of(8, 64))) {
            for (int i = 1; i <= 3; i++) {
                ring.prepNop(ring.getSqe(), i);
            }
            assertEquals(3, ring.submitAndWait(3, 5_000_000_000L));
            List<long[]> cqes = reapAll(ring);
            assertEquals(3, cqes.size());
            for (int i = 0; i < 3; i++) {
                assertEquals(i + 1, cqes.get(i)[0]);
                assertEquals(0, cqes.get(i)[1]);
            }
            assertEquals(0, ring.cqReady());
        }
    }

    @Test
    void shouldReportAFullSubmissionQueue() {
        try (IoUring ring = IoUring.open(IoUringParams.of(2, 8))) {
            ring.prepNop(ring.getSqe(), 1);
            ring.prepNop(ring.getSqe(), 2);
            assertEquals(-1, ring.getSqe());
            assertEquals(2, ring.submit());
            ring.prepNop(ring.getSqe(), 3);
        }
    }

    @Test
    void shouldReturnWhenTheWaitTimesOut() {
        try (IoUring ring = IoUring.open(IoUringParams.of(2, 8))) {
            assertEquals(0, ring.submitAndWait(1, 1_000_000L));
            assertEquals(0, reapAll(ring).size());
        }
    }

    @Test
    void shouldFlushOverflowedCompletionsWhenReaping() {
        try (IoUring ring = IoUring.open(IoUringParams.of(4, 4))) {
            assumeTrue((ring.features() & IORING_FEAT_NODROP) != 0, "IORING_FEAT_NODROP");
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < 4; i++) {
                    ring.prepNop(ring.getSqe(), round * 4 + i);
                }
                ring.submitAndWait(0, -1);
            }
            List<long[]> cqes = reapAll(ring);
            assertEquals(12, cqes.size());
            for (int i = 0; i < 12; i++) {
                assertEquals(i, cqes.get(i)[0], "CQ order");
            }
            assertTrue(ring.overflowFlushes() > 0, "entered to flush the overflow list");
            assertEquals(0, ring.cqOverflow(), "nothing dropped");
        }
    }

    @Test
    void shouldLetAnotherThreadEnableADisabledRing() throws Exception {
        IoUringParams p = IoUringParams.of(4, 8).withSetupFlags(IoUringParams.DEFAULT_FLAGS | IORING_SETUP_R_DISABLED);
        try (IoUring ring = IoUring.open(p)) {
            assertFalse(ring.isOwnerThread());
            AtomicReference<Object> result = new AtomicReference<>();
            Thread napi = new Thread(() -> {
                try {
                    ring.enable();
                    ring.prepNop(ring.getSqe(), 42);
                    ring.submitAndWait(1, 5_000_000_000L);
                    result.set(reapAll(ring).getFirst()[0]);
                } catch (Throwable t) {
                    result.set(t);
                }
            }, "napi");
            napi.start();
            napi.join();
            assertEquals(42L, result.get());
            assertFalse(ring.isOwnerThread());
            IllegalStateException again = assertThrows(IllegalStateException.class, ring::enable);
            assertEquals("ring is already enabled, owned by napi", again.getMessage());
        }
    }

    @Test
    void shouldAssertTheOwnerThread() throws Exception {
        try (IoUring ring = IoUring.open(IoUringParams.of(4, 8))) {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Thread other = new Thread(() -> {
                try {
                    ring.getSqe();
                } catch (Throwable t) {
                    thrown.set(t);
                }
            });
            other.start();
            other.join();
            assertEquals("not the ring's owner thread", thrown.get().getMessage());
        }
    }

    @Test
    void shouldBeRefusedByTheKernelFromAnotherTaskWithSingleIssuer() throws Exception {
        try (IoUring ring = IoUring.open(IoUringParams.of(4, 8))) {
            assumeTrue((ring.setupFlags() & IORING_SETUP_SINGLE_ISSUER) != 0, "IORING_SETUP_SINGLE_ISSUER");
            int[] results = new int[2];
            Thread other = new Thread(() -> {
                results[0] = Kernel.LINUX.enter(ring.fd(), 0, 0, IoUringDescriptor.IORING_ENTER_GETEVENTS, 0, 0);
                results[1] = Kernel.LINUX.register(ring.fd(), IoUringDescriptor.IORING_REGISTER_PROBE, 0, 0);
            });
            other.start();
            other.join();
            assertEquals(Errno.EEXIST.value(), results[0], "io_uring_enter from another task");
            assertEquals(Errno.EEXIST.value(), results[1], "io_uring_register from another task");
        }
    }

    @Test
    void shouldDropRejectedSetupFlagsOneByOne() {
        List<Integer> tried = new ArrayList<>();
        Kernel oldKernel = new DelegatingKernel() {
            @Override
            public int setup(int entries, MemorySegment params) {
                int flags = (int) IoUringDescriptor.PARAMS_FLAGS.get(params, 0L);
                tried.add(flags);
                if ((flags & (IORING_SETUP_NO_SQARRAY | IORING_SETUP_DEFER_TASKRUN)) != 0) {
                    return Errno.EINVAL.value(); // a 6.0 kernel
                }
                return super.setup(entries, params);
            }
        };
        try (IoUring ring = IoUring.open(IoUringParams.of(4, 8), oldKernel)) {
            int expected = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER;
            assertEquals(List.of(0x13088, 0x3088, 0x1088), tried);
            assertEquals(expected, ring.setupFlags());
            // without NO_SQARRAY the SQ index array is in use
            for (int i = 0; i < 10; i++) {
                ring.prepNop(ring.getSqe(), i);
                ring.submitAndWait(1, 5_000_000_000L);
                assertEquals(i, reapAll(ring).getFirst()[0]);
            }
        }
    }

    @Test
    void shouldSurfaceDroppedCompletionsAndTreatTimeoutsAndSignalsAsNoEvents() {
        int[] next = {0};
        Kernel kernel = new DelegatingKernel() {
            @Override
            public int enter(int fd, int toSubmit, int minComplete, int flags, long arg, long argSize) {
                return next[0] != 0 ? next[0] : super.enter(fd, toSubmit, minComplete, flags, arg, argSize);
            }
        };
        try (IoUring ring = IoUring.open(IoUringParams.of(4, 8), kernel)) {
            for (int benign : new int[] {Errno.ETIME.value(), Errno.EINTR.value(), Errno.EAGAIN.value(), Errno.EBUSY.value()}) {
                next[0] = benign;
                assertEquals(0, ring.submitAndWait(1, 1_000_000L), Errno.nameOf(benign));
            }
            next[0] = Errno.EBADR.value();
            SyscallException e = assertThrows(SyscallException.class, () -> ring.submitAndWait(1, -1));
            assertEquals("io_uring_enter: EBADR (-53): Invalid request descriptor; the kernel dropped completions:"
                    + " CQ overflow counter 0", e.getMessage());
            next[0] = Errno.EEXIST.value();
            e = assertThrows(SyscallException.class, () -> ring.submitAndWait(0, -1));
            assertEquals("io_uring_enter: EEXIST (-17): File exists; fd " + ring.fd(), e.getMessage());
        }
    }

    @Test
    void shouldNameTheSetupErrorWhenNoFlagIsLeftToDrop() {
        Kernel broken = new DelegatingKernel() {
            @Override
            public int setup(int entries, MemorySegment params) {
                return Errno.EINVAL.value();
            }
        };
        SyscallException e = assertThrows(SyscallException.class, () -> IoUring.open(IoUringParams.of(4, 8), broken));
        assertEquals("io_uring_setup: EINVAL (-22): Invalid argument; entries=4, cq_entries=8, flags=0x8", e.getMessage());
        assertEquals(Errno.EINVAL.value(), e.errno());
        assertEquals("io_uring_setup", e.call());
    }

    @Test
    void shouldCloseIdempotentlyAndFailAccessesAfterClose() {
        IoUring ring = IoUring.open(IoUringParams.of(4, 8));
        ring.close();
        ring.close();
        assertTrue(ring.isClosed());
        assertThrows(IllegalStateException.class, ring::getSqe);
    }
}
