package dev.netmem.rxqueue.stack;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.AbstractList;
import java.util.List;
import java.util.Objects;

/**
 * The control buffer of a devmem {@link DevmemSocket#recvmsg(java.lang.foreign.MemorySegment,
 * DevmemControl, int, java.time.Duration) recvmsg} ({@code msg_control} of {@code msg_controllen}
 * bytes): memory the socket writes its records into as the kernel's {@code put_cmsg} does, one cmsg
 * of {@link #CMSG_SPACE_DEVMEM} bytes each, in the 64-bit layout:
 *
 * <pre>
 *   0   u64 cmsg_len    = 40 (CMSG_LEN(sizeof(struct dmabuf_cmsg)))
 *   8   s32 cmsg_level  = SOL_SOCKET (1)
 *   12  s32 cmsg_type   = SCM_DEVMEM_LINEAR (78) or SCM_DEVMEM_DMABUF (79)
 *   16  u64 frag_offset   struct dmabuf_cmsg (LINEAR: only frag_size is set)
 *   24  u32 frag_size
 *   28  u32 frag_token
 *   32  u32 dmabuf_id
 *   36  u32 flags       = 0
 * </pre>
 *
 * A record is never truncated ({@code put_cmsg_notrunc}): when the next one does not fit, the
 * receive stops before the bytes it would describe, which stay queued for the next call. Receiving
 * into a control buffer allocates nothing per record: read them with {@link #count()} and the
 * indexed accessors; {@link #records()} makes a {@link DevmemRecord} for each one it is asked for.
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
    /** {@code SOL_SOCKET}: the level of both record types. */
    public static final int SOL_SOCKET = 1;
    /** {@code SCM_DEVMEM_LINEAR}: bytes copied into the caller's buffer. */
    public static final int SCM_DEVMEM_LINEAR = 78;
    /** {@code SCM_DEVMEM_DMABUF}: bytes left in place in the dma-buf. */
    public static final int SCM_DEVMEM_DMABUF = 79;

    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final int LEVEL = 8;
    private static final int TYPE = 12;
    private static final int FRAG_OFFSET = 16;
    private static final int FRAG_SIZE = 24;
    private static final int FRAG_TOKEN = 28;
    private static final int DMABUF_ID = 32;
    private static final int FLAGS = 36;

    private final MemorySegment control;
    private final int controllen;
    private final List<DevmemRecord> view = new AbstractList<>() {
        @Override
        public DevmemRecord get(int i) {
            return record(i);
        }

        @Override
        public int size() {
            return count;
        }
    };
    private int used;
    private int count;

    /**
     * A buffer of {@code controllen} bytes of its own.
     *
     * @throws IllegalArgumentException if {@code controllen} is negative
     */
    public DevmemControl(int controllen) {
        if (controllen < 0) {
            throw new IllegalArgumentException("controllen must be >= 0: " + controllen);
        }
        this.controllen = controllen;
        this.control = controllen == 0 ? MemorySegment.NULL : Arena.ofAuto().allocate(controllen, 8);
    }

    /**
     * The caller's memory as the control buffer ({@code msg_control}); {@code msg_controllen} is its
     * size, up to {@link Integer#MAX_VALUE}.
     *
     * @throws NullPointerException if {@code control} is null
     * @throws IllegalArgumentException if it is read-only
     */
    public DevmemControl(MemorySegment control) {
        Objects.requireNonNull(control, "control");
        if (control.isReadOnly()) {
            throw new IllegalArgumentException("the control buffer is read-only");
        }
        this.control = control;
        this.controllen = (int) Math.min(Integer.MAX_VALUE, control.byteSize());
    }

    /** A buffer with room for {@code n} records. */
    public static DevmemControl ofRecords(int n) {
        return new DevmemControl(Math.multiplyExact(n, CMSG_SPACE_DEVMEM));
    }

    /** The records written so far, in stream order: a read-only view that makes each record it returns. */
    public List<DevmemRecord> records() {
        return view;
    }

    /** How many records were written. */
    public int count() {
        return count;
    }

    /** Record {@code i}'s {@code cmsg_type}: {@link #SCM_DEVMEM_LINEAR} or {@link #SCM_DEVMEM_DMABUF}. */
    public int type(int i) {
        return control.get(U32, at(i) + TYPE);
    }

    /** Whether record {@code i} is an {@link #SCM_DEVMEM_DMABUF} one. */
    public boolean isDmabuf(int i) {
        return type(i) == SCM_DEVMEM_DMABUF;
    }

    /** Record {@code i}'s {@code frag_offset}: where its bytes lie in the dma-buf (0 for a linear one). */
    public long fragOffset(int i) {
        return control.get(U64, at(i) + FRAG_OFFSET);
    }

    /** Record {@code i}'s {@code frag_size}: the bytes it accounts for. */
    public int fragSize(int i) {
        return control.get(U32, at(i) + FRAG_SIZE);
    }

    /** Record {@code i}'s {@code frag_token}, to return with {@link DevmemSocket#dontneed} (0 for a linear one). */
    public int fragToken(int i) {
        return control.get(U32, at(i) + FRAG_TOKEN);
    }

    /** Record {@code i}'s {@code dmabuf_id}: the binding's id (0 for a linear one). */
    public long dmabufId(int i) {
        return Integer.toUnsignedLong(control.get(U32, at(i) + DMABUF_ID));
    }

    /** Record {@code i} as a {@link DevmemRecord} (a new object). */
    public DevmemRecord record(int i) {
        return isDmabuf(i) ? new DevmemRecord.Dmabuf(fragOffset(i), fragSize(i), fragToken(i), dmabufId(i))
                : new DevmemRecord.Linear(fragSize(i));
    }

    /** The control memory ({@code msg_control}); its first {@link #used()} bytes hold the records. */
    public MemorySegment segment() {
        return control;
    }

    /** {@code msg_controllen} as given. */
    public int controllen() {
        return controllen;
    }

    /** Bytes the records take ({@code msg_controllen} as {@code recvmsg} returns it). */
    public int used() {
        return used;
    }

    /** Bytes left ({@code msg_controllen} after the records written). */
    public int remaining() {
        return controllen - used;
    }

    /** Empties it for the next {@code recvmsg}. */
    public void clear() {
        used = 0;
        count = 0;
    }

    private long at(int i) {
        Objects.checkIndex(i, count);
        return (long) i * CMSG_SPACE_DEVMEM;
    }

    /** Whether one more record fits untruncated ({@code msg_controllen >= CMSG_LEN}). */
    boolean hasRoom() {
        return controllen - used >= CMSG_SPACE_DEVMEM;
    }

    /** {@code put_cmsg_notrunc(SCM_DEVMEM_LINEAR)}; the caller checked {@link #hasRoom()}. */
    void putLinear(int fragSize) {
        put(SCM_DEVMEM_LINEAR, 0, fragSize, 0, 0);
    }

    /** {@code put_cmsg_notrunc(SCM_DEVMEM_DMABUF)}; the caller checked {@link #hasRoom()}. */
    void putDmabuf(long fragOffset, int fragSize, int fragToken, long dmabufId) {
        put(SCM_DEVMEM_DMABUF, fragOffset, fragSize, fragToken, (int) dmabufId);
    }

    private void put(int type, long fragOffset, int fragSize, int fragToken, int dmabufId) {
        long at = used;
        control.set(U64, at, CMSG_SPACE_DEVMEM);
        control.set(U32, at + LEVEL, SOL_SOCKET);
        control.set(U32, at + TYPE, type);
        control.set(U64, at + FRAG_OFFSET, fragOffset);
        control.set(U32, at + FRAG_SIZE, fragSize);
        control.set(U32, at + FRAG_TOKEN, fragToken);
        control.set(U32, at + DMABUF_ID, dmabufId);
        control.set(U32, at + FLAGS, 0);
        used += CMSG_SPACE_DEVMEM;
        count++;
    }
}
