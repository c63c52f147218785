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
import org.jspecify.annotations.Nullable;

/**
 * A backtest: replays a recorded signal series through a target's policy on virtual time and
 * returns the decisions the engine would have made, with the engine's safety rules in force. The
 * workload is simulated: it becomes ready {@code startup} after each scale-up.
 *
 * <p>Series format (CSV with a header row, or a JSON array of objects with the same keys): a
 * {@code time} column (an ISO-8601 instant, or seconds from the start), one column per signal
 * named as in the policy, and optionally the gateway counters {@code held}, {@code inflight} and
 * {@code arrivals}. An empty cell (or JSON null) is an unknown value: the source failed then.
 *
 * <p>Instead of the gateway counters a series may give {@code requests}: how many requests arrive
 * at that row's time (an exported arrival history is such a series). The simulated gateway then
 * plays each request: held while no replica is ready, forwarded once one is, in flight for the
 * service time. That is what {@link #compare} measures policies by ({@link Metrics}).
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

    /**
     * The target's status each time it changed, as the dashboard's series keeps it: replicas as
     * observed when they change (not only at decisions) and every signal's value then, null while
     * unknown.
     */
    public record Point(Instant at, int desired, int observed, int ready, int held, int inFlight, Map<String, @Nullable Double> signals) {
        public Point {
            requireNonNull(at, "at is null");
            signals = Collections.unmodifiableMap(new LinkedHashMap<>(signals));
        }

        static Point of(TargetStatus status) {
            Map<String, @Nullable Double> signals = new java.util.TreeMap<>();
            status.signals().forEach((name, value) -> signals.put(name,
                    value instanceof SignalValue.Known known && Double.isFinite(known.value()) ? known.value() : null));
            return new Point(status.updatedAt(), status.desiredReplicas(), status.observedReplicas(), status.readyReplicas(),
                    status.requests().held(), status.requests().inFlight(), signals);
        }

        boolean sameAs(Point other) {
            return desired == other.desired && observed == other.observed && ready == other.ready && held == other.held
                    && inFlight == other.inFlight && signals.equals(other.signals);
        }
    }

    /** A replay's decisions and the target's status as it changed. */
    public record Timeline(List<Step> steps, List<Point> points) {
        public Timeline {
            steps = List.copyOf(steps);
            points = List.copyOf(points);
        }
    }

    /** The column of a series that gives request arrivals (instead of the gateway counters). */
    public static final String REQUESTS = "requests";

    /**
     * What a policy cost over a series that gives {@code requests}.
     *
     * @param requests requests that arrived
     * @param coldStarts requests that arrived while no replica was ready and waited for a wake
     * @param addedWait the summed wait of every held request until it was forwarded (or failed)
     * @param maxWait the longest such wait
     * @param idleReplicaSeconds replica-seconds of scaled replicas (starting, ready or draining)
     *     beyond the requests in flight: what was kept up for nothing
     * @param failed held requests that were answered with an error (a wake that failed)
     */
    public record Metrics(long requests, long coldStarts, Duration addedWait, Duration maxWait, double idleReplicaSeconds,
            long failed) {}

    /**
     * One policy's run: its timeline and what it cost.
     *
     * @param points the target's status each time it changed, for charts (as {@link Timeline#points})
     */
    public record Outcome(String policy, List<Step> steps, Metrics metrics, List<Point> points) {
        public Outcome {
            steps = List.copyOf(steps);
            points = List.copyOf(points);
        }
    }

    /** A policy to compare, by name: a variant of a target (see {@link #variant}). */
    public record Candidate(String name, TargetSpec target) {}

    private Simulation() {}

    /** Reads a CSV ({@code .csv}) or JSON ({@code .json}) series file, or a directory of CSV files read in name order (a stored arrival history). */
    public static List<Row> readSeries(Path file) {
        String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        List<Map<String, Object>> records = new ArrayList<>();
        try {
            if (Files.isDirectory(file)) {
                // A stored arrival history: one time,requests document per day, read in day order.
                List<Path> days;
                try (java.util.stream.Stream<Path> listed = Files.list(file)) {
                    days = listed.filter(path -> path.getFileName().toString().endsWith(".csv")).sorted().toList();
                }
                if (days.isEmpty()) {
                    throw new ZeroscaleException(CONFIG_INVALID, file + ": a series directory must hold .csv files (a stored arrival"
                            + " history, <data-dir>/state/history/<target>/<day>.csv)");
                }
                for (Path day : days) {
                    readCsvRecords(day, records);
                }
            } else if (name.endsWith(".json")) {
                records.addAll(new ObjectMapper().readValue(file.toFile(),
                        new com.fasterxml.jackson.core.type.TypeReference<List<Map<String, Object>>>() {}));
            } else if (name.endsWith(".csv")) {
                readCsvRecords(file, records);
            } else {
                throw new ZeroscaleException(CONFIG_INVALID, file + ": a series must be a .csv or .json file, or a directory of .csv files");
            }
        } catch (IOException e) {
            throw new ZeroscaleException(CONFIG_INVALID, file + ": cannot read the series: " + e.getMessage(), e);
        }
        return rows(file.toString(), records);
    }

    private static void readCsvRecords(Path file, List<Map<String, Object>> records) throws IOException {
        CsvMapper csv = new CsvMapper();
        try (MappingIterator<Map<String, Object>> rows = csv.readerFor(Map.class)
                .with(CsvSchema.emptySchema().withHeader())
                .readValues(Files.newBufferedReader(file))) {
            while (rows.hasNext()) {
                records.add(rows.next());
            }
        }
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
        return timeline(target, rows, startup, tail, plugins).steps();
    }

    /** As {@link #run}, with the target's status as it changed, for charts. */
    public static Timeline timeline(TargetSpec target, List<Row> rows, Duration startup, Duration tail, List<Plugin> plugins) {
        List<Point> points = new ArrayList<>();
        List<Step> steps = simulate(target.name(), target, rows, startup, Duration.ofSeconds(1), tail, plugins, points).steps();
        return new Timeline(steps, points);
    }

    /**
     * Runs every candidate over the same series, one after the other, each on its own engine.
     *
     * @param service how long each request of a {@code requests} series is in flight
     */
    public static List<Outcome> compare(List<Candidate> candidates, List<Row> rows, Duration startup, Duration service, Duration tail,
            List<Plugin> plugins) {
        List<Outcome> outcomes = new ArrayList<>();
        for (Candidate candidate : candidates) {
            outcomes.add(simulate(candidate.name(), candidate.target(), rows, startup, service, tail, plugins, new ArrayList<>()));
        }
        return List.copyOf(outcomes);
    }

    /**
     * {@code target} with its lifecycle policy replaced for a comparison: {@code fixed:DURATION}
     * ({@code zero-to-n} with that idle time and no adaptive keep-alive), {@code adaptive}
     * ({@code zero-to-n} with the adaptive keep-alive and pre-wake, its {@code adaptive:} settings
     * kept when the target has them), or {@code configured} (the target as it is). Other settings
     * (wake timeout, drain timeout, activation, target tracking) are kept.
     *
     * @throws ZeroscaleException when {@code policy} is none of these, or the target's automaton
     *     is not {@code zero-to-n} or {@code adaptive}
     */
    public static TargetSpec variant(TargetSpec target, String policy) {
        if (policy.equals("configured")) {
            return target;
        }
        String automaton = target.policy().automaton();
        if (!automaton.equals("zero-to-n") && !automaton.equals("adaptive")) {
            throw new ZeroscaleException(CONFIG_INVALID, "cannot compare idle policies for target '" + target.name() + "': its automaton is '"
                    + automaton + "'; comparisons vary the idle time of zero-to-n or adaptive");
        }
        Map<String, Object> settings = new LinkedHashMap<>(target.policy().settings().asMap());
        if (policy.startsWith("fixed:")) {
            try {
                io.zeroscale.spi.Durations.parse(policy.substring("fixed:".length()));
            } catch (IllegalArgumentException e) {
                throw new ZeroscaleException(CONFIG_INVALID, "policy '" + policy + "': " + e.getMessage() + "; e.g. fixed:5m");
            }
            settings.put("idle", policy.substring("fixed:".length()));
            settings.put("adaptive", false);
        } else if (policy.equals("adaptive")) {
            if (!(settings.get("adaptive") instanceof Map<?, ?>)) {
                settings.put("adaptive", true);
            }
        } else if (policy.equals("adaptive-histogram")) {
            // The adaptive keep-alive and pre-wake from idle times alone, without the seasonal forecast.
            Map<String, Object> adaptive = new LinkedHashMap<>();
            if (settings.get("adaptive") instanceof Map<?, ?> given) {
                given.forEach((key, value) -> adaptive.put(String.valueOf(key), value));
            }
            adaptive.put("seasonal", false);
            settings.put("adaptive", adaptive);
        } else {
            throw new ZeroscaleException(CONFIG_INVALID, "unknown policy '" + policy + "'; use fixed:DURATION (e.g. fixed:5m), adaptive, "
                    + "adaptive-histogram (adaptive without the seasonal forecast) or configured");
        }
        PolicySpec base = target.policy();
        return new TargetSpec(target.name(), target.ref(), target.workload(), new PolicySpec("zero-to-n", base.bounds(), base.signals(),
                base.tick(), base.startFailures(), io.zeroscale.spi.Config.of(base.settings().path(), settings)));
    }

    /** @param points receives the target's status each time it changed (consecutive equal ones once) */
    private static Outcome simulate(String name, TargetSpec target, List<Row> rows, Duration startup, Duration service, Duration tail,
            List<Plugin> plugins, List<Point> points) {
        boolean requestModel = rows.stream().anyMatch(row -> row.values().containsKey(REQUESTS));
        if (requestModel && rows.stream().anyMatch(row -> row.values().containsKey(ReservedSignals.HELD)
                || row.values().containsKey(ReservedSignals.INFLIGHT) || row.values().containsKey("arrivals"))) {
            throw new ZeroscaleException(CONFIG_INVALID, "the series has both a 'requests' column and gateway counters (held, inflight, "
                    + "arrivals); give either requests (arrivals per row) or the counters");
        }
        VirtualScheduler time = new VirtualScheduler(rows.getFirst().at());
        Meter meter = new Meter(time);
        SimulatedWorkload workload = new SimulatedWorkload(time, startup, meter);
        SeriesSource series = new SeriesSource(time, rows);
        TargetSpec simulated = new TargetSpec(target.name(),
                new TargetRef("simulated", target.ref().kind(), target.ref().namespace(), target.ref().name()),
                target.workload(), target.policy());
        Zeroscale.Builder builder = Zeroscale.builder()
                .virtualTime(time)
                .dataDirectory(Path.of(System.getProperty("java.io.tmpdir"), "zeroscale-simulation"))
                .persistentArrivalHistory(false) // a replay learns only from the series, never from a stored history
                .orchestrator("simulated", workload)
                .target(simulated);
        plugins.forEach(builder::plugin);
        target.policy().signals().values().stream()
                .map(SignalSpec::source)
                .distinct()
                .forEach(source -> builder.metricSource(source, series));
        List<Step> steps = new ArrayList<>();
        try (Zeroscale zeroscale = builder.build()) {
            TrafficFromSeries traffic = new TrafficFromSeries(zeroscale, simulated.ref(), time, workload, meter, service, requestModel);
            zeroscale.trafficHub().subscribe(traffic);
            // As a real gateway does between changes, so its counters never count as unknown.
            time.scheduleAtFixedRate(HEARTBEAT, () -> zeroscale.trafficHub().heartbeat(TrafficFromSeries.GATEWAY));
            zeroscale.journal().subscribe(entry -> steps.add(new Step(entry.at(), entry.state(), entry.replicas(),
                    workload.ready, entry.routing(), entry.kind(), entry.message())));
            zeroscale.engine().subscribeStatus(ref -> zeroscale.engine().status(simulated.name()).map(Point::of).ifPresent(point -> {
                if (points.isEmpty() || !points.getLast().sameAs(point)) {
                    points.add(point);
                }
            }));
            zeroscale.start();
            time.runDue();
            for (Row row : rows) {
                time.advanceTo(row.at());
                traffic.apply(row);
                time.runDue();
            }
            time.advance(tail);
            meter.change(time.now());
            return new Outcome(name, steps, new Metrics(traffic.requests, traffic.coldStarts, traffic.addedWait,
                    traffic.maxWait, meter.idleReplicaSeconds, traffic.failed), points);
        }
    }

    /** The policies' costs side by side, one line per policy. */
    public static String formatComparison(List<Outcome> outcomes) {
        StringBuilder out = new StringBuilder(String.format(java.util.Locale.ROOT, "%-16s %9s %11s %14s %14s %14s %8s%n", "POLICY",
                "REQUESTS", "COLD STARTS", "ADDED WAIT", "MEAN WAIT", "IDLE REPLICA-S", "FAILED"));
        for (Outcome outcome : outcomes) {
            Metrics m = outcome.metrics();
            Duration mean = m.coldStarts() == 0 ? Duration.ZERO : m.addedWait().dividedBy(Math.max(1, m.coldStarts()));
            out.append(String.format(java.util.Locale.ROOT, "%-16s %9d %11d %14s %14s %14.0f %8d%n", outcome.policy(), m.requests(),
                    m.coldStarts(), seconds(m.addedWait()), seconds(mean), m.idleReplicaSeconds(), m.failed()));
        }
        return out.toString();
    }

    private static String seconds(Duration duration) {
        return String.format(java.util.Locale.ROOT, "%.1fs", duration.toMillis() / 1000.0);
    }

    /** Integrates idle replicas (scaled replicas beyond the requests in flight) over virtual time. */
    private static final class Meter {
        private Instant last;
        private int replicas;
        private int inFlight;
        double idleReplicaSeconds;

        Meter(VirtualScheduler time) {
            this.last = time.now();
        }

        /** Call before {@code replicas} or {@code inFlight} change. */
        void change(Instant now) {
            if (now.isAfter(last)) {
                int idle = replicas - Math.min(replicas, inFlight);
                idleReplicaSeconds += idle * (Duration.between(last, now).toNanos() / 1e9);
                last = now;
            }
        }

        void replicas(Instant now, int replicas) {
            change(now);
            this.replicas = replicas;
        }

        void inFlight(Instant now, int inFlight) {
            change(now);
            this.inFlight = inFlight;
        }
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

    /**
     * Plays the gateway: reports the series' request counters and drains when nothing is in flight;
     * or, for a {@code requests} series, plays each request (held, forwarded, in flight for the
     * service time) and measures the waits.
     */
    private static final class TrafficFromSeries implements RouteListener {
        static final String GATEWAY = "simulation";
        private final Zeroscale zeroscale;
        private final TargetRef ref;
        private final VirtualScheduler time;
        private final SimulatedWorkload workload;
        private final Meter meter;
        private final Duration service;
        private final boolean requestModel;
        private final java.util.ArrayDeque<Instant> heldSince = new java.util.ArrayDeque<>();
        private RequestStats stats = RequestStats.IDLE;
        private Route route = Route.hold();
        long requests;
        long coldStarts;
        long failed;
        Duration addedWait = Duration.ZERO;
        Duration maxWait = Duration.ZERO;

        TrafficFromSeries(Zeroscale zeroscale, TargetRef ref, VirtualScheduler time, SimulatedWorkload workload, Meter meter,
                Duration service, boolean requestModel) {
            this.zeroscale = zeroscale;
            this.ref = ref;
            this.time = time;
            this.workload = workload;
            this.meter = meter;
            this.service = service;
            this.requestModel = requestModel;
        }

        void apply(Row row) {
            if (requestModel) {
                Double count = row.values().get(REQUESTS);
                for (long i = 0; count != null && i < count.longValue(); i++) {
                    arrive();
                }
                return;
            }
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

        private boolean forwarding() {
            return route.routing() == Routing.FORWARD && !route.endpoints().isEmpty();
        }

        private void arrive() {
            requests++;
            if (forwarding()) {
                stats = new RequestStats(stats.held(), stats.inFlight() + 1, stats.arrivals() + 1, stats.completed(), 0);
                startService(1);
            } else {
                if (workload.ready == 0) {
                    coldStarts++;
                }
                heldSince.add(time.now());
                stats = new RequestStats(stats.held() + 1, stats.inFlight(), stats.arrivals() + 1, stats.completed(), 0);
            }
            zeroscale.trafficHub().report(GATEWAY, ref, stats);
        }

        private void startService(int count) {
            meter.inFlight(time.now(), stats.inFlight());
            time.schedule(service, () -> {
                stats = new RequestStats(stats.held(), stats.inFlight() - count, stats.arrivals(), stats.completed() + count, 0);
                meter.inFlight(time.now(), stats.inFlight());
                zeroscale.trafficHub().report(GATEWAY, ref, stats);
                if (route.routing() == Routing.DRAIN && stats.inFlight() == 0) {
                    zeroscale.trafficHub().drained(GATEWAY, ref, route.draining());
                }
            });
        }

        private void waited(Instant since) {
            Duration wait = Duration.between(since, time.now());
            addedWait = addedWait.plus(wait);
            if (wait.compareTo(maxWait) > 0) {
                maxWait = wait;
            }
        }

        @Override
        public void onRoute(TargetRef target, Route route) {
            this.route = route;
            if (requestModel && forwarding() && !heldSince.isEmpty()) {
                int released = heldSince.size();
                heldSince.forEach(this::waited);
                heldSince.clear();
                stats = new RequestStats(0, stats.inFlight() + released, stats.arrivals(), stats.completed(), 0);
                startService(released);
                zeroscale.trafficHub().report(GATEWAY, ref, stats);
            }
            if (route.routing() == Routing.DRAIN && stats.inFlight() == 0) {
                zeroscale.trafficHub().drained(GATEWAY, target, route.draining());
            }
        }

        @Override
        public void onFailHeld(TargetRef target, int status, String reason) {
            failed += heldSince.size();
            heldSince.forEach(this::waited);
            heldSince.clear();
            stats = new RequestStats(0, stats.inFlight(), stats.arrivals(), stats.completed() + stats.held(), 0);
            zeroscale.trafficHub().report(GATEWAY, ref, stats);
        }
    }

    /** A workload whose replicas become ready {@code startup} after each scale-up. */
    private static final class SimulatedWorkload implements Orchestrator, Endpoints {
        private final VirtualScheduler time;
        private final Duration startup;
        private final Meter meter;
        private final List<Consumer<WorkloadEvent>> listeners = new CopyOnWriteArrayList<>();
        private int replicas;
        private int ready;
        private long generation;

        SimulatedWorkload(VirtualScheduler time, Duration startup, Meter meter) {
            this.time = time;
            this.startup = startup;
            this.meter = meter;
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
            meter.replicas(time.now(), replicas);
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
