package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A write the orchestrator refuses is tried again after a growing delay, not at once: the
 * automaton's answer to a failed call is usually the same decision, and without the delay an open
 * circuit breaker (which refuses without waiting) made the engine spin.
 */
class FailedWriteRetryTest {
    private static final String TARGET = """
            orchestrator: fake
            workload: { kind: Process }
            policy: { idle: 1m, wake-timeout: 10m }
            """;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // before the delay existed, this spun forever on virtual time
    void aFailingScaleIsRetriedWithBackoffAndSucceedsOnceTheOrchestratorIsBack() {
        try (EngineHarness engine = new EngineHarness(TARGET, Duration.ofSeconds(1))) {
            engine.orchestrator.setFailing(true);
            engine.holdRequest();
            engine.advance(Duration.ofMinutes(2));

            // 1 s doubling to 60 s over two minutes: tries at about 0, 1, 3, 7, 15, 31, 63 s.
            int tries = engine.orchestrator.scaleCalls().size();
            assertThat(tries).as("scale attempts in two minutes").isBetween(3, 12);
            assertThat(engine.journal()).filteredOn(entry -> entry.kind() == JournalEntry.Kind.ACTUATION_FAILED)
                    .hasSizeLessThanOrEqualTo(tries)
                    .allSatisfy(entry -> assertThat(entry.message()).contains("next try in"));

            engine.orchestrator.setFailing(false);
            engine.advance(Duration.ofMinutes(2));
            assertThat(engine.state()).isEqualTo("ACTIVE");
            assertThat(engine.status().readyReplicas()).isEqualTo(1);
        }
    }
}
