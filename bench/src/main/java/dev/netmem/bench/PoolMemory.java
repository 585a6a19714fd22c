package dev.netmem.bench;

import dev.netmem.api.PagePoolParams;
import dev.netmem.providers.host.HostPageProvider;

/**
 * The memory a benchmark's page pool draws from, chosen by the {@code provider} {@code @Param} of
 * the pool benchmarks: {@value #HOST} now; {@code dmabuf} and {@code user_ring} are added here when
 * their providers land (issue 3), and the summary keys follow the same names
 * ({@code fast_path_host_ns}, {@code fast_path_dmabuf_ns}, {@code fast_path_user_ring_ns}).
 *
 * <p>A provider that is bound to an RX queue (an unreadable one) configures the pool with its queue
 * and {@code PP_FLAG_ALLOW_UNREADABLE_NETMEM} in {@link #configure}; host pages only set
 * {@code hostPages}.
 */
public abstract sealed class PoolMemory implements AutoCloseable permits PoolMemory.Host {
    /** The provider name of host pages, the default memory. */
    public static final String HOST = "host";
    /** Upper bound of the memory one benchmark pool may reserve; slabs are reserved lazily. */
    static final long MAX_BYTES = 256L << 20;

    /**
     * Creates the memory named {@code name}.
     *
     * @throws IllegalArgumentException if no provider has that name on this branch
     */
    public static PoolMemory create(String name) {
        return switch (name) {
            case HOST -> new Host();
            default -> throw new IllegalArgumentException("unknown provider '" + name + "': this build knows "
                    + HOST + " (dmabuf and user_ring come with issue 3)");
        };
    }

    /** Adds this memory to pool parameters. */
    abstract PagePoolParams.Builder configure(PagePoolParams.Builder params);

    /** Frees the memory; every pool using it has been destroyed and every buffer has come home. */
    @Override
    public abstract void close();

    /** Host pages from {@link HostPageProvider}. */
    static final class Host extends PoolMemory {
        private final HostPageProvider provider = HostPageProvider.create(MAX_BYTES);

        @Override
        PagePoolParams.Builder configure(PagePoolParams.Builder params) {
            return params.hostPages(provider);
        }

        @Override
        public void close() {
            provider.close();
        }

        @Override
        public String toString() {
            return HOST;
        }
    }
}
