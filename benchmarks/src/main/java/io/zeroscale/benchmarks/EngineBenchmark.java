package io.zeroscale.benchmarks;

import io.zeroscale.engine.ActuationSettings;
import io.zeroscale.engine.TargetSpec;
import io.zeroscale.engine.YamlConfig;
import io.zeroscale.engine.Zeroscale;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.Endpoints;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import io.zeroscale.spi.traffic.RequestStats;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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
 * The engine budget: 10,000 targets, each ticking once a second with the zero-to-n policy and
 * target tracking, on one core and a 256 MB heap. Each operation is one gateway report to one
 * target (round robin), timed until that target's automaton has decided: event-to-decision
 * latency under the full tick load. The reported in-flight count stays within one replica's
 * share, so the measurement is the decision path, not orchestrator calls (those are rate limited
 * per orchestrator by design). Run in SampleTime mode, so JMH reports p50/p99/p99.9.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
@Fork(value = 1, jvmArgsAppend = {"-Xmx256m", "-XX:ActiveProcessorCount=1"})
public class EngineBenchmark {
    @Param("10000")
    public int targets;

    private Zeroscale zeroscale;
    private TargetRef[] refs;
    private AtomicReferenceArray<CompletableFuture<Void>> pending;
    private long[] arrivals;
    private Subscription subscription;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        refs = new TargetRef[targets];
        pending = new AtomicReferenceArray<>(targets);
        arrivals = new long[targets];
        Zeroscale.Builder builder = Zeroscale.builder()
                .orchestrator("bench", new ReadyOrchestrator())
                .actuation(ActuationSettings.DEFAULT)
                .journalCapacity(10_000);
        for (int i = 0; i < targets; i++) {
            TargetSpec spec = TargetSpec.fromConfig("t" + i, YamlConfig.parse("""
                    orchestrator: bench
                    workload: { kind: Process }
                    policy:
                      tick: 1s
                      idle: 1h
                      replicas: { min: 0, max: 8 }
                      target: { signal: inflight, per-replica: 4 }
                    """, "benchmark", "targets.t" + i));
            refs[i] = spec.ref();
            builder.target(spec);
        }
        zeroscale = builder.build();
        java.util.Map<TargetRef, Integer> index = new java.util.HashMap<>();
        for (int i = 0; i < targets; i++) {
            index.put(refs[i], i);
        }
        subscription = zeroscale.engine().subscribeDecisions((target, event, decision) -> {
            if (event instanceof io.zeroscale.spi.automaton.Event.RequestsChanged) {
                CompletableFuture<Void> waiting = pending.getAndSet(java.util.Objects.requireNonNull(index.get(target), "target not benchmarked"), null);
                if (waiting != null) {
                    waiting.complete(null);
                }
            }
        });
        zeroscale.start();
        // Measure steady state: every target observed and its automaton started.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (zeroscale.statuses().stream().anyMatch(status -> !status.started())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("targets did not start within 120 s");
            }
            Thread.onSpinWait();
        }
    }

    @Benchmark
    public void eventToDecision() throws Exception {
        int i = next;
        next = (next + 1) % targets;
        CompletableFuture<Void> decided = new CompletableFuture<>();
        pending.set(i, decided);
        arrivals[i]++;
        zeroscale.trafficHub().report("benchmark", refs[i], new RequestStats(0, (int) (arrivals[i] % 4), arrivals[i], arrivals[i], 0));
        try {
            decided.get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            String dump = "/tmp/engine-bench-threads-" + System.nanoTime() + ".json";
            ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
                    .dumpThreads(dump, com.sun.management.HotSpotDiagnosticMXBean.ThreadDumpFormat.JSON);
            throw new IllegalStateException("no decision within 10 s for target t" + i + " (threads: " + dump + "): "
                    + zeroscale.engine().status("t" + i).orElseThrow(), e);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        System.gc();
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        System.out.printf("%nheap after GC with %d targets: %.1f MB used, %.1f MB max%n", targets,
                heap.getUsed() / 1048576.0, heap.getMax() / 1048576.0);
        subscription.close();
        zeroscale.close();
    }

    /** Workloads start with one ready replica and are ready at once after a scale. */
    private static final class ReadyOrchestrator implements Orchestrator, Endpoints {
        private final java.util.Map<TargetRef, Integer> replicas = new java.util.concurrent.ConcurrentHashMap<>();
        private final java.util.Map<TargetRef, Consumer<WorkloadEvent>> watchers = new java.util.concurrent.ConcurrentHashMap<>();

        @Override
        public ObservedState observe(TargetRef target) {
            int count = replicas.getOrDefault(target, 1);
            List<Endpoint> endpoints = new java.util.ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                endpoints.add(new Endpoint("127.0.0.1", 8080 + i));
            }
            return ObservedState.ready(count, endpoints, InstantSource.system().instant());
        }

        @Override
        public void scale(TargetRef target, int count) {
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
