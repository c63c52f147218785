package io.zeroscale.daemon.cli;

import io.zeroscale.engine.Simulation;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * Draws a simulated decision timeline: desired and ready replicas over time as step lines, with
 * the automaton's state as coloured bands underneath. PNG through Java2D (headless), and an HTML
 * page with that image and the table.
 */
final class TimelineChart {
    private static final int WIDTH = 1000;
    private static final int HEIGHT = 420;
    private static final int LEFT = 60;
    private static final int RIGHT = 20;
    private static final int TOP = 40;
    private static final int BAND = 24;
    private static final int BOTTOM = 70;
    private static final Color[] STATE_COLOURS = {
        new Color(0xcfd8dc), new Color(0xffe082), new Color(0xa5d6a7), new Color(0x90caf9),
        new Color(0xffab91), new Color(0xce93d8), new Color(0x80cbc4)};

    private TimelineChart() {}

    static byte[] png(String title, List<Simulation.Step> steps) {
        System.setProperty("java.awt.headless", "true");
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            draw(g, title, steps);
        } finally {
            g.dispose();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** The comparison table, then each policy's timeline chart and decisions. */
    static String comparisonHtml(String title, List<Simulation.Outcome> outcomes) {
        StringBuilder rows = new StringBuilder();
        StringBuilder charts = new StringBuilder();
        for (Simulation.Outcome outcome : outcomes) {
            Simulation.Metrics m = outcome.metrics();
            rows.append("<tr><td>").append(escape(outcome.policy())).append("</td><td>").append(m.requests())
                    .append("</td><td>").append(m.coldStarts())
                    .append("</td><td>").append(String.format(java.util.Locale.ROOT, "%.1f", m.addedWait().toMillis() / 1000.0))
                    .append("</td><td>").append(String.format(java.util.Locale.ROOT, "%.0f", m.idleReplicaSeconds()))
                    .append("</td><td>").append(m.failed()).append("</td></tr>\n");
            String image = Base64.getEncoder().encodeToString(png(outcome.policy(), outcome.steps()));
            charts.append("<h2>").append(escape(outcome.policy())).append("</h2>\n")
                    .append("<img alt=\"replicas and states over time: ").append(escape(outcome.policy()))
                    .append("\" src=\"data:image/png;base64,").append(image).append("\">\n")
                    .append("<details><summary>decisions</summary><pre>").append(escape(Simulation.formatTable(outcome.steps())))
                    .append("</pre></details>\n");
        }
        return """
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8"><title>%s</title>
                <style>body{font-family:sans-serif;margin:2em}pre{font-size:12px}td,th{padding:2px 10px;text-align:right}
                td:first-child,th:first-child{text-align:left}</style></head>
                <body><h1>%s</h1>
                <table id="comparison"><tr><th>policy</th><th>requests</th><th>cold starts</th><th>added wait (s)</th>
                <th>idle replica-seconds</th><th>failed</th></tr>
                %s</table>
                <p>Cold starts: requests that arrived while no replica was ready and waited for a wake. Idle replica-seconds:
                scaled replicas beyond the requests in flight, over time.</p>
                %s</body></html>
                """.formatted(escape(title), escape(title), rows, charts);
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static void draw(Graphics2D g, String title, List<Simulation.Step> steps) {
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, HEIGHT);
        g.setColor(Color.DARK_GRAY);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(title, LEFT, 22);
        if (steps.isEmpty()) {
            return;
        }
        Instant start = steps.getFirst().at();
        Instant end = steps.getLast().at();
        long span = Math.max(1, Duration.between(start, end).toMillis());
        end = start.plusMillis(span + span / 20);
        int max = 1;
        for (Simulation.Step step : steps) {
            max = Math.max(max, Math.max(step.replicas(), step.ready()));
        }
        int plotBottom = HEIGHT - BOTTOM - BAND;
        int plotHeight = plotBottom - TOP;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        for (int replicas = 0; replicas <= max; replicas++) {
            int y = plotBottom - replicas * plotHeight / max;
            g.setColor(new Color(0xeeeeee));
            g.drawLine(LEFT, y, WIDTH - RIGHT, y);
            g.setColor(Color.GRAY);
            g.drawString(Integer.toString(replicas), LEFT - 20, y + 4);
        }
        Map<String, Color> colours = new LinkedHashMap<>();
        for (int i = 0; i < steps.size(); i++) {
            Simulation.Step step = steps.get(i);
            Instant next = i + 1 < steps.size() ? steps.get(i + 1).at() : end;
            Color colour = colours.computeIfAbsent(step.state(), state -> STATE_COLOURS[colours.size() % STATE_COLOURS.length]);
            g.setColor(colour);
            int x1 = x(step.at(), start, end);
            g.fillRect(x1, plotBottom + 4, Math.max(1, x(next, start, end) - x1), BAND - 6);
        }
        line(g, steps, start, end, max, plotBottom, plotHeight, true, new Color(0x1565c0));
        line(g, steps, start, end, max, plotBottom, plotHeight, false, new Color(0x2e7d32));
        int legendY = HEIGHT - 22;
        int legendX = LEFT;
        legendX = legend(g, legendX, legendY, new Color(0x1565c0), "desired replicas");
        legendX = legend(g, legendX, legendY, new Color(0x2e7d32), "ready replicas");
        for (Map.Entry<String, Color> entry : colours.entrySet()) {
            legendX = legend(g, legendX, legendY, entry.getValue(), entry.getKey());
        }
        g.setColor(Color.GRAY);
        g.drawString(start.toString(), LEFT, plotBottom + BAND + 14);
        String last = steps.getLast().at().toString();
        g.drawString(last, WIDTH - RIGHT - g.getFontMetrics().stringWidth(last), plotBottom + BAND + 14);
    }

    private static void line(Graphics2D g, List<Simulation.Step> steps, Instant start, Instant end, int max, int bottom, int height,
            boolean desired, Color colour) {
        g.setColor(colour);
        g.setStroke(new BasicStroke(desired ? 2.5f : 1.5f));
        int previousX = x(steps.getFirst().at(), start, end);
        int previousY = y(desired ? steps.getFirst().replicas() : steps.getFirst().ready(), max, bottom, height);
        for (Simulation.Step step : steps) {
            int x = x(step.at(), start, end);
            int y = y(desired ? step.replicas() : step.ready(), max, bottom, height);
            g.drawLine(previousX, previousY, x, previousY);
            g.drawLine(x, previousY, x, y);
            previousX = x;
            previousY = y;
        }
        g.drawLine(previousX, previousY, x(end, start, end), previousY);
        g.setStroke(new BasicStroke(1));
    }

    private static int legend(Graphics2D g, int x, int y, Color colour, String label) {
        g.setColor(colour);
        g.fillRect(x, y - 9, 12, 10);
        g.setColor(Color.DARK_GRAY);
        g.drawString(label, x + 16, y);
        return x + 16 + g.getFontMetrics().stringWidth(label) + 18;
    }

    private static int x(Instant at, Instant start, Instant end) {
        double fraction = (double) Duration.between(start, at).toMillis() / Math.max(1, Duration.between(start, end).toMillis());
        return LEFT + (int) Math.round(fraction * (WIDTH - LEFT - RIGHT));
    }

    private static int y(int replicas, int max, int bottom, int height) {
        return bottom - replicas * height / max;
    }
}
