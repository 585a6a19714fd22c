package com.example.netmem;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Writes {@code bytes} bytes of a counting pattern to a real TCP socket and keeps their SHA-256. */
final class LoopbackSender implements Runnable {
    private final Socket socket;
    private final long bytes;
    private final MessageDigest sha256 = sha256();
    private volatile String digest;
    private volatile Exception failure;

    LoopbackSender(Socket socket, long bytes) {
        this.socket = socket;
        this.bytes = bytes;
    }

    @Override
    public void run() {
        byte[] chunk = new byte[64 << 10];
        try (OutputStream out = socket.getOutputStream()) {
            for (long sent = 0; sent < bytes; ) {
                int n = (int) Math.min(chunk.length, bytes - sent);
                for (int i = 0; i < n; i++) {
                    chunk[i] = (byte) (sent + i);
                }
                out.write(chunk, 0, n);
                sha256.update(chunk, 0, n);
                sent += n;
            }
            digest = HexFormat.of().formatHex(sha256.digest());
        } catch (IOException e) {
            failure = e;
        }
    }

    /** The SHA-256 of what was sent, once {@link #run} has finished. */
    String digest() {
        if (failure != null) {
            throw new IllegalStateException("the sender failed", failure);
        }
        return digest;
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }
}
