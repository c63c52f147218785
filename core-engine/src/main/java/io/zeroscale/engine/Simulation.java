package io.zeroscale.engine;

import static io.zeroscale.spi.StandardErrorCode.CONFIG_INVALID;
import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import io.zeroscale.engine.time.VirtualScheduler;
import io.zeroscale.spi.Plugin;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.automaton.ReservedSignals;
import io.zeroscale.spi.metrics.MetricQuery;
import io.zeroscale.spi.metrics.MetricSource;
import io.zeroscale.spi.metrics.SignalValue;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.Endpoints;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import io.zeroscale.spi.traffic.RequestStats;
import io.zeroscale.spi.traffic.Route;
import io.zeroscale.spi.traffic.RouteListener;
import io.zeroscale.spi.traffic.Routing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A backtest: replays a recorded signal series through a target's policy on virtual time and
 * returns the decisions the engine would have made, with the engine's safety rules in force. The
 * workload is simulated: it becomes ready {@code startup} after each scale-up.
 *
 * <p>Series format (CSV with a header row, or a JSON array of objects with the same keys): a
 * {@code time} column (an ISO-8601 instant, or seconds from the start), one column per signal
 * named as in the policy, and optionally the gateway counters {@code held}, {@code inflight} and
 * {@code arrivals}. An empty cell (or JSON null) is an unknown value: the source failed then.
 */
public final class Simulation {
    private static final Instant EPOCH = Instant.parse("2026-01-01T00:00:00Z");

    /** One row of the series: the time and the values given in that row. */
    public record Row(Instant at, Map<String, Double> values, List<String> unknown) {
        public Row {
            requireNonNull(at, "at is null");
            values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
            unknown = List.copyOf(unknown);
        }
    }

    /** One decision of the timeline. */
    public record Step(Instant at, String state, int replicas, int ready, Routing routing, JournalEntry.Kind kind, String reason) {}

    private Simulation() {}

    /** Reads a CSV ({@code .csv}) or JSON ({@code .json}) series file. */
    public static List<Row> readSeries(Path file) {
        String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        List<Map<String, Object>> records = new ArrayList<>();
        try {
            if (name.endsWith(".json")) {
                records.addAll(new ObjectMapper().readValue(file.toFile(),
                        new com.fasterxml.jackson.core.type.TypeReference<List<Map<String, Object>>>() {}));
            } else if (name.endsWith(".csv")) {
                CsvMapper csv = new CsvMapper();
                try (MappingIterator<Map<String, Object>> rows = csv.readerFor(Map.class)
                        .with(CsvSchema.emptySchema().withHeader())
                        .readValues(Files.newBufferedReader(file))) {
                    while (rows.hasNext()) {
                        records.add(rows.next());
                    }
                }
            } else {
                throw new ZeroscaleException(CONFIG_INVALID, file + ": a series must be a .csv or .json file");
            }
        } catch (IOException e) {
            throw new ZeroscaleException(CONFIG_INVALID, file + ": cannot read the series: " + e.getMessage(), e);
        }
        return rows(file.toString(), records);
    }

    static List<Row> rows(String source, List<Map<String, Object>> records) {
        List<Row> rows = new ArrayList<>();
        Instant previous = null;
        for (int i = 0; i < records.size(); i++) {
            Map<String, Object> record = records.get(i);
            String where = source + " row " + (i + 1);
            Object time = record.get("time");
            if (time == null) {
                throw new ZeroscaleException(CONFIG_INVALID, where + ": no 'time' value; add a time column (ISO instant or seconds)");
            }
            Instant at = parseTime(where, time.toString());
            if (previous != null && at.isBefore(previous)) {
                throw new ZeroscaleException(CONFIG_INVALID, where + ": time " + time + " goes backwards; sort the series by time");
            }
            previous = at;
            Map<String, Double> values = new LinkedHashMap<>();
            List<String> unknown = new ArrayList<>();
            for (Map.Entry<String, Object> cell : record.entrySet()) {
                if (cell.getKey().equals("time")) {
                    continue;
                }
                Object value = cell.getValue();
                if (value == null || value.toString().isBlank()) {
                    unknown.add(cell.getKey());
                    continue;
                }
                try {
                    values.put(cell.getKey(), Double.parseDouble(value.toString().trim()));
                } catch (NumberFormatException e) {
                    throw new ZeroscaleException(CONFIG_INVALID, where + ", column " + cell.getKey() + ": '" + value
                            + "' is not a number; leave the cell empty for an unknown value");
                }
            }
            rows.add(new Row(at, values, unknown));
        }
        if (rows.isEmpty()) {
            throw new ZeroscaleException(CONFIG_INVALID, source + ": the series has no rows");
        }
        return rows;
    }

