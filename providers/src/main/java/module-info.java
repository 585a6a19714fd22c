/**
 * netmem memory providers: implementations of {@link dev.netmem.api.spi.MemoryProvider}.
 * <ul>
 *   <li>{@code dev.netmem.providers.host}: host pages from off-heap slabs, the default.</li>
 * </ul>
 */
module dev.netmem.providers {
    requires transitive dev.netmem.api;

    exports dev.netmem.providers.host;
}
