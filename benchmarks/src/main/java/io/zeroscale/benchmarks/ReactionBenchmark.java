package io.zeroscale.benchmarks;

import io.zeroscale.engine.ActuationSettings;
import io.zeroscale.engine.TargetSpec;
import io.zeroscale.engine.YamlConfig;
import io.zeroscale.engine.Zeroscale;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.metrics.MetricQuery;
import io.zeroscale.spi.metrics.MetricSource;
import io.zeroscale.spi.metrics.PushMetricSource;
import io.zeroscale.spi.metrics.SignalValue;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.Endpoints;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
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
 * The reaction budget: a pushed signal -> the orchestrator call it causes. Targets run
 * target tracking on a pushed signal (no stabilization, no rate policies); each operation pushes a
 * value that needs one more or one fewer replica to one target (round robin) and waits until the
 * orchestrator's {@code scale} is called for it, while all targets tick once a second. The
 * per-orchestrator rate limit is raised so the measurement is the engine's path, not the limit.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
@Fork(value = 1, jvmArgsAppend = {"-Xmx256m", "-XX:ActiveProcessorCount=1"})
public class ReactionBenchmark {
    @Param("1000")
    public int targets;

    private Zeroscale zeroscale;
    private final Map<TargetRef, CompletableFuture<Integer>> pending = new ConcurrentHashMap<>();
    private final Map<TargetRef, Consumer<SignalValue>> pushers = new ConcurrentHashMap<>();
    private final List<TargetRef> refs = new ArrayList<>();
    private int[] replicas;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        replicas = new int[targets];
        Zeroscale.Builder builder = Zeroscale.builder()
                .orchestrator("bench", new RecordingOrchestrator())
                .metricSource("push", new PushSource())
                .actuation(new ActuationSettings(3, Duration.ofMillis(50), Duration.ofSeconds(1), Duration.ofSeconds(30), 100_000));
        for (int i = 0; i < targets; i++) {
            TargetSpec spec = TargetSpec.fromConfig("t" + i, YamlConfig.parse("""
                    orchestrator: bench
                    workload: { kind: Process }
                    policy:
                      automaton: target-tracking
                      replicas: { min: 1, max: 4 }
                      target: { signal: load, per-replica: 10 }
                      behavior:
                        scale-up: { stabilization-window: 0s, policies: [ { type: Pods, value: 100, period: 1s } ] }
                        scale-down: { stabilization-window: 0s, policies: [ { type: Pods, value: 100, period: 1s } ] }
                      signals:
                        load: { source: push, query: 't%d' }
                    """.formatted(i), "benchmark", "targets.t" + i));
            refs.add(spec.ref());
            replicas[i] = 1;
            builder.target(spec);
        }
        zeroscale = builder.build().start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (zeroscale.statuses().stream().anyMatch(status -> !status.started()) || pushers.size() < targets) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("targets did not start within 60 s");
            }
            Thread.onSpinWait();
        }
        for (int i = 0; i < targets; i++) {
            java.util.Objects.requireNonNull(pushers.get(refs.get(i)), "no pusher").accept(SignalValue.known(10, InstantSource.system().instant()));
        }
    }

    @Benchmark
    public int pushedSignalToScaleCall() throws Exception {
        int i = next;
        next = (next + 1) % targets;
        TargetRef ref = refs.get(i);
        replicas[i] = replicas[i] == 1 ? 2 : 1;
        CompletableFuture<Integer> called = new CompletableFuture<>();
        pending.put(ref, called);
        java.util.Objects.requireNonNull(pushers.get(ref), "no pusher").accept(SignalValue.known(replicas[i] * 10, InstantSource.system().instant()));
        return called.get(10, TimeUnit.SECONDS);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        zeroscale.close();
    }

    /** Calls back the benchmark the moment the engine asks for a new scale. */
    private final class RecordingOrchestrator implements Orchestrator, Endpoints {
        private final Map<TargetRef, Integer> scale = new ConcurrentHashMap<>();
        private final Map<TargetRef, Consumer<WorkloadEvent>> watchers = new ConcurrentHashMap<>();

        @Override
        public ObservedState observe(TargetRef target) {
            int count = scale.getOrDefault(target, 1);
            List<Endpoint> endpoints = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                endpoints.add(new Endpoint("127.0.0.1", 9000 + i));
            }
            return ObservedState.ready(count, endpoints, InstantSource.system().instant());
        }

        @Override
        public void scale(TargetRef target, int replicas) {
            CompletableFuture<Integer> waiting = pending.remove(target);
            if (waiting != null) {
                waiting.complete(replicas);
            }
            scale.put(target, replicas);
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

    /** A push source: the benchmark calls the listener the engine subscribed for each target. */
    private final class PushSource implements MetricSource, PushMetricSource {
        @Override
        public Subscription subscribe(MetricQuery query, Consumer<SignalValue> listener) {
            pushers.put(refs.get(Integer.parseInt(query.expression().substring(1))), listener);
            return () -> {};
        }

        @Override
        public SignalValue query(MetricQuery query, Duration window) {
            return SignalValue.unknown("push only", InstantSource.system().instant());
        }

        @Override
        public void close() {}
    }
}
