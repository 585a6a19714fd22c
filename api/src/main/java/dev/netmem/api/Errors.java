package dev.netmem.api;

/** Cold exception builders, so the hot paths carry only a call. */
final class Errors {
    private Errors() {
    }

    static IllegalStateException destroyed(PagePool pool) {
        return new IllegalStateException("page pool " + pool.idString() + " is destroyed (" + pool.state() + ")");
    }

    static IllegalStateException alreadyDestroyed(PagePool pool) {
        return new IllegalStateException("page pool " + pool.idString() + " is already destroyed (" + pool.state() + ")");
    }

    static IllegalStateException napiRunning(PagePool pool, Napi napi, Thread owner) {
        return new IllegalStateException("page pool " + pool.idString() + ": " + napi + " is running on thread "
                + owner.getName() + "; stop it before destroying the pool");
    }

    static RuntimeException badPut(PagePool pool, NetIov netmem) {
        if (netmem == null) {
            return new NullPointerException("netmem");
        }
        PagePool owner = netmem.pp;
        if (owner == null || !netmem.isPp()) {
            return new IllegalArgumentException(netmem + " is not owned by a page pool (foreign, or already released)");
        }
        if (owner != pool) {
            return new IllegalArgumentException(netmem + " belongs to page pool " + owner.idString() + ", not page pool "
                    + pool.idString());
        }
        return new IllegalStateException("double put of " + netmem + ": it is already back in page pool "
                + pool.idString());
    }

    /** The page allocator's bad-page report for a pool page freed with put_page: counted on the pool. */
    static IllegalStateException pagePoolLeak(NetIov page, PagePool owner) {
        String who = owner == null ? "a page pool" : "page pool " + owner.idString();
        if (owner != null) {
            owner.countPagePoolLeak();
        }
        return new IllegalStateException("BUG: Bad page state: put_page would free " + page + " while " + who
                + " owns it (page_pool leak); the page is not freed, drop the reference through the pool");
    }

    static IllegalStateException bulkDuplicate(NetIov netmem, int times, long refs) {
        return new IllegalStateException("double put of " + netmem + ": it appears " + times
                + " times in one bulk put but holds " + refs + " reference(s)");
    }

    static IllegalStateException refAtRest(NetIov netmem) {
        return new IllegalStateException("cannot take a reference on " + netmem + ": it is not allocated");
    }

    static IllegalStateException refUnderflow(NetIov netmem, long nr, long held) {
        return new IllegalStateException("pp_ref_count underflow on " + netmem + ": dropping " + nr + " of " + held);
    }

    static IllegalArgumentException badRefCount(long nr) {
        return new IllegalArgumentException("nr must be >= 1: " + nr);
    }

    static IllegalArgumentException fragSize(int size, int bufferSize) {
        return new IllegalArgumentException("frag size must be in [1, " + bufferSize + "]: " + size);
    }
}
