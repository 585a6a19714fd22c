package dev.netmem.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * No child outlives a netmem program: interrupted (Ctrl-C, SIGTERM), it stops every process it
 * started and everything those started (the bench's demo JVMs and their consumers, JMH and jcstress
 * forks) before it exits.
 */
public final class ChildProcesses {
    private static final Object LOCK = new Object();
    private static boolean stopping;

    private ChildProcesses() {
    }

    /** Installs the shutdown hook that stops every child process. For a program's {@code main}. */
    static void stopAllOnExit() {
        Runtime.getRuntime().addShutdownHook(new Thread(ChildProcesses::stopAll, "netmem-stop-children"));
    }

    /**
     * Starts a child process unless this JVM is shutting down (then throws {@link Cli.Failure}), so no
     * child starts after the shutdown hook looked for children to stop.
     */
    public static Process start(ProcessBuilder pb) throws IOException {
        synchronized (LOCK) {
            if (stopping) {
                throw new Cli.Failure("interrupted");
            }
            return pb.start();
        }
    }

    private static void stopAll() {
        synchronized (LOCK) {
            stopping = true;
        }
        // children that libraries start (JMH, jcstress forks) may still appear for a moment: look again
        for (int round = 0; round < 3; round++) {
            List<ProcessHandle> children = ProcessHandle.current().children().toList();
            if (children.isEmpty()) {
                return;
            }
            children.forEach(ChildProcesses::stopTree);
        }
    }

    /**
     * Stops a process and everything it started: SIGTERM to all of them at once (so a parent's exit
     * cannot orphan a child before it is signalled), up to 5 s to exit, then SIGKILL.
     */
    public static void stopTree(ProcessHandle root) {
        List<ProcessHandle> all = new ArrayList<>(root.descendants().toList());
        all.add(root);
        all.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        for (ProcessHandle h : all) {
            long left = deadline - System.nanoTime();
            try {
                if (left > 0) {
                    h.onExit().get(left, TimeUnit.NANOSECONDS);
                }
            } catch (TimeoutException | ExecutionException e) {
                // still running: killed below
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        all.forEach(ProcessHandle::destroyForcibly);
    }
}