    private static Instant parseTime(String where, String text) {
        try {
            return EPOCH.plusMillis(Math.round(Double.parseDouble(text.trim()) * 1000));
        } catch (NumberFormatException notSeconds) {
            try {
                return Instant.parse(text.trim());
            } catch (DateTimeParseException e) {
                throw new ZeroscaleException(CONFIG_INVALID, where + ": time '" + text
                        + "' is neither seconds nor an ISO-8601 instant like 2026-01-01T00:00:00Z");
            }
        }
    }

    /** How often the simulated gateway says it is alive, as the gateway module's default. */
    private static final Duration HEARTBEAT = Duration.ofSeconds(5);

    /**
     * Runs {@code target}'s policy over {@code rows}, then for {@code tail} more, and returns every
     * decision, safety hold and alert in order.
     *
     * @param plugins extra plugins whose automata the policy may use (the built-ins are always there)
     */
    public static List<Step> run(TargetSpec target, List<Row> rows, Duration startup, Duration tail, List<Plugin> plugins) {
        VirtualScheduler time = new VirtualScheduler(rows.getFirst().at());
        SimulatedWorkload workload = new SimulatedWorkload(time, startup);
        SeriesSource series = new SeriesSource(time, rows);
        TargetSpec simulated = new TargetSpec(target.name(),
                new TargetRef("simulated", target.ref().kind(), target.ref().namespace(), target.ref().name()),
                target.workload(), target.policy());
        Zeroscale.Builder builder = Zeroscale.builder()
                .virtualTime(time)
                .dataDirectory(Path.of(System.getProperty("java.io.tmpdir"), "zeroscale-simulation"))
                .orchestrator("simulated", workload)
                .target(simulated);
        plugins.forEach(builder::plugin);
        target.policy().signals().values().stream()
                .map(SignalSpec::source)
                .distinct()
                .forEach(source -> builder.metricSource(source, series));
        List<Step> steps = new ArrayList<>();
        try (Zeroscale zeroscale = builder.build()) {
            TrafficFromSeries traffic = new TrafficFromSeries(zeroscale, simulated.ref());
            zeroscale.trafficHub().subscribe(traffic);
            // As a real gateway does between changes, so its counters never count as unknown.
            time.scheduleAtFixedRate(HEARTBEAT, () -> zeroscale.trafficHub().heartbeat(TrafficFromSeries.GATEWAY));
            zeroscale.journal().subscribe(entry -> steps.add(new Step(entry.at(), entry.state(), entry.replicas(),
                    workload.ready, entry.routing(), entry.kind(), entry.message())));
            zeroscale.start();
            time.runDue();
            for (Row row : rows) {
                time.advanceTo(row.at());
                traffic.apply(row);
                time.runDue();
            }
            time.advance(tail);
        }
        return List.copyOf(steps);
    }

    /** The timeline as a fixed-width text table, one line per step. */
    public static String formatTable(List<Step> steps) {
        StringBuilder out = new StringBuilder(String.format("%-24s %-9s %8s %6s %-8s %s%n", "TIME", "STATE", "REPLICAS", "READY", "ROUTING", "REASON"));
        for (Step step : steps) {
            String reason = step.kind() == JournalEntry.Kind.DECISION ? step.reason() : step.kind() + ": " + step.reason();
            out.append(String.format("%-24s %-9s %8d %6d %-8s %s%n", step.at(), step.state(), step.replicas(), step.ready(),
                    step.routing(), reason));
        }
        return out.toString();
    }

    /** Answers each signal's query with the series value in force at the current virtual time. */
    private static final class SeriesSource implements MetricSource {
        private final VirtualScheduler time;
        private final Map<String, NavigableMap<Instant, Double>> values = new LinkedHashMap<>();

