package dev.netmem.rxqueue.stack;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The control buffer of a devmem {@link DevmemSocket#recvmsg(java.lang.foreign.MemorySegment,
 * DevmemControl, int, java.time.Duration) recvmsg} ({@code msg_control} of {@code msg_controllen}
 * bytes): where its {@link DevmemRecord}s go. Each record is a cmsg of
 * {@link #CMSG_SPACE_DEVMEM} bytes, and a record is never truncated ({@code put_cmsg_notrunc}): when
 * the next one does not fit, the receive stops before the bytes it would describe, which stay queued
 * for the next call.
 *
 * <p>Thread safety: none; one receiving thread uses it, as a {@code msghdr}.
 */
public final class DevmemControl {
    /**
     * {@code CMSG_SPACE(sizeof(struct dmabuf_cmsg))} on a 64-bit kernel: a 16-byte {@code cmsghdr}
     * and the 24-byte {@code dmabuf_cmsg} (u64 frag_offset, u32 frag_size, frag_token, dmabuf_id,
     * flags); {@code CMSG_LEN} is the same, so a record needs exactly this much room.
     */
    public static final int CMSG_SPACE_DEVMEM = 40;

    private final int controllen;
    private final List<DevmemRecord> records = new ArrayList<>();
    private final List<DevmemRecord> view = Collections.unmodifiableList(records);
    private int used;

    /**
     * A buffer of {@code controllen} bytes.
     *
     * @throws IllegalArgumentException if {@code controllen} is negative
     */
    public DevmemControl(int controllen) {
        if (controllen < 0) {
            throw new IllegalArgumentException("controllen must be >= 0: " + controllen);
        }
        this.controllen = controllen;
    }

    /** A buffer with room for {@code n} records. */
    public static DevmemControl ofRecords(int n) {
        return new DevmemControl(Math.multiplyExact(n, CMSG_SPACE_DEVMEM));
    }

    /** The records written so far, in stream order (a read-only view). */
    public List<DevmemRecord> records() {
        return view;
    }

    /** {@code msg_controllen} as given. */
    public int controllen() {
        return controllen;
    }

    /** Bytes left ({@code msg_controllen} after the records written). */
    public int remaining() {
        return controllen - used;
    }

    /** Empties it for the next {@code recvmsg}. */
    public void clear() {
        records.clear();
        used = 0;
    }

    /** Whether one more record fits untruncated ({@code msg_controllen >= CMSG_LEN}). */
    boolean hasRoom() {
        return controllen - used >= CMSG_SPACE_DEVMEM;
    }

    /** Accounts for a record the caller added to {@link #list()} ({@code put_cmsg}). */
    void charge() {
        used += CMSG_SPACE_DEVMEM;
    }

    /** The backing list the socket writes to. */
    List<DevmemRecord> list() {
        return records;
    }
}
