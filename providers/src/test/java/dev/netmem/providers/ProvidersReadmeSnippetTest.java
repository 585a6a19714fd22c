package dev.netmem.providers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.api.DmaDevice;
import dev.netmem.api.NetIov;
import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolParams;
import dev.netmem.providers.dmabuf.Dmabuf;
import dev.netmem.providers.dmabuf.DmabufBinding;
import dev.netmem.providers.zcrx.ZcrxArea;
import dev.netmem.providers.zcrx.ZcrxIfq;
import dev.netmem.providers.zcrx.ZcrxUserRing;
import dev.netmem.testsupport.StubQueue;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** The "binding each provider" snippet proposed for the README, kept compiling and running. */
class ProvidersReadmeSnippetTest {
    private static final int FLAGS = PagePoolParams.PP_FLAG_DMA_MAP | PagePoolParams.PP_FLAG_DMA_SYNC_DEV
            | PagePoolParams.PP_FLAG_ALLOW_UNREADABLE_NETMEM;

    @Test
    void shouldBindADmabufToAQueueAndHandItsPagesToThePool() {
        DmaDevice dev = new DmaDevice("eth0", true);
        DmabufBinding binding;
        try (Dmabuf dmabuf = Dmabuf.create(1 << 20)) {              // /dev/shm/netmem-dmabuf-<pid>-<n>, 0600
            binding = DmabufBinding.bind(dmabuf, dev, rxq -> { /* restart rxq without the provider */ });
            StubQueue rxq = StubQueue.of(binding);                  // the queue's memoryProvider() is binding
            binding.addQueue(rxq);
            PagePool pool = PagePool.create(PagePoolParams.builder()
                    .flags(FLAGS).device(dev).maxLen(NetIov.PAGE_SIZE).queue(rxq).build());
            NetIov buf = pool.alloc();                              // a page of the dma-buf
            long offset = buf.virtualAddress();                     // what a consumer process reads:
            // Dmabuf.open(dmabuf.path()).segment().asSlice(offset, len)
            assertEquals(buf.index() * (long) NetIov.PAGE_SIZE, offset);
            pool.putNetmem(buf, -1, false);
            pool.destroy();
            binding.unbind();                                       // freed once every chunk is home
        }
        assertTrue(binding.isFreed());
    }

    @Test
    void shouldRegisterAZcrxIfqAndRecycleThroughTheUserRing() {
        DmaDevice dev = new DmaDevice("eth0", true);
        try (Arena arena = Arena.ofShared()) {
            ZcrxArea area = ZcrxArea.ofUserMemory(arena.allocate(64 * 4096, 4096)); // or ZcrxArea.ofDmabuf(dmabuf)
            ZcrxIfq ifq = ZcrxIfq.register(area, dev, 256, 512, Dmabuf.DEFAULT_DIR, rxq -> { });
            StubQueue rxq = StubQueue.of(ifq);
            ifq.addQueue(rxq);
            PagePool pool = PagePool.create(PagePoolParams.builder()
                    .flags(FLAGS).device(dev).maxLen(NetIov.PAGE_SIZE).queue(rxq).build());
            NetIov buf = pool.alloc();                              // NAPI: the NIC writes into buf
            ifq.postCompletion(buf, 0, 1500);                       // receive path: CQE to the user
            pool.putNetmem(buf, -1, false);                         // the stack's reference
            // the user, in this process or another: ZcrxUserRing.open(ifq.regionPath(), dmabufPath)
            try (ZcrxUserRing ring = ZcrxUserRing.open(ifq.regionPath(), area.memory())) {
                ring.poll((off, len, flags) -> {
                    byte first = ring.data(off, len).get(ValueLayout.JAVA_BYTE, 0); // read in place
                    ring.refill(off, len);                          // hand the buffer back
                });
            }
            ifq.close();                                            // scrub, close the queue
            pool.destroy();                                         // the queue restart's old pool goes
            assertTrue(ifq.isFreed());
        }
    }
}
