package dev.netmem.demo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Where a thread of another JVM is, for a report of a process that stopped answering: {@code jcmd PID
 * Thread.print} (the JDK's, beside the running java), cut down to one thread's top frames on one line.
 */
final class ThreadDump {
    private ThreadDump() {
    }

    /**
     * The top {@code frames} frames of thread {@code name} of JVM {@code pid}, as
     * {@code "thread main at A <- at B ..."}; or a short reason they could not be read. Waits at most 15 s.
     */
    static String frames(long pid, String name, int frames) {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        if (!Files.isExecutable(jcmd)) {
            return "no jcmd in " + jcmd.getParent() + " to read thread " + name;
        }
        Path out = null;
        try {
            out = Files.createTempFile("netmem-threads-", ".txt");
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "Thread.print")
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(15, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "jcmd " + pid + " Thread.print did not finish in 15 s";
            }
            return parse(Files.readString(out, StandardCharsets.UTF_8), name, frames);
        } catch (IOException e) {
            return "jcmd " + pid + " Thread.print failed: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while reading thread " + name;
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException e) {
                    // a temp file left behind; the report matters more
                }
            }
        }
    }

    /** Thread {@code name}'s state and top {@code frames} frames in a {@code Thread.print} dump, on one line. */
    static String parse(String dump, String name, int frames) {
        String[] lines = dump.split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (!lines[i].startsWith("\"" + name + "\"")) {
                continue;
            }
            List<String> top = new ArrayList<>();
            String state = "";
            for (int j = i + 1; j < lines.length && !lines[j].isBlank() && top.size() < frames; j++) {
                String l = lines[j].strip();
                if (l.startsWith("java.lang.Thread.State:")) {
                    state = " (" + l.substring("java.lang.Thread.State:".length()).strip() + ")";
                } else if (l.startsWith("at ")) {
                    top.add(l);
                }
            }
            return "thread " + name + state + (top.isEmpty() ? ": no frames" : " " + String.join(" <- ", top));
        }
        return "no thread " + name + " in the dump";
    }
}
