package dev.netmem.stress;

import dev.netmem.api.Napi;
import dev.netmem.api.NetIov;
import dev.netmem.api.PagePool;

/** Pool calls made as a queue's NAPI makes them: with its {@link Napi} scheduled on the calling thread. */
final class AsNapi {
    private AsNapi() {
    }

    /**
     * Allocates one buffer from {@code pool} with {@code napi} scheduled on the calling thread (the
     * allocation context), then completed.
     */
    static NetIov alloc(PagePool pool, Napi napi) {
        napi.schedule();
        try {
            return pool.alloc();
        } finally {
            napi.complete();
        }
    }
}
