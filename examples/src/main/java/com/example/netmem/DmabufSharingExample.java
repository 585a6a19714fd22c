package com.example.netmem;

import dev.netmem.providers.dmabuf.Dmabuf;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/**
 * A dma-buf shared between two processes: this JVM creates it and writes into it, a second JVM
 * (this program with {@code read PATH}) maps the same file and reads the bytes in place.
 */
public final class DmabufSharingExample {
    private DmabufSharingExample() {
    }

    /**
     * Creates a dma-buf, fills it and runs the reader process on it; {@code read PATH} is the reader.
     *
     * @param args none, or {@code read PATH}
     * @throws Exception if the reader cannot be started or is interrupted
     */
    public static void main(String[] args) throws Exception {
        // @readme-start
        if (args.length == 2 && args[0].equals("read")) {     // the reader, in another process
            try (Dmabuf dmabuf = Dmabuf.open(Path.of(args[1]))) { // maps the same pages: nothing is copied
                MemorySegment mem = dmabuf.segment();
                for (long off = 0; off < mem.byteSize(); off += Long.BYTES) {
                    if (mem.get(ValueLayout.JAVA_LONG, off) != off) {
                        throw new IllegalStateException("word at " + off + " is " + mem.get(ValueLayout.JAVA_LONG, off));
                    }
                }
                System.out.println("reader pid " + ProcessHandle.current().pid() + ": " + mem.byteSize()
                        + " bytes of " + dmabuf.path() + " verified in place");
            }
            return;
        }
        try (Dmabuf dmabuf = Dmabuf.create(1 << 20)) {     // /dev/shm/netmem-dmabuf-<pid>-<n>, mode 0600
            MemorySegment mem = dmabuf.segment();
            for (long off = 0; off < mem.byteSize(); off += Long.BYTES) {
                mem.set(ValueLayout.JAVA_LONG, off, off);
            }
            Process reader = new ProcessBuilder(                 // the same program, as the reader
                    ProcessHandle.current().info().command().orElseThrow(),
                    "--module-path", System.getProperty("jdk.module.path"),
                    "-m", "com.example.netmem/com.example.netmem.DmabufSharingExample",
                    "read", dmabuf.path().toString())
                    .inheritIO().start();
            if (reader.waitFor() != 0) {
                throw new IllegalStateException("the reader failed: exit " + reader.exitValue());
            }
        }                                                     // the creator's last close deletes the file
        // @readme-end
    }
}
