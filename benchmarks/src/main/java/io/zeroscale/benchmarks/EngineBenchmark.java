package io.zeroscale.benchmarks;

import io.zeroscale.engine.ActuationSettings;
import io.zeroscale.engine.TargetSpec;
import io.zeroscale.engine.YamlConfig;
import io.zeroscale.engine.Zeroscale;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.automaton.Event;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.Endpoints;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import io.zeroscale.spi.traffic.RequestStats;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The engine budget: {@code targets} targets, each ticking once a second (the product default)
 * with the zero-to-n policy and target tracking, on one core. Each operation is one gateway report
 * to one target (round robin), timed until that target's automaton has decided: event-to-decision
 * latency under the full tick load. Run in SampleTime mode, so JMH reports p50/p99/p99.9.
 *
 * <p>With {@code actuating=false} the reported in-flight count stays within one replica's share,
 * so every decision keeps the replica count (the decision path alone). With {@code
 * actuating=true} the reports alternate between one and two replicas' worth, so every decision
 * changes the desired replicas and the engine calls the orchestrator (an in-memory one that is
 * ready at once); the per-orchestrator rate limit is raised so the engine's path is measured, not
 * the limit.
 *
 * <p>Under load (a shared machine) a decision can take longer than any fixed bound. The wait is
 * bounded by 10 s times the 1-minute load average (at least 10 s, at most 120 s), recomputed every
 * iteration; a decision not seen within it is counted as missed, its wait (the bound) stays in the
 * samples as a lower bound, and the run goes on, with a 10 s bound from then on (the engine is
 * behind; the fork must still end within the entry's time bound). The counts, the heap after a full GC and the
 * bound are printed at the end of the fork as one line {@code engine facts: {...}} that
 * {@code benchmarks/report.py} keeps in the results' stamp.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
@Fork(value = 1, jvmArgsAppend = {"-Xmx256m", "-XX:ActiveProcessorCount=1"})
public class EngineBenchmark {
    private static final Duration MIN_BOUND = Duration.ofSeconds(10);
    private static final Duration MAX_BOUND = Duration.ofMinutes(2);

    @Param("10000")
    public int targets;

    @Param("false")
    public boolean actuating;

    private Zeroscale zeroscale;
    private TargetRef[] refs;
    private AtomicReferenceArray<CompletableFuture<Decision>> pending;
    private long[] arrivals;
    private Subscription subscription;
    private CountingOrchestrator orchestrator;
    private Path dataDirectory;
    private int next;
    private long boundNanos = MIN_BOUND.toNanos();
    private long operations;
    private long missed;
    private long replicaChanges;
    private long setupMillis;
    private final List<String> missedTargets = new ArrayList<>();
    private String threadDump = "";

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        long began = System.nanoTime();
        refs = new TargetRef[targets];
        pending = new AtomicReferenceArray<>(targets);
        arrivals = new long[targets];
        orchestrator = new CountingOrchestrator();
        dataDirectory = Files.createTempDirectory("engine-bench");
        ActuationSettings actuation = actuating
                ? new ActuationSettings(3, Duration.ofMillis(50), Duration.ofSeconds(1), Duration.ofSeconds(30), 1_000_000)
                : ActuationSettings.DEFAULT;
        Zeroscale.Builder builder = Zeroscale.builder()
                .orchestrator("bench", orchestrator)
                .actuation(actuation)
                .dataDirectory(dataDirectory)
                .journalCapacity(10_000);
        // Scale-down without the 5 min stabilization window, so a report of one replica's worth
        // after one of two replicas' worth scales down at once (as a scale-up does by default).
        // Two spaces deep in the YAML: the closing delimiter sets the indentation that is stripped.
        String behavior = actuating ? """
                  behavior:
                    scale-up: { stabilization-window: 0s, policies: [ { type: Pods, value: 100, period: 1s } ] }
                    scale-down: { stabilization-window: 0s, policies: [ { type: Pods, value: 100, period: 1s } ] }
                """ : "";
        for (int i = 0; i < targets; i++) {
            TargetSpec spec = TargetSpec.fromConfig("t" + i, YamlConfig.parse("""
                    orchestrator: bench
                    workload: { kind: Process }
                    policy:
                      tick: 1s
                      idle: 1h
                      replicas: { min: 0, max: 8 }
                      target: { signal: inflight, per-replica: 4 }
                    """ + behavior, "benchmark", "targets.t" + i));
            refs[i] = spec.ref();
            builder.target(spec);
        }
        zeroscale = builder.build();
        Map<TargetRef, Integer> index = new HashMap<>();
        for (int i = 0; i < targets; i++) {
            index.put(refs[i], i);
        }
        subscription = zeroscale.engine().subscribeDecisions((TargetRef target, Event event, Decision decision) -> {
            if (event instanceof Event.RequestsChanged) {
                CompletableFuture<Decision> waiting = pending.getAndSet(Objects.requireNonNull(index.get(target), "target not benchmarked"), null);
                if (waiting != null) {
                    waiting.complete(decision);
                }
            }
        });
        zeroscale.start();
        // Measure steady state: every target observed and its automaton started. The bound grows
        // with the number of targets and the load (10,000 targets start in a few seconds when quiet).
        long startBound = Math.min(900, Math.max(120, targets / 500) * loadFactor());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(startBound);
        while (zeroscale.statuses().stream().anyMatch(status -> !status.started())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("targets did not start within " + startBound + " s (load average "
                        + loadAverage() + ")");
            }
            sleepToPace();
        }
        setupMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
    }

    @Setup(Level.Iteration)
    public void bound() {
        // Once a decision was missed the engine is behind (its verdict is known: the miss is
        // reported); the shortest bound keeps the rest of the fork within the entry's time bound.
        boundNanos = missed > 0 ? MIN_BOUND.toNanos() : Math.min(MAX_BOUND.toNanos(), MIN_BOUND.toNanos() * loadFactor());
    }

    @Benchmark
    public void eventToDecision() throws Exception {
        int i = next;
        next = (next + 1) % targets;
        CompletableFuture<Decision> decided = new CompletableFuture<>();
        pending.set(i, decided);
        long n = ++arrivals[i];
        // Not actuating: 0..3 in flight, always one replica's share. Actuating: 8 and 4 in turn,
        // two replicas' share and then one, so each report changes the desired replicas.
        int inflight = actuating ? (n % 2 == 1 ? 8 : 4) : (int) (n % 4);
        zeroscale.trafficHub().report("benchmark", refs[i], new RequestStats(0, inflight, n, n, 0));
        operations++;
        try {
            Decision decision = decided.get(boundNanos, TimeUnit.NANOSECONDS);
            if (actuating && decision.replicas() == (inflight == 8 ? 2 : 1)) {
                replicaChanges++;
            }
        } catch (TimeoutException e) {
            // Counted and reported, never dropped: the wait stays in the samples as a lower bound.
            pending.compareAndSet(i, decided, null);
            missed++;
            boundNanos = MIN_BOUND.toNanos();
            if (missedTargets.size() < 10) {
                missedTargets.add("t" + i + ": " + zeroscale.engine().status("t" + i).map(Object::toString).orElse("?"));
            }
            if (threadDump.isEmpty()) {
                threadDump = Path.of(System.getProperty("java.io.tmpdir"), "engine-bench-threads-" + System.nanoTime() + ".json").toString();
                ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
                        .dumpThreads(threadDump, com.sun.management.HotSpotDiagnosticMXBean.ThreadDumpFormat.JSON);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        // Heap after a full GC, with every target still live (before the engine is closed).
        System.gc();
        System.gc();
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        double usedMb = heap.getUsed() / 1048576.0;
        double maxMb = heap.getMax() / 1048576.0;
        System.out.printf(Locale.ROOT, "%nheap after GC with %d targets: %.1f MB used, %.1f MB max%n", targets, usedMb, maxMb);
        StringBuilder facts = new StringBuilder()
                .append("{\"targets\": ").append(targets)
                .append(", \"actuating\": ").append(actuating)
                .append(", \"heapAfterGcMb\": ").append(String.format(Locale.ROOT, "%.1f", usedMb))
                .append(", \"heapMaxMb\": ").append(String.format(Locale.ROOT, "%.1f", maxMb))
                .append(", \"setupMs\": ").append(setupMillis)
                .append(", \"operations\": ").append(operations)
                .append(", \"missed\": ").append(missed)
                .append(", \"replicaChanges\": ").append(replicaChanges)
                .append(", \"scaleCalls\": ").append(orchestrator.scaleCalls.get())
                .append(", \"lastBoundMs\": ").append(TimeUnit.NANOSECONDS.toMillis(boundNanos))
                .append(", \"loadAverageEnd\": ").append(String.format(Locale.ROOT, "%.2f", loadAverage()))
                .append(", \"threadDump\": \"").append(threadDump).append("\"")
                .append(", \"missedTargets\": [");
        for (int i = 0; i < missedTargets.size(); i++) {
            facts.append(i == 0 ? "" : ", ").append('"').append(missedTargets.get(i).replace("\\", "\\\\").replace("\"", "'")).append('"');
        }
        System.out.println("engine facts: " + facts.append("]}"));
        subscription.close();
        zeroscale.close();
        try (var files = Files.walk(dataDirectory)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.delete(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    /** The system's 1-minute load average (not this JVM's processor count, which is pinned to 1). */
    private static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        }
    }

    /** How much longer than on a quiet machine to wait: the 1-minute load average, at least 1. */
    private static long loadFactor() {
        return Math.max(1, (long) Math.ceil(loadAverage()));
    }

    /**
     * Paces the poll of every target's status while they start: a snapshot of 100,000 statuses is
     * not free, and a spinning poll would take the one pinned core from the engine it waits for.
     */
    private static void sleepToPace() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the targets to start", e);
        }
    }

    /** Workloads start with one ready replica and are ready at once after a scale; counts the scale calls. */
    private static final class CountingOrchestrator implements Orchestrator, Endpoints {
        private final Map<TargetRef, Integer> replicas = new ConcurrentHashMap<>();
        private final Map<TargetRef, Consumer<WorkloadEvent>> watchers = new ConcurrentHashMap<>();
        private final AtomicLong scaleCalls = new AtomicLong();

        @Override
        public ObservedState observe(TargetRef target) {
            int count = replicas.getOrDefault(target, 1);
            List<Endpoint> endpoints = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                endpoints.add(new Endpoint("127.0.0.1", 8080 + i));
            }
            return ObservedState.ready(count, endpoints, InstantSource.system().instant());
        }

        @Override
        public void scale(TargetRef target, int count) {
            scaleCalls.incrementAndGet();
            replicas.put(target, count);
            Consumer<WorkloadEvent> watcher = watchers.get(target);
            if (watcher != null) {
                watcher.accept(new WorkloadEvent.Changed(observe(target)));
            }
        }

        @Override
        public Subscription watch(TargetRef target, Consumer<WorkloadEvent> listener) {
            watchers.put(target, listener);
            listener.accept(new WorkloadEvent.Changed(observe(target)));
            return () -> watchers.remove(target);
        }

        @Override
        public void close() {}
    }

    public static void main(String[] args) throws Exception {
        org.openjdk.jmh.Main.main(args.length > 0 ? args : new String[] {EngineBenchmark.class.getSimpleName()});
    }
}
