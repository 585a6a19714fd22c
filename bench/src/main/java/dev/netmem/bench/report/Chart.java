package dev.netmem.bench.report;

import dev.netmem.bench.report.Report.Kind;
import dev.netmem.bench.report.Report.Row;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * The report's chart of the main comparisons ({@link Report#chartRows()}): one horizontal bar per
 * row, ns/op on a log scale (the figures span five decades), coloured by {@link Kind}. Plain Java2D
 * and ImageIO, headless.
 */
public final class Chart {
    private static final int WIDTH = 1100;
    private static final int LEFT = 270;
    private static final int RIGHT = 90;
    private static final int TOP = 92;
    private static final int BAR = 20;
    private static final int GAP = 8;
    private static final int BOTTOM = 56;
    private static final Color BASELINE = new Color(0x9e, 0x9e, 0x9e);
    private static final Color NETMEM = new Color(0x1f, 0x6f, 0xb4);
    private static final Color ALTERNATIVE = new Color(0xe8, 0x7d, 0x1e);
    private static final Color GRID = new Color(0xdd, 0xdd, 0xdd);

    private Chart() {
    }

    /**
     * Draws the rows of {@code report} into a PNG at {@code file}.
     *
     * @param caption a line under the title (machine, mode); may be empty
     * @throws IOException if the file cannot be written
     */
    public static void write(Report report, String caption, Path file) throws IOException {
        ImageIO.write(render(report.chartRows(), caption), "png", file.toFile());
    }

    static BufferedImage render(List<Row> rows, String caption) {
        int height = TOP + rows.size() * (BAR + GAP) + BOTTOM;
        BufferedImage img = new BufferedImage(WIDTH, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, height);
            draw(g, rows, caption);
        } finally {
            g.dispose();
        }
        return img;
    }

    private static void draw(Graphics2D g, List<Row> rows, String caption) {
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 17));
        g.drawString("netmem page pool vs what Java users pick instead: ns per operation (lower is better)", 16, 26);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.setColor(Color.DARK_GRAY);
        g.drawString(caption, 16, 46);
        legend(g);
        if (rows.isEmpty()) {
            return;
        }
        double min = Double.MAX_VALUE;
        double max = 0;
        for (Row r : rows) {
            double v = r.ns().score();
            if (v > 0) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        int lo = (int) Math.floor(Math.log10(min));
        int hi = (int) Math.ceil(Math.log10(max));
        if (hi == lo) {
            hi++;
        }
        int plotW = WIDTH - LEFT - RIGHT;
        int plotBottom = TOP + rows.size() * (BAR + GAP);
        // Decade grid lines with labels.
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        for (int d = lo; d <= hi; d++) {
            for (int m = 1; m < 10; m++) {
                double v = m * Math.pow(10, d);
                if (v > Math.pow(10, hi)) {
                    break;
                }
                int x = x(v, lo, hi, plotW);
                g.setColor(m == 1 ? GRID.darker() : GRID);
                g.setStroke(new BasicStroke(m == 1 ? 1.2f : 0.6f));
                g.drawLine(x, TOP - 4, x, plotBottom);
                if (m == 1) {
                    g.setColor(Color.DARK_GRAY);
                    String label = axisLabel(v);
                    g.drawString(label, x - g.getFontMetrics().stringWidth(label) / 2, plotBottom + 16);
                }
            }
        }
        g.setColor(Color.DARK_GRAY);
        g.drawString("ns/op, log scale", LEFT + plotW / 2 - 40, plotBottom + 36);
        // Bars.
        int y = TOP;
        Font labelFont = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
        Font valueFont = new Font(Font.SANS_SERIF, Font.BOLD, 12);
        for (Row r : rows) {
            double v = r.ns().score();
            int x0 = LEFT;
            int x1 = v > 0 ? x(v, lo, hi, plotW) : LEFT;
            g.setColor(color(r.kind()));
            g.fillRect(x0, y, Math.max(1, x1 - x0), BAR);
            g.setFont(labelFont);
            g.setColor(Color.BLACK);
            FontMetrics fm = g.getFontMetrics();
            g.drawString(r.label(), LEFT - 8 - fm.stringWidth(r.label()), y + BAR - 5);
            g.setFont(valueFont);
            g.drawString(Report.fmt(v) + " ns", x1 + 5, y + BAR - 5);
            y += BAR + GAP;
        }
        g.setColor(Color.GRAY);
        g.setStroke(new BasicStroke(1f));
        g.drawLine(LEFT, TOP - 4, LEFT, plotBottom);
    }

    private static void legend(Graphics2D g) {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int x = 16;
        int y = 68;
        for (Kind k : Kind.values()) {
            g.setColor(color(k));
            g.fillRect(x, y - 10, 12, 12);
            g.setColor(Color.BLACK);
            String name = switch (k) {
                case BASELINE -> "baseline";
                case NETMEM -> "netmem page pool";
                case ALTERNATIVE -> "alternative";
            };
            g.drawString(name, x + 16, y);
            x += 16 + g.getFontMetrics().stringWidth(name) + 18;
        }
    }

    private static int x(double v, int lo, int hi, int plotW) {
        return LEFT + (int) Math.round((Math.log10(v) - lo) / (hi - lo) * plotW);
    }

    private static String axisLabel(double v) {
        return v >= 1 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%s", v);
    }

    private static Color color(Kind k) {
        return switch (k) {
            case BASELINE -> BASELINE;
            case NETMEM -> NETMEM;
            case ALTERNATIVE -> ALTERNATIVE;
        };
    }
}
