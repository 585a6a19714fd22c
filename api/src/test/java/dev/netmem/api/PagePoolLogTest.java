package dev.netmem.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.text.MessageFormat;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The page pool's log lines print ids and counts as the kernel does: digits only, never "1,000".
 * Logged through {@code System.Logger} "dev.netmem.pagepool", whose messages are {@link MessageFormat}
 * patterns; captured from the {@code java.util.logging} backend (reflectively: this module does not
 * read {@code java.logging}).
 */
class PagePoolLogTest {
    private static final String LOGGER = "dev.netmem.pagepool";

    @Test
    void shouldPrintIdsAndCountsWithoutGroupingSeparators() throws Exception {
        PagePool pool;
        do { // ids are allocated in order: take one past 1000 (each pool is released at once)
            pool = PagePool.create(PagePoolParams.builder().hostPages(new TestPages(1)).build());
            if (pool.id() < 1000) {
                pool.destroy();
            }
        } while (pool.id() < 1000);
        pool.destroy();
        pool = PagePool.create(PagePoolParams.builder().hostPages(new TestPages(1024)).poolSize(2048)
                .releaseRetry(Duration.ofMillis(10)).stallWarn(Duration.ofMillis(20)).build());
        NetIov[] held = new NetIov[1024];
        for (int i = 0; i < held.length; i++) {
            held[i] = pool.alloc();
        }
        List<String> lines = new CopyOnWriteArrayList<>();
        Method setFilter = capture(lines);
        try {
            pool.destroy();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (pool.stallWarnings() == 0 && System.nanoTime() - deadline < 0) {
                Thread.sleep(5);
            }
        } finally {
            setFilter.invoke(julLogger(), (Object) null);
            for (NetIov n : held) {
                pool.putFullPage(n, false);
            }
        }
        String expected = "stalled pool shutdown: id " + pool.id() + ", 1024 inflight ";
        assertTrue(pool.id() >= 1000, "id " + pool.id());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith(expected)), "expected '" + expected + "' in " + lines);
        assertEquals(List.of(), lines.stream().filter(l -> l.matches(".*\\d,\\d{3}.*")).toList());
    }

    private static Object julLogger() throws ReflectiveOperationException {
        return Class.forName("java.util.logging.Logger").getMethod("getLogger", String.class).invoke(null, LOGGER);
    }

    /**
     * Adds a filter to the JUL logger {@value #LOGGER} that formats every record into {@code lines};
     * returns {@code Logger.setFilter}, to remove it.
     */
    private static Method capture(List<String> lines) throws ReflectiveOperationException {
        Class<?> loggerClass = Class.forName("java.util.logging.Logger");
        Class<?> filterClass = Class.forName("java.util.logging.Filter");
        Class<?> recordClass = Class.forName("java.util.logging.LogRecord");
        Object logger = julLogger();
        Method getMessage = recordClass.getMethod("getMessage");
        Method getParameters = recordClass.getMethod("getParameters");
        Object filter = Proxy.newProxyInstance(PagePoolLogTest.class.getClassLoader(), new Class<?>[] {filterClass},
                (proxy, m, args) -> {
                    if (!m.getName().equals("isLoggable")) {
                        return m.invoke(proxy, args);
                    }
                    Object[] params = (Object[]) getParameters.invoke(args[0]);
                    String msg = (String) getMessage.invoke(args[0]);
                    lines.add(params == null ? msg : MessageFormat.format(msg, params));
                    return true;
                });
        Method setFilter = loggerClass.getMethod("setFilter", filterClass);
        setFilter.invoke(logger, filter);
        return setFilter;
    }
}