        SeriesSource(VirtualScheduler time, List<Row> rows) {
            this.time = time;
            for (Row row : rows) {
                row.values().forEach((signal, value) -> values.computeIfAbsent(signal, ignored -> new TreeMap<>()).put(row.at(), value));
                row.unknown().forEach(signal -> values.computeIfAbsent(signal, ignored -> new TreeMap<>()).put(row.at(), Double.NaN));
            }
        }

        @Override
        public SignalValue query(MetricQuery query, Duration window) {
            NavigableMap<Instant, Double> series = values.get(query.signal());
            Instant now = time.now();
            if (series == null) {
                return SignalValue.unknown("the series has no column '" + query.signal() + "'", now);
            }
            Map.Entry<Instant, Double> entry = series.floorEntry(now);
            if (entry == null || entry.getValue().isNaN()) {
                return SignalValue.unknown("no value in the series at " + now, now);
            }
            return SignalValue.known(entry.getValue(), now);
        }

        @Override
        public void close() {}
    }

    /** Plays the gateway: reports the series' request counters and drains when nothing is in flight. */
    private static final class TrafficFromSeries implements RouteListener {
        static final String GATEWAY = "simulation";
        private final Zeroscale zeroscale;
        private final TargetRef ref;
        private RequestStats stats = RequestStats.IDLE;

        TrafficFromSeries(Zeroscale zeroscale, TargetRef ref) {
            this.zeroscale = zeroscale;
            this.ref = ref;
        }

        void apply(Row row) {
            Double held = row.values().get(ReservedSignals.HELD);
            Double inFlight = row.values().get(ReservedSignals.INFLIGHT);
            Double arrivals = row.values().get("arrivals");
            if (held == null && inFlight == null && arrivals == null) {
                return;
            }
            stats = new RequestStats(
                    held == null ? stats.held() : held.intValue(),
                    inFlight == null ? stats.inFlight() : inFlight.intValue(),
                    arrivals == null ? stats.arrivals() : Math.max(stats.arrivals(), arrivals.longValue()),
                    stats.completed(), 0);
            zeroscale.trafficHub().report(GATEWAY, ref, stats);
        }

        @Override
        public void onRoute(TargetRef target, Route route) {
            if (route.routing() == Routing.DRAIN && stats.inFlight() == 0) {
                zeroscale.trafficHub().drained(GATEWAY, target, route.draining());
            }
        }

        @Override
        public void onFailHeld(TargetRef target, int status, String reason) {
            stats = new RequestStats(0, stats.inFlight(), stats.arrivals(), stats.completed() + stats.held(), 0);
            zeroscale.trafficHub().report(GATEWAY, ref, stats);
        }
    }

    /** A workload whose replicas become ready {@code startup} after each scale-up. */
    private static final class SimulatedWorkload implements Orchestrator, Endpoints {
        private final VirtualScheduler time;
        private final Duration startup;
        private final List<Consumer<WorkloadEvent>> listeners = new CopyOnWriteArrayList<>();
        private int replicas;
        private int ready;
        private long generation;

        SimulatedWorkload(VirtualScheduler time, Duration startup) {
            this.time = time;
            this.startup = startup;
        }

        @Override
        public ObservedState observe(TargetRef target) {
            List<Endpoint> endpoints = new ArrayList<>();
            for (int i = 0; i < ready; i++) {
                endpoints.add(new Endpoint("simulated-" + (i + 1), 8080));
            }
            return new ObservedState(replicas, replicas, ready, 0, endpoints, time.now());
        }

        @Override
        public void scale(TargetRef target, int replicas) {
            if (replicas == this.replicas) {
                return;
            }
            long current = ++generation;
            this.replicas = replicas;
            ready = Math.min(ready, replicas);
            publish(target);
            time.schedule(startup, () -> {
                if (generation == current) {
                    ready = this.replicas;
                    publish(target);
                }
            });
        }

        @Override
        public Subscription watch(TargetRef target, Consumer<WorkloadEvent> listener) {
            listeners.add(listener);
            listener.accept(new WorkloadEvent.Changed(observe(target)));
            return () -> listeners.remove(listener);
        }

        private void publish(TargetRef target) {
            ObservedState state = observe(target);
            listeners.forEach(listener -> listener.accept(new WorkloadEvent.Changed(state)));
        }

        @Override
        public void close() {}
    }
}
