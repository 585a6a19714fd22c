package dev.netmem.providers.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.netmem.api.Napi;
import dev.netmem.api.NetIov;
import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolParams;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** The README's "Using the core" example, kept compiling and running. */
class ReadmeExampleTest {
    @Test
    void shouldRunTheReadmeExample() {
        PagePool pool;
        try (HostPageProvider host = HostPageProvider.create(64L << 20)) {
            Napi napi = new Napi("eth0-rx-0");
            pool = PagePool.create(PagePoolParams.builder()
                    .hostPages(host).napi(napi).poolSize(1024).build());
            napi.schedule();
            NetIov buf = pool.alloc();
            buf.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
            pool.putFullPage(buf, false);
            napi.complete();
            pool.destroy();
            System.out.println(pool.stats());
        }
        assertEquals(PagePool.State.RELEASED, pool.state());
        assertEquals(1, pool.stats().cached());
    }
}
