package dev.netmem.cli;

import java.io.UnsupportedEncodingException;
import java.nio.charset.StandardCharsets;
import java.text.MessageFormat;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Log records of a netmem program (the page pool's stall warnings, for instance) as one line each on
 * stderr, {@code netmem: WARNING: ...}, numbers printed plainly: ids as ids ({@code page pool 1000},
 * as the MXBeans say {@code id=1000}), not {@code 1,000} as {@link MessageFormat} would.
 */
public final class OneLineLogFormat extends Formatter {
    /** The formatter {@link #install} installs. */
    public OneLineLogFormat() {
    }

    /** Replaces the root logger's handlers with one on stderr using this format. For a program's {@code main}. */
    static void install() {
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        ConsoleHandler console = new ConsoleHandler();
        console.setFormatter(new OneLineLogFormat());
        try {
            console.setEncoding(StandardCharsets.UTF_8.name());
        } catch (UnsupportedEncodingException e) {
            throw new IllegalStateException(e);
        }
        root.addHandler(console);
    }

    @Override
    public String format(LogRecord r) {
        StringBuilder b = new StringBuilder("netmem: ").append(r.getLevel().getName()).append(": ").append(message(r));
        if (r.getThrown() != null) {
            b.append(": ").append(Cli.describe(r.getThrown()));
        }
        return b.append(System.lineSeparator()).toString();
    }

    /** The record's message with its parameters, numbers printed plainly (ids as ids). */
    public static String message(LogRecord r) {
        Object[] params = r.getParameters();
        String msg = r.getMessage();
        if (params == null || params.length == 0 || msg == null || !msg.contains("{")) {
            return msg;
        }
        Object[] plain = params.clone();
        for (int i = 0; i < plain.length; i++) {
            if (plain[i] instanceof Number n) {
                plain[i] = n.toString();
            }
        }
        try {
            return MessageFormat.format(msg, plain);
        } catch (IllegalArgumentException e) {
            return msg;
        }
    }
}
