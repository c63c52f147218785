package io.zeroscale.benchmarks;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.zeroscale.engine.JournalEntry;
import io.zeroscale.engine.TargetSpec;
import io.zeroscale.engine.TargetStatus;
import io.zeroscale.engine.YamlConfig;
import io.zeroscale.engine.Zeroscale;
import io.zeroscale.gateway.Gateway;
import io.zeroscale.gateway.GatewayConfig;
import io.zeroscale.gateway.GatewayRoute;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.Durations;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The wake-path budget: first response through the gateway - the backend's own start-to-ready.
 *
 * <p>Runs the real engine ({@code zero-to-n} over the {@code process} orchestrator) and a real
 * {@link Gateway} connected to its traffic hub, with a Python backend ({@code wake-backend.py})
 * that sleeps a configurable delay before listening and reports, in response headers, how long it
 * took from its own process start to listening. Each wake waits until the engine reports the
 * target at {@code ZERO} with no replica, sends one request through the gateway and takes
 * the difference; then the target goes idle and back to zero by itself. Prints p50/p99/max and
 * writes every sample to a JSON file.
 *
 * <p>The backend's process start is the kernel's start time of the process, in 10 ms clock ticks
 * rounded down: the budgeted overhead can be understated by up to 10 ms. The overhead counted from
 * the first line of the backend's script instead (interpreter start counted as overhead) is the
 * upper bound, reported next to it.
 *
 * <p>Wall-clock instants (the backend's, this process's and the engine journal's, same machine)
 * only split the overhead into its parts (request to WAKING decision, to the backend's first line;
 * listening to ACTIVE decision, to the response); the headline numbers come from
 * {@link System#nanoTime()} and the backend's own boot-time clock.
 */
@Command(name = "WakePathBenchmark", mixinStandardHelpOptions = true,
        description = "Measures the gateway's wake path: first response - backend's own start-to-ready.")
public final class WakePathBenchmark implements Callable<Integer> {
    private static final String TARGET = "wake-backend";
    private static final Duration STATE_TIMEOUT = Duration.ofSeconds(60);

    @Option(names = "--wakes", defaultValue = "30", description = "measured wakes (default ${DEFAULT-VALUE})")
    int wakes;

    @Option(names = "--warmup", defaultValue = "2", description = "wakes before measuring, reported apart (default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--start-delay", defaultValue = "1s", converter = DurationConverter.class,
            description = "how long the backend sleeps before listening (default ${DEFAULT-VALUE})")
    Duration startDelay;

    @Option(names = "--probe-interval", defaultValue = "10ms", converter = DurationConverter.class,
            description = "the process orchestrator's readiness.interval (product default 100ms; default here ${DEFAULT-VALUE})")
    Duration probeInterval;

    @Option(names = "--probe", defaultValue = "tcp", description = "readiness probe: tcp or http (default ${DEFAULT-VALUE})")
    Probe probe;

    @Option(names = "--idle", defaultValue = "1s", converter = DurationConverter.class,
            description = "zero-to-n idle before scaling back to zero (default ${DEFAULT-VALUE})")
    Duration idle;

    @Option(names = "--python", description = "the Python 3 interpreter (default /usr/bin/python3 if present, else python3 on PATH)")
    String python;

    @Option(names = "--out", defaultValue = "benchmarks/results/wake.json", description = "JSON results (default ${DEFAULT-VALUE})")
    Path out;

    public static void main(String[] args) {
        int code = new CommandLine(new WakePathBenchmark()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
        System.exit(code);
    }

    @Override
    public Integer call() throws Exception {
        Path work = Files.createTempDirectory("zeroscale-wake-");
        Path script = work.resolve("wake-backend.py");
        try (InputStream in = WakePathBenchmark.class.getResourceAsStream("/wake-backend.py")) {
            if (in == null) {
                throw new IllegalStateException("wake-backend.py is not on the classpath; rebuild the benchmarks module");
            }
            Files.copy(in, script);
        }
        String interpreter = python != null ? python : Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
        TargetSpec spec = TargetSpec.fromConfig(TARGET, YamlConfig.parse(targetYaml(interpreter, script), "WakePathBenchmark", "targets." + TARGET));

        List<Sample> warm = new ArrayList<>();
        List<Sample> samples = new ArrayList<>();
        try (Zeroscale zeroscale = Zeroscale.builder()
                .dataDirectory(work.resolve("data"))
                .orchestrator("local", Config.of("orchestrators.local", Map.of("type", "process")))
                .target(spec)
                .build()) {
            zeroscale.start();
            try (Gateway gateway = Gateway.builder(zeroscale.trafficHub())
                    .config(GatewayConfig.builder().listen("127.0.0.1", 0).drainTimeout(Duration.ofSeconds(1)).build())
                    .route(GatewayRoute.path(spec.ref(), "/wake"))
                    .start()) {
                URI uri = URI.create("http://127.0.0.1:" + gateway.port() + "/wake");
                warmClientAndGateway(URI.create("http://127.0.0.1:" + gateway.port() + "/not-routed"));
                System.out.printf("engine + gateway on %s; backend %s %s, start delay %s, %s probe every %s, idle %s%n",
                        uri, interpreter, script, Durations.format(startDelay), probe.name().toLowerCase(java.util.Locale.ROOT),
                        Durations.format(probeInterval),
                        Durations.format(idle));
                Queue<JournalEntry> decisions = new ConcurrentLinkedQueue<>();
                zeroscale.journal().subscribe(entry -> {
                    if (entry.kind() == JournalEntry.Kind.DECISION) {
                        decisions.add(entry);
                    }
                });
                for (int i = 1; i <= warmup + wakes; i++) {
                    awaitZero(zeroscale);
                    decisions.clear();
                    Sample sample = wakeOnce(uri, decisions);
                    boolean measured = i > warmup;
                    (measured ? samples : warm).add(sample);
                    System.out.printf("%s %2d: first response %8.2f ms, backend start-to-ready %8.2f ms (from main %8.2f ms)"
                                    + " -> overhead %6.2f ms [request->WAKING %5.2f, ->main %5.2f | ready->ACTIVE %5.2f, ->handler %5.2f, ->response %5.2f]%n",
                            measured ? "wake  " : "warmup", measured ? i - warmup : i, sample.firstResponseMs(),
                            sample.startToReadyMs(), sample.mainToReadyMs(), sample.overheadMs(), sample.requestToWakeDecisionMs(),
                            sample.wakeDecisionToMainMs(), sample.readyToActiveDecisionMs(), sample.activeDecisionToHandlerMs(),
                            sample.handlerToResponseMs());
                }
                // Leave no backend running: close() never stops a workload.
                awaitZero(zeroscale);
            }
        } finally {
            ProcessHandle.current().descendants().forEach(ProcessHandle::destroy);
        }
        Map<String, Object> result = result(warm, samples, interpreter);
        Files.createDirectories(out.toAbsolutePath().getParent());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), result);
        printSummary(samples);
        System.out.println("results: " + out);
        deleteTree(work);
        return 0;
    }

    private String targetYaml(String interpreter, Path script) {
        String readiness = switch (probe) {
            case TCP -> "tcp: true";
            case HTTP -> "http: /";
        };
        return """
                orchestrator: local
                workload:
                  kind: Process
                  command: ["%s", "%s"]
                  env: { START_DELAY_MS: "%d" }
                  readiness: { %s, interval: %s, timeout: 1s }
                  stop-grace: 2s
                policy:
                  automaton: zero-to-n
                  replicas: { min: 0, max: 1 }
                  idle: %s
                  drain-timeout: 1s
                  wake-timeout: 1m
                """.formatted(interpreter, script, startDelay.toMillis(), readiness, Durations.format(probeInterval),
                Durations.format(idle));
    }

    /** Waits until the engine has the target at ZERO with no replica left, so the next request wakes it. */
    private static void awaitZero(Zeroscale zeroscale) throws InterruptedException {
        long deadline = System.nanoTime() + STATE_TIMEOUT.toNanos();
        while (true) {
            TargetStatus status = zeroscale.statuses().stream().filter(s -> s.name().equals(TARGET)).findFirst().orElseThrow();
            if (status.started() && status.state().equals("ZERO") && status.observedReplicas() == 0 && status.desiredReplicas() == 0) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("target did not go back to ZERO within " + STATE_TIMEOUT + "; last status: " + status);
            }
            Thread.sleep(10);
        }
    }

    /**
     * Loads the HTTP client's and the gateway's request path (a 404: no route, nothing wakes), so
     * the first warm-up wake shows what the engine and the orchestrator pay on their first wake.
     */
    private static void warmClientAndGateway(URI notRouted) throws IOException, InterruptedException {
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            int status = client.send(HttpRequest.newBuilder(notRouted).GET().build(), HttpResponse.BodyHandlers.discarding()).statusCode();
            if (status != 404) {
                throw new IllegalStateException("expected 404 from the gateway for " + notRouted + ", got " + status);
            }
        }
    }

    /** One request through the gateway to a target at zero: the time to its first response, and the backend's own view. */
    private static Sample wakeOnce(URI uri, Queue<JournalEntry> decisions) throws IOException, InterruptedException {
        // A new client per wake: a fresh connection, like a client arriving after the idle period.
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(1)).GET().build();
            Instant sentAt = Clock.systemUTC().instant();
            long sent = System.nanoTime();
            HttpResponse<byte[]> response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
            long received = System.nanoTime();
            Instant receivedAt = Clock.systemUTC().instant();
            if (response.statusCode() != 200) {
                throw new IllegalStateException("wake request answered " + response.statusCode() + ": " + new String(response.body(), java.nio.charset.StandardCharsets.UTF_8));
            }
            double startToReadyMs = micros(response, "X-Start-To-Ready-Us") / 1000.0;
            double mainToReadyMs = micros(response, "X-Main-To-Ready-Us") / 1000.0;
            long readyWallUs = micros(response, "X-Ready-Wall-Us");
            long sentWallUs = ChronoUnit.MICROS.between(Instant.EPOCH, sentAt);
            long receivedWallUs = ChronoUnit.MICROS.between(Instant.EPOCH, receivedAt);
            double firstResponseMs = (received - sent) / 1e6;
            long mainWallUs = micros(response, "X-Main-Wall-Us");
            long handledWallUs = micros(response, "X-Handled-Wall-Us");
            long wakingUs = decisionMicros(decisions, "WAKING", sentAt);
            long activeUs = decisionMicros(decisions, "ACTIVE", sentAt);
            return new Sample(round(firstResponseMs), startToReadyMs, mainToReadyMs,
                    round((wakingUs - sentWallUs) / 1000.0),
                    round((mainWallUs - wakingUs) / 1000.0),
                    round((activeUs - readyWallUs) / 1000.0),
                    round((handledWallUs - activeUs) / 1000.0),
                    round((receivedWallUs - handledWallUs) / 1000.0),
                    Long.parseLong(response.headers().firstValue("X-Pid").orElse("-1")));
        }
    }

    /** When the engine journaled the first decision into {@code state} after {@code since}, in epoch microseconds. */
    private static long decisionMicros(Queue<JournalEntry> decisions, String state, Instant since) {
        return decisions.stream()
                .filter(entry -> entry.state().equals(state) && !entry.at().isBefore(since))
                .map(entry -> ChronoUnit.MICROS.between(Instant.EPOCH, entry.at()))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("the journal has no " + state + " decision for this wake; decisions: " + decisions));
    }

    private static long micros(HttpResponse<?> response, String header) {
        return Long.parseLong(response.headers().firstValue(header).orElseThrow(
                () -> new IllegalStateException("the response has no " + header + " header: it did not come from wake-backend.py")));
    }

    private Map<String, Object> result(List<Sample> warm, List<Sample> samples, String interpreter) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("date", LocalDate.now(Clock.systemUTC()).toString());
        Map<String, Object> setup = new LinkedHashMap<>();
        setup.put("wakes", wakes);
        setup.put("warmupWakes", warmup);
        setup.put("backend", interpreter + " wake-backend.py");
        setup.put("startDelayMs", startDelay.toMillis());
        setup.put("readinessProbe", probe.name().toLowerCase(java.util.Locale.ROOT));
        setup.put("readinessIntervalMs", probeInterval.toMillis());
        setup.put("idleMs", idle.toMillis());
        setup.put("availableProcessors", Runtime.getRuntime().availableProcessors());
        setup.put("java", Runtime.version().toString());
        result.put("setup", setup);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("overheadMs", stats(samples, Sample::overheadMs));
        summary.put("overheadFromMainMs", stats(samples, Sample::overheadFromMainMs));
        summary.put("firstResponseMs", stats(samples, Sample::firstResponseMs));
        summary.put("startToReadyMs", stats(samples, Sample::startToReadyMs));
        summary.put("interpreterStartMs", stats(samples, s -> s.startToReadyMs() - s.mainToReadyMs()));
        summary.put("requestToWakeDecisionMs", stats(samples, Sample::requestToWakeDecisionMs));
        summary.put("wakeDecisionToMainMs", stats(samples, Sample::wakeDecisionToMainMs));
        summary.put("readyToActiveDecisionMs", stats(samples, Sample::readyToActiveDecisionMs));
        summary.put("activeDecisionToHandlerMs", stats(samples, Sample::activeDecisionToHandlerMs));
        summary.put("handlerToResponseMs", stats(samples, Sample::handlerToResponseMs));
        summary.put("budget", Map.of("p50Ms", 50, "p99Ms", 100));
        Map<String, Double> overhead = stats(samples, Sample::overheadMs);
        summary.put("pass", java.util.Objects.requireNonNull(overhead.get("p50"), "p50") <= 50 && java.util.Objects.requireNonNull(overhead.get("p99"), "p99") <= 100);
        result.put("summary", summary);
        result.put("samples", samples);
        result.put("warmup", warm);
        return result;
    }

    private static void printSummary(List<Sample> samples) {
        Map<String, Double> overhead = stats(samples, Sample::overheadMs);
        System.out.printf("%n%d wakes (ms)            %8s %8s %8s %8s%n", samples.size(), "p50", "p99", "max", "min");
        row("overhead", stats(samples, Sample::overheadMs));
        row("overhead from main", stats(samples, Sample::overheadFromMainMs));
        row("first response", stats(samples, Sample::firstResponseMs));
        row("start-to-ready", stats(samples, Sample::startToReadyMs));
        row("  interpreter start", stats(samples, s -> s.startToReadyMs() - s.mainToReadyMs()));
        row("request -> WAKING", stats(samples, Sample::requestToWakeDecisionMs));
        row("WAKING -> backend main", stats(samples, Sample::wakeDecisionToMainMs));
        row("ready -> ACTIVE", stats(samples, Sample::readyToActiveDecisionMs));
        row("ACTIVE -> backend handler", stats(samples, Sample::activeDecisionToHandlerMs));
        row("handler -> response", stats(samples, Sample::handlerToResponseMs));
        boolean pass = java.util.Objects.requireNonNull(overhead.get("p50"), "p50") <= 50 && java.util.Objects.requireNonNull(overhead.get("p99"), "p99") <= 100;
        System.out.printf("budget: overhead p50 <= 50 ms, p99 <= 100 ms -> %s%n", pass ? "PASS" : "FAIL");
    }

    private static void row(String name, Map<String, Double> s) {
        System.out.printf("%-24s %8.2f %8.2f %8.2f %8.2f%n", name, s.get("p50"), s.get("p99"), s.get("max"), s.get("min"));
    }

    /** Nearest-rank percentiles: with 30 samples, p99 is the largest one. */
    private static Map<String, Double> stats(List<Sample> samples, ToDoubleFunction<Sample> value) {
        double[] sorted = samples.stream().mapToDouble(value).sorted().toArray();
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("p50", round(rank(sorted, 0.50)));
        out.put("p99", round(rank(sorted, 0.99)));
        out.put("max", round(sorted[sorted.length - 1]));
        out.put("min", round(sorted[0]));
        out.put("mean", round(Arrays.stream(sorted).average().orElseThrow()));
        return out;
    }

    /** To the microsecond: the clocks behind these numbers are no finer. */
    private static double round(double millis) {
        return Math.round(millis * 1000) / 1000.0;
    }

    private static double rank(double[] sorted, double quantile) {
        int rank = (int) Math.ceil(quantile * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.delete(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    /**
     * One wake.
     *
     * @param firstResponseMs request sent -> response received, measured here
     * @param startToReadyMs the backend's process start -> listening, measured by the backend
     * @param mainToReadyMs the backend's first line of its script -> listening
     * @param requestToWakeDecisionMs request sent -> the engine's WAKING decision (gateway hold, report, automaton)
     * @param wakeDecisionToMainMs WAKING decision -> the first line of the backend's script (actuation, process
     *     spawn, interpreter start)
     * @param readyToActiveDecisionMs backend listening -> the engine's ACTIVE decision (readiness probe, event)
     * @param activeDecisionToHandlerMs ACTIVE decision -> the backend's handler begins (route to the gateway, release
     *     of the held request, connect, forward, the backend reading the request)
     * @param handlerToResponseMs the backend's handler begins -> response received here (answer, relay back)
     * @param pid the backend's process id
     */
    public record Sample(double firstResponseMs, double startToReadyMs, double mainToReadyMs, double requestToWakeDecisionMs,
            double wakeDecisionToMainMs, double readyToActiveDecisionMs, double activeDecisionToHandlerMs, double handlerToResponseMs, long pid) {
        /** The budgeted number: first response - the backend's own start-to-ready. */
        @JsonProperty
        public double overheadMs() {
            return round(firstResponseMs - startToReadyMs);
        }

        /** The same, counting the interpreter's start as overhead too (start taken at the script's first line). */
        @JsonProperty
        public double overheadFromMainMs() {
            return round(firstResponseMs - mainToReadyMs);
        }
    }

    /** The process orchestrator's readiness probes. */
    enum Probe {
        TCP,
        HTTP
    }

    /** Reads {@code 250ms}, {@code 1s}, ... with the project's duration syntax. */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return Durations.parse(value);
        }
    }
}
