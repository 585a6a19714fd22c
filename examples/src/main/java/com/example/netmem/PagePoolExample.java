package com.example.netmem;

import dev.netmem.api.Napi;
import dev.netmem.api.NetIov;
import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolParams;
import dev.netmem.providers.host.HostPageProvider;
import java.lang.foreign.ValueLayout;

/** A page pool on host pages: one buffer out and back into the NAPI-owned fast cache (README "Using the core"). */
public final class PagePoolExample {
    private PagePoolExample() {
    }

    /** Runs the example; no arguments. */
    public static void main(String[] args) {
        // @readme-start
        try (HostPageProvider host = HostPageProvider.create(64L << 20)) {
            Napi napi = new Napi("eth0-rx-0");
            PagePool pool = PagePool.create(PagePoolParams.builder()
                    .hostPages(host).napi(napi).poolSize(1024).build());
            napi.schedule();                       // this thread now runs the queue's NAPI
            NetIov buf = pool.alloc();             // fast cache, else ring refill, else provider
            buf.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
            pool.putFullPage(buf, false);          // on the NAPI thread: back into the fast cache
            napi.complete();
            pool.destroy();                        // RELEASED once every buffer is home
            System.out.println(pool.stats());      // fast, slow, slowHighOrder, empty, refill, waive,
        }                                          // cached, cacheFull, ring, ringFull, releasedRefcnt
        // @readme-end
    }
}
