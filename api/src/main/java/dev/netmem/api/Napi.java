package dev.netmem.api;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Models {@code struct napi_struct} as far as the page pool sees it: an id and the thread that is
 * currently running its poll ({@code list_owner}).
 *
 * <p>A pool created with a NAPI treats a put made on the thread that currently runs that NAPI as
 * NAPI-local and recycles it straight into the lockless fast cache (kernel commit 8c48eea3adf3,
 * "page_pool: allow caching from safely localized NAPI"). The poll loop brackets each poll with
 * {@link #schedule()} and {@link #complete()}; a threaded NAPI may stay scheduled while it runs.
 *
 * <p>Thread safety: all methods may be called from any thread; {@link #schedule()} and
 * {@link #complete()} only succeed for the thread that (would) own the poll.
 */
public final class Napi {
    /** The first NAPI id; ids below it are CPU ids for busy polling, as in the kernel's MIN_NAPI_ID. */
    public static final int MIN_NAPI_ID = 8193;

    private static final AtomicInteger NEXT_ID = new AtomicInteger(MIN_NAPI_ID);
    private static final VarHandle LIST_OWNER;

    static {
        try {
            LIST_OWNER = MethodHandles.lookup().findVarHandle(Napi.class, "listOwner", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int id;
    private final String name;
    /** Written by schedule/complete (volatile); read by every put that decides NAPI-locality. */
    private volatile Thread listOwner;

    /**
     * Creates a NAPI instance with the next free id.
     *
     * @param name a label for diagnostics, for example {@code "eth0-rx-0"}
     */
    public Napi(String name) {
        this.name = java.util.Objects.requireNonNull(name, "name");
        this.id = NEXT_ID.getAndIncrement();
    }

    /**
     * Creates a NAPI instance that takes the id of {@code config}, a NAPI it replaces: the kernel's
     * persistent per-queue NAPI config ({@code netif_napi_add_config}), whose {@code napi_id}
     * {@code napi_restore_config} reuses when the new instance is enabled, so a queue's NAPI id
     * survives a driver deleting its NAPI and adding a new one. The two instances must never run at
     * the same time (the kernel disables the old one, which unhashes it, before enabling the new).
     *
     * @param name   a label for diagnostics
     * @param config the instance whose id to take
     */
    public Napi(String name, Napi config) {
        this.name = java.util.Objects.requireNonNull(name, "name");
        this.id = java.util.Objects.requireNonNull(config, "config").id;
    }

    /**
     * The NAPI id ({@code napi_id}): unique in this JVM among live instances; an instance made from a
     * persistent config ({@link #Napi(String, Napi)}) shares it with the one it replaced.
     */
    public int id() {
        return id;
    }

    /** The label given at construction. */
    public String name() {
        return name;
    }

    /**
     * Marks the calling thread as the one running this NAPI's poll ({@code list_owner = this CPU}).
     * Idempotent for the owning thread.
     *
     * @throws IllegalStateException if another thread is running this NAPI
     */
    public void schedule() {
        Thread me = Thread.currentThread();
        Thread prev = (Thread) LIST_OWNER.compareAndExchange(this, (Thread) null, me);
        if (prev != null && prev != me) {
            throw new IllegalStateException("napi " + id + " (" + name + ") is already scheduled on thread "
                    + prev.getName());
        }
    }

    /**
     * Ends the poll on the calling thread ({@code list_owner = -1}).
     *
     * @throws IllegalStateException if the calling thread is not running this NAPI
     */
    public void complete() {
        Thread me = Thread.currentThread();
        if (!LIST_OWNER.compareAndSet(this, me, (Thread) null)) {
            throw new IllegalStateException("napi " + id + " (" + name + ") is not scheduled on thread "
                    + me.getName());
        }
    }

    /** Whether the calling thread is running this NAPI's poll. Cheap: one volatile load. */
    public boolean isOwnerThread() {
        return listOwner == Thread.currentThread();
    }

    /** The thread running this NAPI's poll, or {@code null} when it is not scheduled. */
    public Thread owner() {
        return listOwner;
    }

    @Override
    public String toString() {
        return "Napi[id=" + id + ", name=" + name + "]";
    }
}
