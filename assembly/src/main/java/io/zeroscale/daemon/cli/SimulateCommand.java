package io.zeroscale.daemon.cli;

import static io.zeroscale.spi.StandardErrorCode.CONFIG_INVALID;

import io.zeroscale.daemon.Plugins;
import io.zeroscale.daemon.config.DaemonConfig;
import io.zeroscale.engine.Simulation;
import io.zeroscale.engine.TargetSpec;
import io.zeroscale.spi.Durations;
import io.zeroscale.spi.ZeroscaleException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code zeroscale simulate}: a backtest of one target's policy over a recorded series. */
@Command(name = "simulate", mixinStandardHelpOptions = true,
        description = {"Replays a recorded signal series through a target's policy on virtual time and prints every",
            "decision the engine would have made (safety rules included). The workload is simulated: it is ready",
            "--startup after each scale-up. With --out DIR, also writes the dashboard's charts of the replay to DIR/index.html.",
            "With --compare, replays the same series (one with a 'requests' column, such as an exported arrival",
            "history) through each given idle policy and prints, for each, the cold starts (requests that waited",
            "for a wake), their added wait and the idle replica-seconds; with --out DIR, also each policy's charts."})
final class SimulateCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Spec
    CommandSpec spec;

    @Option(names = {"-t", "--target"}, required = true, paramLabel = "NAME", description = "The target whose policy is replayed.")
    String target = "";

    @Option(names = {"-s", "--series"}, required = true, paramLabel = "FILE",
            description = {"The series: CSV with a header row or a JSON array. A 'time' column (ISO instant or seconds),",
                "one column per signal, optionally held, inflight, arrivals. An empty cell is an unknown value."})
    @Nullable Path series;

    @Option(names = "--startup", paramLabel = "DURATION", defaultValue = "20s",
            description = "How long the simulated workload takes to become ready (default ${DEFAULT-VALUE}).")
    String startup = "20s";

    @Option(names = "--compare", paramLabel = "POLICY", split = ",",
            description = {"Compare idle policies on the series: fixed:DURATION (zero-to-n with that idle time), adaptive",
                "(the adaptive keep-alive, pre-wake and seasonal forecast), adaptive-histogram (adaptive without the seasonal",
                "forecast) or configured (the target's own). Repeatable or comma-separated."})
    List<String> compare = new java.util.ArrayList<>();

    @Option(names = "--service", paramLabel = "DURATION", defaultValue = "1s",
            description = "How long each request of a 'requests' series is in flight (default ${DEFAULT-VALUE}).")
    String service = "1s";

    @Option(names = {"-o", "--out"}, paramLabel = "DIR", description = {"Also write charts to a directory (index.html, drawn with",
        "the dashboard's charts, and their script files): the replay's, or with --compare each policy's and the costs."})
    @Nullable Path out;

    @Override
    public Integer call() throws IOException {
        DaemonConfig config = options.load();
        TargetSpec targetSpec = options.target(config, target);
        Duration startupTime;
        try {
            startupTime = Durations.parse(startup);
        } catch (IllegalArgumentException e) {
            throw new ZeroscaleException(CONFIG_INVALID, "--startup: " + e.getMessage(), e);
        }
        if (series == null) {
            throw new IllegalStateException("--series is required");
        }
        if (out != null) {
            String name = out.getFileName().toString().toLowerCase(Locale.ROOT);
            if (name.endsWith(".png") || name.endsWith(".html") || name.endsWith(".htm") || Files.isRegularFile(out)) {
                throw new ZeroscaleException(CONFIG_INVALID, "--out: " + out + " is a file name; give a directory (e.g. --out "
                        + "timeline): the page is written as index.html there with the dashboard's chart scripts next to it"
                        + " (a PNG is not drawn any more: the charts are the dashboard's, drawn by the browser)");
            }
        }
        if (!compare.isEmpty()) {
            return compare(targetSpec, series, startupTime);
        }
        Simulation.Timeline timeline;
        try (Plugins plugins = options.loadPlugins()) {
            timeline = Simulation.timeline(targetSpec, Simulation.readSeries(series), startupTime,
                    targetSpec.policy().tick().multipliedBy(600), plugins.plugins());
        }
        spec.commandLine().getOut().print(Simulation.formatTable(timeline.steps()));
        if (out != null) {
            String title = "zeroscale simulate: " + target + " over " + series.getFileName();
            Path page = SimulationPage.write(out, title, timeline);
            spec.commandLine().getErr().println("zeroscale: wrote " + page);
        }
        return 0;
    }

    private Integer compare(TargetSpec targetSpec, Path seriesFile, Duration startupTime) throws IOException {
        Duration serviceTime;
        try {
            serviceTime = Durations.parse(service);
        } catch (IllegalArgumentException e) {
            throw new ZeroscaleException(CONFIG_INVALID, "--service: " + e.getMessage(), e);
        }
        List<Simulation.Row> rows = Simulation.readSeries(seriesFile);
        if (rows.stream().noneMatch(row -> row.values().containsKey(Simulation.REQUESTS))) {
            throw new ZeroscaleException(CONFIG_INVALID, "--compare: " + seriesFile + " has no '" + Simulation.REQUESTS + "' column; "
                    + "a comparison replays requests (time,requests rows, as an exported arrival history has)");
        }
        List<Simulation.Candidate> candidates = new java.util.ArrayList<>();
        for (String policy : compare) {
            candidates.add(new Simulation.Candidate(policy, Simulation.variant(targetSpec, policy.strip())));
        }
        List<Simulation.Outcome> outcomes;
        try (Plugins plugins = options.loadPlugins()) {
            outcomes = Simulation.compare(candidates, rows, startupTime, serviceTime, targetSpec.policy().tick().multipliedBy(600),
                    plugins.plugins());
        }
        spec.commandLine().getOut().print(Simulation.formatComparison(outcomes));
        if (out != null) {
            String title = "zeroscale simulate: " + target + " over " + seriesFile.getFileName() + ", " + compare.size() + " policies";
            Path page = SimulationPage.writeComparison(out, title, outcomes);
            spec.commandLine().getErr().println("zeroscale: wrote " + page);
        }
        return 0;
    }
}
