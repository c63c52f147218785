package io.zeroscale.daemon.cli;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zeroscale.daemon.api.Dashboard;
import io.zeroscale.engine.Simulation;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code zeroscale simulate --out DIR} writes: a page drawn with the dashboard's own charts
 * (its {@code charts.js} on uPlot from the WebJar, copied next to the page) from the replay's
 * series, so a backtest and the live target look the same; the data goes in {@code data.js}, so a
 * browser opens the page from disk without a server. {@code --compare} writes the same way, one
 * pair of charts per policy under the table of their costs.
 */
final class SimulationPage {
    /** The dashboard's files the page uses, copied as they are. */
    static final List<String> DASHBOARD_FILES = List.of("uplot.js", "uplot.css", "charts.js", "app.css");
    private static final ObjectMapper JSON = new ObjectMapper();

    private SimulationPage() {}

    /** Writes the page into {@code directory} (created if needed) and returns the page's path. */
    static Path write(Path directory, String title, Simulation.Timeline timeline) throws IOException {
        Files.createDirectories(directory);
        for (String name : DASHBOARD_FILES) {
            Files.write(directory.resolve(name), Dashboard.file(name));
        }
        Files.write(directory.resolve("simulate.js"), resource("simulate.js"));
        Files.write(directory.resolve("data.js"), ("window.zeroscaleSimulation = " + json(title, timeline) + ";\n").getBytes(UTF_8));
        Path page = directory.resolve("index.html");
        Files.write(page, resource("index.html"));
        return page;
    }

    /**
     * What {@code zeroscale simulate --compare ... --out DIR} writes: the policies' costs side by side,
     * then each policy's run drawn with the same charts as a replay. Returns the page's path.
     */
    static Path writeComparison(Path directory, String title, List<Simulation.Outcome> outcomes) throws IOException {
        Files.createDirectories(directory);
        for (String name : DASHBOARD_FILES) {
            Files.write(directory.resolve(name), Dashboard.file(name));
        }
        Files.write(directory.resolve("compare.js"), resource("compare.js"));
        Files.write(directory.resolve("data.js"), ("window.zeroscaleComparison = " + comparisonJson(title, outcomes) + ";\n").getBytes(UTF_8));
        Path page = directory.resolve("index.html");
        Files.write(page, resource("compare.html"));
        return page;
    }

    static String json(String title, Simulation.Timeline timeline) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("title", title);
        out.put("points", points(timeline.points()));
        out.put("steps", steps(timeline.steps()));
        return write(out);
    }

    static String comparisonJson(String title, List<Simulation.Outcome> outcomes) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("title", title);
        out.put("policies", outcomes.stream().map(outcome -> {
            Simulation.Metrics m = outcome.metrics();
            Map<String, Object> metrics = new LinkedHashMap<>();
            metrics.put("requests", m.requests());
            metrics.put("coldStarts", m.coldStarts());
            metrics.put("addedWaitSeconds", m.addedWait().toMillis() / 1000.0);
            metrics.put("maxWaitSeconds", m.maxWait().toMillis() / 1000.0);
            metrics.put("idleReplicaSeconds", m.idleReplicaSeconds());
            metrics.put("failed", m.failed());
            Map<String, Object> view = new LinkedHashMap<>();
            view.put("policy", outcome.policy());
            view.put("metrics", metrics);
            view.put("points", points(outcome.points()));
            view.put("steps", steps(outcome.steps()));
            return view;
        }).toList());
        return write(out);
    }

    private static List<Map<String, Object>> points(List<Simulation.Point> points) {
        return points.stream().map(point -> {
            Map<String, Object> view = new LinkedHashMap<>();
            view.put("at", point.at().toString());
            view.put("desired", point.desired());
            view.put("observed", point.observed());
            view.put("ready", point.ready());
            view.put("held", point.held());
            view.put("inFlight", point.inFlight());
            view.put("signals", point.signals());
            return view;
        }).toList();
    }

    private static List<Map<String, Object>> steps(List<Simulation.Step> steps) {
        return steps.stream().map(step -> {
            Map<String, Object> view = new LinkedHashMap<>();
            view.put("at", step.at().toString());
            view.put("state", step.state());
            view.put("replicas", step.replicas());
            view.put("ready", step.ready());
            view.put("routing", step.routing().name());
            view.put("kind", step.kind().name());
            view.put("reason", step.reason());
            return view;
        }).toList();
    }

    private static String write(Map<String, Object> out) {
        try {
            return JSON.writeValueAsString(out);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] resource(String name) {
        try (InputStream in = SimulationPage.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("simulation page file " + name + " is missing from the class path");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read simulation page file " + name, e);
        }
    }
}
