package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.zeroscale.engine.time.SystemScheduler;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.orchestrator.Endpoints;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.Pausable;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import io.zeroscale.testkit.FakeOrchestrator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The Orchestrator SPI's promise, on real threads: one call at a time per target, in decision
 * order. ACTIVE -> PAUSED -> ZERO decides pause, then scale to 0 (with no resume: the scale to 0
 * releases the paused replicas, so resuming them first would only start them to stop them again);
 * every call is slow, so calls started as separate tasks would overlap or reorder.
 */
class CallOrderTest {
    private static final String TARGET = """
            orchestrator: slow
            workload: { kind: Process }
            policy: { idle: 1s, pause-after: 300ms, drain-timeout: 1s, tick: 50ms }
            """;

    @Test
    void pausedToZeroScalesToZeroWithoutResumingOneCallAtATime() {
        try (SystemScheduler clock = new SystemScheduler()) {
            FakeOrchestrator fake = new FakeOrchestrator(clock, Duration.ofMillis(10));
            OverlapRecorder slow = new OverlapRecorder(fake);
            TargetSpec spec = TargetSpec.fromConfig("app", YamlConfig.parse(TARGET, "test", "targets.app"));
            fake.preset(spec.ref(), 1);
            try (Zeroscale zeroscale = Zeroscale.builder().scheduler(clock).orchestrator("slow", slow).target(spec).build()) {
                zeroscale.start();
                await("paused, then at zero").atMost(Duration.ofSeconds(30))
                        .until(() -> slow.calls().contains("scale 0"));
                assertThat(slow.overlaps.get()).as("calls for one target that overlapped another").isZero();
                List<String> writes = slow.calls().stream().filter(call -> !call.equals("observe")).toList();
                assertThat(writes).as("decision order; no resume of replicas the same decision scales to 0")
                        .containsExactly("pause", "scale 0");
            }
        }
    }

    /** Makes every call take 40 ms and counts calls that start while another one runs. */
    static final class OverlapRecorder implements Orchestrator, Endpoints, Pausable {
        private final FakeOrchestrator delegate;
        private final AtomicInteger running = new AtomicInteger();
        final AtomicInteger overlaps = new AtomicInteger();
        private final List<String> calls = Collections.synchronizedList(new ArrayList<>());

        OverlapRecorder(FakeOrchestrator delegate) {
            this.delegate = delegate;
        }

        List<String> calls() {
            synchronized (calls) {
                return List.copyOf(calls);
            }
        }

        private <T> T slowly(String call, java.util.function.Supplier<T> body) {
            if (running.incrementAndGet() > 1) {
                overlaps.incrementAndGet();
            }
            try {
                calls.add(call);
                LockSupport.parkNanos(Duration.ofMillis(40).toNanos());
                return body.get();
            } finally {
                running.decrementAndGet();
            }
        }

        @Override
        public ObservedState observe(TargetRef target) {
            return slowly("observe", () -> delegate.observe(target));
        }

        @Override
        public void scale(TargetRef target, int replicas) {
            slowly("scale " + replicas, () -> {
                delegate.scale(target, replicas);
                return replicas;
            });
        }

        @Override
        public void pause(TargetRef target) {
            slowly("pause", () -> {
                delegate.pause(target);
                return true;
            });
        }

        @Override
        public void resume(TargetRef target) {
            slowly("resume", () -> {
                delegate.resume(target);
                return true;
            });
        }

        @Override
        public Subscription watch(TargetRef target, Consumer<WorkloadEvent> listener) {
            return delegate.watch(target, listener);
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
