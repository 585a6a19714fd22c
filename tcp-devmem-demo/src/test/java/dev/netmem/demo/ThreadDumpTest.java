package dev.netmem.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The report of where a silent consumer's thread is: jcmd's dump cut to one thread's top frames. */
class ThreadDumpTest {

    @Test
    void shouldCutOneThreadsTopFramesOutOfADump() {
        String dump = """
                2026-12-07 04:30:00
                Full thread dump OpenJDK 64-Bit Server VM (25.0.3+9-LTS mixed mode):

                "Reference Handler" #9 daemon prio=10 os_prio=0 cpu=0.1ms elapsed=9s tid=0x1 nid=2 waiting on condition
                   java.lang.Thread.State: RUNNABLE
                \tat java.lang.ref.Reference.waitForReferencePendingList(java.base@25/Native Method)

                "main" #1 prio=5 os_prio=0 cpu=900ms elapsed=9s tid=0x2 nid=3 waiting on condition
                   java.lang.Thread.State: TIMED_WAITING (parking)
                \tat jdk.internal.misc.Unsafe.park(java.base@25/Native Method)
                \tat java.util.concurrent.locks.LockSupport.parkNanos(java.base@25/LockSupport.java:408)
                \tat dev.netmem.demo.Consumer.drainHandoff(Consumer.java:231)
                \tat dev.netmem.demo.Consumer.runHandoff(Consumer.java:189)

                "C2 CompilerThread0" #5 daemon
                """;
        assertEquals("thread main (TIMED_WAITING (parking)) at jdk.internal.misc.Unsafe.park(java.base@25/Native Method)"
                + " <- at java.util.concurrent.locks.LockSupport.parkNanos(java.base@25/LockSupport.java:408)"
                + " <- at dev.netmem.demo.Consumer.drainHandoff(Consumer.java:231)",
                ThreadDump.parse(dump, "main", 3));
        assertEquals("no thread consumer in the dump", ThreadDump.parse(dump, "consumer", 3));
    }

    /** A real dump of this JVM: a thread parked in a known method shows it. */
    @Test
    @Timeout(60)
    void shouldReadARunningJvmsThread() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Thread t = Thread.ofPlatform().name("netmem-dump-probe").start(() -> {
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            String s = ThreadDump.frames(ProcessHandle.current().pid(), "netmem-dump-probe", 8);
            assertTrue(s.startsWith("thread netmem-dump-probe (TIMED_WAITING (parking)) at "), s);
            assertTrue(s.contains("at java.util.concurrent.CountDownLatch.await("), s);
        } finally {
            release.countDown();
            t.join();
        }
    }
}
