package dev.netmem.api.spi;

/**
 * What a memory provider writes for introspection ({@code memory_provider_ops.nl_fill}): the kind
 * of provider and, for dmabuf, the binding id.
 *
 * @param kind {@code "host"}, {@code "dmabuf"} or {@code "io-uring"}
 * @param id   the binding id for {@code dmabuf} (at least 1), else 0
 */
public record ProviderInfo(String kind, long id) {
    /** Validates. */
    public ProviderInfo {
        java.util.Objects.requireNonNull(kind, "kind");
        if (id < 0) {
            throw new IllegalArgumentException("id must be >= 0: " + id);
        }
    }
}
