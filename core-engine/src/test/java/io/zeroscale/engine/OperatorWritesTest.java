package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.spi.ZeroscaleException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * An operator's pause or override completes once the target's actor applied it (read-your-writes
 * for the REST API), and fails instead of being lost when the target is replaced first. On virtual
 * time: the actor runs only when the test lets time run.
 */
class OperatorWritesTest {
    private static final String APP = EngineHarness.ZERO_TO_N;

    @Test
    void aWriteCompletesOnlyOnceTheActorAppliedItAndTheStatusShowsIt() {
        try (EngineHarness engine = new EngineHarness(APP, Duration.ofSeconds(5))) {
            engine.time.runDue();
            Engine zeroscale = engine.zeroscale.engine();

            CompletableFuture<TargetStatus> pause = zeroscale.setAutomationPaused("app", true, "ops").toCompletableFuture();
            AtomicReference<Boolean> pausedWhenDone = new AtomicReference<>();
            pause.thenRun(() -> pausedWhenDone.set(engine.status().automationPaused()));
            assertThat(pause).as("not applied before the actor ran").isNotDone();
            engine.time.runDue();
            assertThat(pause).isCompleted();
            assertThat(pause.join().automationPaused()).isTrue();
            assertThat(pausedWhenDone.get()).as("the status read when the write completed").isTrue();

            CompletableFuture<TargetStatus> override = zeroscale.setOverride("app", 2, Duration.ofMinutes(10), "ops").toCompletableFuture();
            AtomicReference<Integer> overrideWhenDone = new AtomicReference<>();
            override.thenRun(() -> overrideWhenDone.set(engine.status().overrideReplicas()));
            assertThat(override).isNotDone();
            engine.time.runDue();
            assertThat(override.join().overrideReplicas()).isEqualTo(2);
            assertThat(overrideWhenDone.get()).isEqualTo(2);

            CompletableFuture<TargetStatus> cleared = zeroscale.setOverride("app", null, null, "ops").toCompletableFuture();
            engine.time.runDue();
            assertThat(cleared.join().overrideReplicas()).isNull();
            assertThat(engine.status().overrideReplicas()).isNull();
        }
    }

    @Test
    void aWriteTheActorAppliesOnlyAfterTheTargetWasReplacedFailsInsteadOfBeingLost() {
        try (EngineHarness engine = new EngineHarness(APP, Duration.ofSeconds(5))) {
            engine.time.runDue();
            Engine zeroscale = engine.zeroscale.engine();

            CompletableFuture<TargetStatus> override = zeroscale.setOverride("app", 2, null, "ops").toCompletableFuture();
            // A config reload changes the policy before the actor ran the override: the successor
            // takes over the operator state the old actor had, without the override.
            zeroscale.change(List.of(), List.of(TargetSpec.fromConfig("app",
                    YamlConfig.parse(APP.replace("idle: 5m", "idle: 1m"), "test", "targets.app"))), List.of(), "config reload");
            engine.time.runDue();

            assertThat(override).isCompletedExceptionally();
            assertThat(override).failsWithin(Duration.ZERO).withThrowableOfType(java.util.concurrent.ExecutionException.class)
                    .havingCause().isInstanceOf(ZeroscaleException.class)
                    .withMessageContaining("target 'app' was reconfigured, removed or stopped while this change waited for it")
                    .withMessageContaining("send it again");
            assertThat(engine.status().overrideReplicas()).as("the successor never had it: the caller is told").isNull();

            CompletableFuture<TargetStatus> again = zeroscale.setOverride("app", 2, null, "ops").toCompletableFuture();
            engine.time.runDue();
            assertThat(again.join().overrideReplicas()).isEqualTo(2);
            assertThat(engine.status().overrideReplicas()).isEqualTo(2);

            CompletableFuture<TargetStatus> pause = zeroscale.setAutomationPaused("app", true, "ops").toCompletableFuture();
            zeroscale.removeTarget("app", "config reload");
            engine.time.runDue();
            assertThat(pause).isCompletedExceptionally();
            org.assertj.core.api.Assertions.assertThatThrownBy(pause::join).isInstanceOf(CompletionException.class)
                    .hasCauseInstanceOf(ZeroscaleException.class);
        }
    }
}
