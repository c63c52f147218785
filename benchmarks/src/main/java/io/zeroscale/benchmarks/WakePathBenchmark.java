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
 * <p>The backend's start is stamped by the command the orchestrator runs: {@code bash -c} takes
 * {@code $EPOCHREALTIME} (microseconds) and execs the interpreter with it in the environment, so
 * the backend's own start-to-ready (exec of the interpreter, its start, the script's sleep, bind
 * and listen) is known to the microsecond, and bash's own start (a few ms) counts as overhead: the
 * budgeted figure never flatters. The kernel's start time of the process (10 ms clock ticks,
 * rounded down: it understates the overhead by up to 10 ms) gives the lower bound next to it.
 *
 * <p>Wall-clock instants (the backend's, this process's, the engine journal's and {@link
 * WakeStamps}' at the gateway's and the engine's seams, same machine) split the overhead into its
 * parts, which add up to it: request → held at the gateway → WAKING decision → the backend's exec
 * (actuation, spawn) | backend listening → the orchestrator observes it ready → route at the
 * gateway (the target's actor decides ACTIVE and publishes it) → held request handed over → the
 * backend's handler → response.
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
            description = "the process orchestrator's readiness.interval for a ready replica (product default 100ms; default here ${DEFAULT-VALUE})")
    Duration probeInterval;

    @Option(names = "--startup-interval", converter = DurationConverter.class,
            description = "readiness.startup-interval, the probe interval while a replica starts (default: the product's)")
    @org.jspecify.annotations.Nullable Duration startupInterval;

    @Option(names = "--bash", defaultValue = "/bin/bash", description = "the bash that stamps the backend's start (default ${DEFAULT-VALUE})")
    String bash;

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
        if (!Files.isExecutable(Path.of(bash))) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--bash: " + bash
                    + " is not an executable; it stamps the backend's start ($EPOCHREALTIME, bash 5+): install bash or name one");
        }
        TargetSpec spec = TargetSpec.fromConfig(TARGET, YamlConfig.parse(targetYaml(interpreter, script), "WakePathBenchmark", "targets." + TARGET));

        List<Sample> warm = new ArrayList<>();
        List<Sample> samples = new ArrayList<>();
        try (Zeroscale zeroscale = Zeroscale.builder()
                .dataDirectory(work.resolve("data"))
                .orchestrator("local", Config.of("orchestrators.local", Map.of("type", "process")))
                .target(spec)
                .build()) {
            zeroscale.start();
            WakeStamps stamps = WakeStamps.on(zeroscale.engine(), zeroscale.trafficHub());
            try (Gateway gateway = Gateway.builder(stamps)
                    .config(GatewayConfig.builder().listen("127.0.0.1", 0).drainTimeout(Duration.ofSeconds(1)).build())
                    .route(GatewayRoute.path(spec.ref(), "/wake"))
                    .start()) {
                URI uri = URI.create("http://127.0.0.1:" + gateway.port() + "/wake");
                warmClientAndGateway(URI.create("http://127.0.0.1:" + gateway.port() + "/not-routed"));
                System.out.printf("engine + gateway on %s; backend %s %s, start delay %s, %s probe every %s while starting"
                                + " (%s once ready), idle %s%n",
                        uri, interpreter, script, Durations.format(startDelay), probe.name().toLowerCase(java.util.Locale.ROOT),
                        startupInterval == null ? "the product's default" : Durations.format(startupInterval),
                        Durations.format(probeInterval), Durations.format(idle));
                Queue<JournalEntry> decisions = new ConcurrentLinkedQueue<>();
                zeroscale.journal().subscribe(entry -> {
                    if (entry.kind() == JournalEntry.Kind.DECISION) {
                        decisions.add(entry);
                    }
                });
                for (int i = 1; i <= warmup + wakes; i++) {
                    awaitZero(zeroscale);
                    decisions.clear();
                    stamps.arm(spec.ref());
                    Sample sample = wakeOnce(uri, decisions, stamps.of(spec.ref()));
                    boolean measured = i > warmup;
                    (measured ? samples : warm).add(sample);
                    System.out.printf("%s %2d: first response %8.2f ms, backend exec-to-ready %8.2f ms -> overhead %6.2f ms"
                                    + " (kernel-tick start: %6.2f) [request->held %5.2f, ->WAKING %5.2f, ->exec %5.2f | ready->observed %5.2f,"
                                    + " ->route %5.2f, ->released %5.2f, ->handler %5.2f, ->response %5.2f]%n",
                            measured ? "wake  " : "warmup", measured ? i - warmup : i, sample.firstResponseMs(),
                            sample.execToReadyMs(), sample.overheadMs(), sample.overheadFromKernelStartMs(),
                            sample.requestToHeldMs(), sample.heldToWakeDecisionMs(), sample.wakeDecisionToExecMs(),
                            sample.readyToObservedMs(), sample.observedToRouteMs(), sample.routeToReleasedMs(), sample.releasedToHandlerMs(), sample.handlerToResponseMs());
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
        String startup = startupInterval == null ? "" : ", startup-interval: " + Durations.format(startupInterval);
        // bash stamps the start ($EPOCHREALTIME, microseconds) and execs the interpreter with it in
        // WAKE_EXEC_WALL; no braces in the line, as {port} would be replaced in it.
        return """
                orchestrator: local
                workload:
                  kind: Process
                  command: ["%s", "-c", 'WAKE_EXEC_WALL=$EPOCHREALTIME exec "$0" "$1"', "%s", "%s"]
                  env: { START_DELAY_MS: "%d" }
                  readiness: { %s, interval: %s%s, timeout: 1s }
                  stop-grace: 2s
                policy:
                  automaton: zero-to-n
                  replicas: { min: 0, max: 1 }
                  idle: %s
                  drain-timeout: 1s
                  wake-timeout: 1m
                """.formatted(bash, interpreter, script, startDelay.toMillis(), readiness, Durations.format(probeInterval), startup,
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

    /** One request through the gateway to a target at zero: the time to its first response, the backend's own view and the parts. */
    private static Sample wakeOnce(URI uri, Queue<JournalEntry> decisions, WakeStamps.Wake stamps) throws IOException, InterruptedException {
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
            double execToReadyMs = micros(response, "X-Exec-To-Ready-Us") / 1000.0;
            double startToReadyMs = micros(response, "X-Start-To-Ready-Us") / 1000.0;
            double mainToReadyMs = micros(response, "X-Main-To-Ready-Us") / 1000.0;
            long execWallUs = micros(response, "X-Exec-Wall-Us");
            long readyWallUs = micros(response, "X-Ready-Wall-Us");
            long handledWallUs = micros(response, "X-Handled-Wall-Us");
            long sentWallUs = ChronoUnit.MICROS.between(Instant.EPOCH, sentAt);
            long receivedWallUs = ChronoUnit.MICROS.between(Instant.EPOCH, receivedAt);
            double firstResponseMs = (received - sent) / 1e6;
            long heldUs = stamp(stamps.held, "the gateway's report of the held request");
            long wakingUs = decisionMicros(decisions, "WAKING", sentAt);
            long observedUs = stamp(stamps.observedReady, "the observation of a ready replica");
            long routedUs = stamp(stamps.routed, "the route with an endpoint at the gateway");
            long releasedUs = stamp(stamps.released, "the release of the held request");
            return new Sample(round(firstResponseMs), execToReadyMs, startToReadyMs, mainToReadyMs,
                    ms(heldUs - sentWallUs), ms(wakingUs - heldUs), ms(execWallUs - wakingUs),
                    ms(observedUs - readyWallUs), ms(routedUs - observedUs), ms(releasedUs - routedUs),
                    ms(handledWallUs - releasedUs), ms(receivedWallUs - handledWallUs),
                    Long.parseLong(response.headers().firstValue("X-Pid").orElse("-1")));
        }
    }

    private static long stamp(@org.jspecify.annotations.Nullable Instant at, String what) {
        if (at == null) {
            throw new IllegalStateException("no stamp of " + what + " for this wake: the engine, the gateway or WakeStamps"
                    + " changed how a wake goes; fix WakeStamps");
        }
        return ChronoUnit.MICROS.between(Instant.EPOCH, at);
    }

    private static double ms(long micros) {
        return round(micros / 1000.0);
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
        setup.put("startupInterval", startupInterval == null ? "product default" : Durations.format(startupInterval));
        setup.put("startStamp", "bash $EPOCHREALTIME before exec of the interpreter (microseconds); bash's own start counts as overhead");
        setup.put("idleMs", idle.toMillis());
        setup.put("availableProcessors", Runtime.getRuntime().availableProcessors());
        setup.put("java", Runtime.version().toString());
        result.put("setup", setup);
        Map<String, Object> summary = new LinkedHashMap<>();
        PARTS.forEach((name, part) -> summary.put(name, stats(samples, part)));
        summary.put("budget", Map.of("p50Ms", BUDGET_P50_MS, "p99Ms", BUDGET_P99_MS));
        summary.put("pass", passes(samples));
        result.put("summary", summary);
        result.put("samples", samples);
        result.put("warmup", warm);
        return result;
    }

    /** Issue 19's budget for the process orchestrator's wake overhead. */
    private static final double BUDGET_P50_MS = 10;
    private static final double BUDGET_P99_MS = 25;

    /** What the summary and the printout show, in order: the overhead, its bounds, then its parts (which add up to it). */
    private static final Map<String, ToDoubleFunction<Sample>> PARTS = parts();

    private static Map<String, ToDoubleFunction<Sample>> parts() {
        Map<String, ToDoubleFunction<Sample>> parts = new LinkedHashMap<>();
        parts.put("overheadMs", Sample::overheadMs);
        parts.put("overheadFromKernelStartMs", Sample::overheadFromKernelStartMs);
        parts.put("overheadFromMainMs", Sample::overheadFromMainMs);
        parts.put("firstResponseMs", Sample::firstResponseMs);
        parts.put("execToReadyMs", Sample::execToReadyMs);
        parts.put("requestToHeldMs", Sample::requestToHeldMs);
        parts.put("heldToWakeDecisionMs", Sample::heldToWakeDecisionMs);
        parts.put("wakeDecisionToExecMs", Sample::wakeDecisionToExecMs);
        parts.put("readyToObservedMs", Sample::readyToObservedMs);
        parts.put("observedToRouteMs", Sample::observedToRouteMs);
        parts.put("routeToReleasedMs", Sample::routeToReleasedMs);
        parts.put("releasedToHandlerMs", Sample::releasedToHandlerMs);
        parts.put("handlerToResponseMs", Sample::handlerToResponseMs);
        return parts;
    }

    private static boolean passes(List<Sample> samples) {
        Map<String, Double> overhead = stats(samples, Sample::overheadMs);
        return java.util.Objects.requireNonNull(overhead.get("p50"), "p50") <= BUDGET_P50_MS
                && java.util.Objects.requireNonNull(overhead.get("p99"), "p99") <= BUDGET_P99_MS;
    }

    private static void printSummary(List<Sample> samples) {
        System.out.printf("%n%d wakes (ms)                   %8s %8s %8s %8s%n", samples.size(), "p50", "p99", "max", "min");
        PARTS.forEach((name, part) -> row(name, stats(samples, part)));
        System.out.printf("budget: overhead p50 <= %.0f ms, p99 <= %.0f ms -> %s%n", BUDGET_P50_MS, BUDGET_P99_MS,
                passes(samples) ? "PASS" : "FAIL");
    }

    private static void row(String name, Map<String, Double> s) {
        System.out.printf("%-31s %8.2f %8.2f %8.2f %8.2f%n", name, s.get("p50"), s.get("p99"), s.get("max"), s.get("min"));
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

    /** Deletes {@code root} and everything below it (also {@link StartupBenchmark}'s). */
    static void deleteTree(Path root) throws IOException {
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
     * One wake. The parts from {@code requestToHeldMs} on add up to {@link #overheadMs()} (up to the
     * difference between the wall clock they are read from and the monotonic clock of the first
     * response).
     *
     * @param firstResponseMs request sent -> response received, measured here
     * @param execToReadyMs the backend's own start-to-ready: bash's stamp before exec of the interpreter -> listening
     * @param startToReadyMs the same from the kernel's start time of the process (10 ms ticks, rounded down)
     * @param mainToReadyMs the backend's first line of its script -> listening
     * @param requestToHeldMs request sent -> the gateway reported it held (connect, parse, route, no endpoint)
     * @param heldToWakeDecisionMs -> the engine's WAKING decision (report to the target's actor, automaton)
     * @param wakeDecisionToExecMs -> bash's stamp (actuation queue, scale call, spawn through setsid, bash's start)
     * @param readyToObservedMs backend listening -> the orchestrator's observation of it ready (the readiness probe)
     * @param observedToRouteMs -> the route with the endpoint at the gateway (the event to the target's actor, its
     *     ACTIVE decision, the route's publication)
     * @param routeToReleasedMs -> the gateway assigned the held request and handed it to its event loop
     * @param releasedToHandlerMs -> the backend's handler begins (connect, forward, the backend reading the request)
     * @param handlerToResponseMs the backend's handler begins -> response received here (answer, relay back)
     * @param pid the backend's process id
     */
    public record Sample(double firstResponseMs, double execToReadyMs, double startToReadyMs, double mainToReadyMs,
            double requestToHeldMs, double heldToWakeDecisionMs, double wakeDecisionToExecMs, double readyToObservedMs,
            double observedToRouteMs, double routeToReleasedMs, double releasedToHandlerMs,
            double handlerToResponseMs, long pid) {
        /** The budgeted number: first response - the backend's own start-to-ready, from bash's stamp. */
        @JsonProperty
        public double overheadMs() {
            return round(firstResponseMs - execToReadyMs);
        }

        /** The lower bound: the backend's start taken as the kernel's (rounded down to its 10 ms tick). */
        @JsonProperty
        public double overheadFromKernelStartMs() {
            return round(firstResponseMs - startToReadyMs);
        }

        /** The same counting the interpreter's start as overhead too (start taken at the script's first line). */
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
