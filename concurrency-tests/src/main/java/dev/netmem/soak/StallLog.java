package dev.netmem.soak;

import java.text.MessageFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** Captures the page pool's "stalled pool shutdown" warnings (and keeps them off the console). */
final class StallLog extends Handler {
    private final Logger logger = Logger.getLogger("dev.netmem.pagepool");
    private final Map<Integer, String> first = new ConcurrentHashMap<>();
    private boolean parents;

    /** Starts capturing. */
    void install() {
        parents = logger.getUseParentHandlers();
        logger.addHandler(this);
        logger.setUseParentHandlers(false);
    }

    /** Stops capturing; the pool's warnings reach the console again. */
    void uninstall() {
        logger.removeHandler(this);
        logger.setUseParentHandlers(parents);
    }

    /** The first stall warning of pool {@code poolId}, or {@code null}. */
    String firstFor(int poolId) {
        return first.get(poolId);
    }

    @Override
    public void publish(LogRecord r) {
        if (r.getLevel().intValue() < Level.WARNING.intValue() || r.getMessage() == null
                || !r.getMessage().startsWith("stalled pool shutdown")) {
            return;
        }
        Object[] p = r.getParameters();
        String msg = p == null ? r.getMessage() : MessageFormat.format(r.getMessage(), p);
        if (p != null && p.length > 0 && p[0] instanceof Number id) {
            first.putIfAbsent(id.intValue(), msg);
        }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
}
