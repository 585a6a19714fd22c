package dev.netmem.bench;

import dev.netmem.api.DmaDevice;
import dev.netmem.api.NetIov;
import dev.netmem.api.NetdevRxQueue;
import dev.netmem.api.PagePoolParams;
import dev.netmem.api.spi.MemoryProvider;
import dev.netmem.providers.dmabuf.Dmabuf;
import dev.netmem.providers.dmabuf.DmabufBinding;
import dev.netmem.providers.host.HostPageProvider;
import dev.netmem.providers.zcrx.ZcrxArea;
import dev.netmem.providers.zcrx.ZcrxIfq;
import dev.netmem.testsupport.StubQueue;
import java.lang.foreign.Arena;
import java.util.function.Consumer;

/**
 * The memory a benchmark's page pool draws from, chosen by the {@code provider} {@code @Param} of
 * the pool benchmarks: {@value #HOST} (host pages), {@value #DMABUF} (a devmem binding over a
 * shared-memory dma-buf) or {@value #USER_RING} (an io_uring zcrx ifq over user memory). The summary
 * keys use the same names ({@code fast_path_host_ns}, {@code fast_path_dmabuf_ns},
 * {@code fast_path_user_ring_ns}).
 *
 * <p>Host pages only set {@code hostPages}. The two unreadable providers are bound to an RX queue,
 * and their pools are created as a driver creates them on such a queue:
 * {@code PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV | PP_FLAG_ALLOW_UNREADABLE_NETMEM} on a coherent
 * device (no syncs, as on x86; the providers turn syncs off anyway).
 */
public abstract sealed class PoolMemory implements AutoCloseable
        permits PoolMemory.Host, PoolMemory.BoundQueue {
    /** Host pages, the default memory. */
    public static final String HOST = "host";
    /** A devmem TCP binding over a dma-buf ({@code net/core/devmem.c}). */
    public static final String DMABUF = "dmabuf";
    /** An io_uring zero-copy receive ifq over user memory ({@code io_uring/zcrx.c}). */
    public static final String USER_RING = "user_ring";
    /** Upper bound of the host memory one benchmark pool may reserve; slabs are reserved lazily. */
    static final long MAX_BYTES = 256L << 20;
    /**
     * Buffers of a dma-buf or user area: more than one pool can hold (cache 128 + ring 1024) plus
     * the cross-thread hand-off queue (1024).
     */
    static final int NET_IOVS = 4096;

    /**
     * Creates the memory named {@code name}.
     *
     * @throws IllegalArgumentException if no provider has that name
     */
    public static PoolMemory create(String name) {
        return switch (name) {
            case HOST -> new Host();
            case DMABUF -> new DmabufMemory();
            case USER_RING -> new UserRingMemory();
            default -> throw new IllegalArgumentException("unknown provider '" + name + "': use " + HOST + ", "
                    + DMABUF + " or " + USER_RING);
        };
    }

    /** Pool parameters drawing from this memory. */
    abstract PagePoolParams.Builder params();

    /** Frees the memory; every pool using it has been destroyed and every buffer has come home. */
    @Override
    public abstract void close();

    /** Host pages from {@link HostPageProvider}. */
    static final class Host extends PoolMemory {
        private final HostPageProvider provider = HostPageProvider.create(MAX_BYTES);

        @Override
        PagePoolParams.Builder params() {
            return PagePoolParams.builder().hostPages(provider);
        }

        @Override
        public void close() {
            provider.close();
        }
    }

    /** An unreadable provider bound to queue 0 of a coherent device, as the RX-queue layer binds it. */
    abstract static sealed class BoundQueue extends PoolMemory permits DmabufMemory, UserRingMemory {
        final DmaDevice device;
        private MemoryProvider provider;

        BoundQueue(String deviceName) {
            device = new DmaDevice(deviceName, true);
        }

        /** Binds {@code provider} to queue 0; {@code addQueue} records the queue in the provider. */
        final void bind(MemoryProvider provider, Consumer<NetdevRxQueue> addQueue) {
            this.provider = provider;
            addQueue.accept(StubQueue.of(provider));
        }

        /** The parameters a driver uses on the bound queue (a provider pool needs DMA map and sync). */
        @Override
        final PagePoolParams.Builder params() {
            return StubQueue.poolParams(provider, device);
        }
    }

    /** A {@link DmabufBinding} over a {@link Dmabuf} in {@code /dev/shm}. */
    static final class DmabufMemory extends BoundQueue {
        private final Dmabuf dmabuf = Dmabuf.create((long) NET_IOVS * NetIov.PAGE_SIZE);
        private final DmabufBinding binding = DmabufBinding.bind(dmabuf, device, q -> { });

        DmabufMemory() {
            super("bench-dmabuf");
            bind(binding, binding::addQueue);
        }

        @Override
        public void close() {
            binding.unbind();
            dmabuf.close();
        }
    }

    /** A {@link ZcrxIfq} over page-aligned user memory, its region file in {@code /dev/shm}. */
    static final class UserRingMemory extends BoundQueue {
        private final Arena arena = Arena.ofShared();
        private final ZcrxIfq ifq = ZcrxIfq.register(
                ZcrxArea.ofUserMemory(arena.allocate((long) NET_IOVS * NetIov.PAGE_SIZE, NetIov.PAGE_SIZE)),
                device, NET_IOVS, NET_IOVS, Dmabuf.DEFAULT_DIR, q -> { });

        UserRingMemory() {
            super("bench-zcrx");
            bind(ifq, ifq::addQueue);
        }

        @Override
        public void close() {
            ifq.close();
            arena.close();
        }
    }
}
