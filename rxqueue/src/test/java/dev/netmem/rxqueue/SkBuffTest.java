package dev.netmem.rxqueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.api.DmaDevice;
import dev.netmem.api.Errno;
import dev.netmem.api.ErrnoException;
import dev.netmem.api.NetIov;
import dev.netmem.api.NetdevRxQueue;
import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolParams;
import dev.netmem.api.spi.MemoryProvider;
import dev.netmem.providers.host.HostPageProvider;
import dev.netmem.rxqueue.net.SkBuff;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** SkBuff: readability, the single put path, clone references, and the seed-003 coalescing rule. */
@Timeout(30)
class SkBuffTest {
    private HostPageProvider host;
    private PagePool hostPool;
    private PagePool devmemPool;

    @BeforeEach
    void setUp() {
        host = HostPageProvider.create(4L << 20);
        DmaDevice dma = new DmaDevice("skb", true);
        hostPool = PagePool.create(PagePoolParams.builder().hostPages(host).build());
        MemoryProvider mp = new TestDmabufProvider(8);
        NetdevRxQueue q = TestSupport.stubQueue(mp);
        devmemPool = PagePool.create(PagePoolParams.builder().device(dma).queue(q).maxLen(NetIov.PAGE_SIZE)
                .flags(PagePoolParams.PP_FLAG_DMA_MAP | PagePoolParams.PP_FLAG_DMA_SYNC_DEV
                        | PagePoolParams.PP_FLAG_ALLOW_UNREADABLE_NETMEM).build());
    }

    @AfterEach
    void tearDown() {
        hostPool.destroy();
        devmemPool.destroy();
        assertEquals(0, hostPool.inflight(), "every buffer came home");
        assertEquals(0, devmemPool.inflight(), "every buffer came home");
        host.close();
    }

    private SkBuff devmemSkb(int linear) {
        NetIov head = hostPool.alloc();
        head.segment().fill((byte) 5);
        SkBuff skb = SkBuff.build(head, 0, linear);
        skb.markForRecycle();
        skb.addRxFrag(devmemPool.alloc(), 0, 1000);
        return skb;
    }

    @Test
    void shouldCopyLinearBytesButRefuseToReadUnreadableFrags() {
        SkBuff skb = devmemSkb(10);
        assertTrue(skb.unreadable());
        assertEquals(1010, skb.len());
        MemorySegment dst = Arena.ofAuto().allocate(2000);
        skb.copyBits(0, dst, 0, 10);
        assertEquals(5, dst.get(ValueLayout.JAVA_BYTE, 9));
        ErrnoException e = assertThrows(ErrnoException.class, () -> skb.copyBits(5, dst, 0, 10));
        assertEquals(Errno.EFAULT, e.errno());
        assertEquals("skb frag 0 is unreadable DMABUF memory", e.getMessage());
        skb.free();
    }

    @Test
    void shouldReturnHeadAndEveryFragThroughTheirPoolsOnFree() {
        SkBuff skb = devmemSkb(64);
        NetIov frag = skb.fragNetmem(0);
        int hostRing = hostPool.ringCount();
        int devRing = devmemPool.ringCount();
        skb.free();
        assertEquals(hostRing + 1, hostPool.ringCount(), "off-NAPI put: the ring");
        assertEquals(devRing + 1, devmemPool.ringCount());
        assertFalse(frag.isAllocated());
        IllegalStateException e = assertThrows(IllegalStateException.class, skb::free);
        assertEquals("skb is freed", e.getMessage());
    }

    @Test
    void shouldShareFragsWithAReferencePerClone() {
        SkBuff skb = devmemSkb(64);
        NetIov frag = skb.fragNetmem(0);
        SkBuff clone = skb.cloneSkb();
        assertTrue(skb.cloned() && clone.cloned());
        assertEquals(2, frag.ppRefCount());
        skb.free();
        assertTrue(frag.isAllocated(), "the clone still holds it");
        assertEquals(1, frag.ppRefCount());
        clone.free();
        assertFalse(frag.isAllocated());
    }

    @Test
    void shouldCoalesceOnlySkbsWithTheSameRecycleMark() {
        SkBuff to = devmemSkb(64);
        SkBuff from = devmemSkb(0);
        assertTrue(SkBuff.tryCoalesce(to, from));
        assertEquals(2, to.nrFrags());
        assertEquals(64 + 2000, to.len());
        from.free(); // only its head is left

        NetIov page = hostPool.alloc();
        page.getPage(); // a page reference the unmarked skb owns
        SkBuff unmarked = SkBuff.build(page, 0, 0);
        assertFalse(SkBuff.tryCoalesce(to, unmarked), "pp_recycle differs");
        assertFalse(SkBuff.tryCoalesce(unmarked, to), "either way");
        unmarked.free(); // put_page of the extra reference
        hostPool.putNetmem(page, -1, false);

        SkBuff clone = to.cloneSkb();
        SkBuff more = devmemSkb(0);
        assertFalse(SkBuff.tryCoalesce(to, more), "a cloned skb is not coalesced into");
        more.free();
        clone.free();
        to.free();
    }
}
