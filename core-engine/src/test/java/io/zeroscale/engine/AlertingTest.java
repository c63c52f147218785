package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.spi.Leadership;
import io.zeroscale.spi.alert.Alert;
import io.zeroscale.spi.alert.AlertSink;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The engine's alert conditions on virtual time: fired once, resolved when over, rate limited. */
class AlertingTest {
    private static final String TARGET = """
            orchestrator: fake
            workload: { kind: Process }
            policy:
              automaton: zero-to-n
              idle: 1m
              wake-timeout: 3m
              drain-timeout: 30s
              replicas: { min: 0, max: 1 }
            """;

    /** Records what it is sent, as "status kind: summary". */
    private static final class RecordingSink implements AlertSink {
        final List<Alert> alerts = new CopyOnWriteArrayList<>();

        @Override
        public void send(Alert alert) {
            alerts.add(alert);
        }

        List<String> lines() {
            return alerts.stream().map(alert -> alert.status() + " " + alert.kind() + ": " + alert.summary()).toList();
        }

        List<String> kinds() {
            return alerts.stream().map(alert -> alert.status() + " " + alert.kind()).toList();
        }
    }

    /** As {@link #TARGET}, with one signal the fake metric source answers. */
    private static final String WITH_SIGNAL = TARGET + """
              signals:
                rps: { source: prom, query: 'sum(rate(http_requests_total[1m]))' }
            """;

    private static EngineHarness harness(Duration startup, AlertSettings settings, RecordingSink sink) {
        return harness(TARGET, startup, settings, sink);
    }

    private static EngineHarness harness(String target, Duration startup, AlertSettings settings, RecordingSink sink) {
        return new EngineHarness(target, startup, 0, Leadership.always(),
                builder -> builder.alerts(settings).alertSink("test", sink));
    }

    private static AlertSettings settings(Duration wakeSlow, int flappingChanges, int maxPerMinute) {
        return new AlertSettings(wakeSlow, Duration.ofMinutes(5), flappingChanges, Duration.ofMinutes(10),
                Duration.ofMinutes(1), Duration.ofMinutes(5), maxPerMinute);
    }

    @Test
    void aFailedWakeFiresOnceAndTheNextGoodWakeResolvesIt() {
        RecordingSink sink = new RecordingSink();
        try (EngineHarness engine = harness(Duration.ofMinutes(5), settings(Duration.ofMinutes(10), 100, 60), sink)) {
            engine.holdRequest();
            engine.advance(Duration.ofMinutes(3));
            assertThat(engine.state()).isEqualTo("ZERO");
            engine.answerHeld();
            engine.advance(Duration.ofMinutes(2));

            // The automaton's own "wake failed" alert is folded into this one: one failure, one page.
            assertThat(sink.kinds()).containsExactly("FIRING wake-failed");
            Alert firing = sink.alerts.getFirst();
            assertThat(firing.summary()).startsWith("wake of app failed after 3m");
            assertThat(firing.startsAt()).isEqualTo(engine.time.clock().instant().minus(Duration.ofMinutes(2)));
            assertThat(engine.journal()).anyMatch(entry -> entry.message().startsWith("alert wake-failed firing: wake of app failed"));

            engine.orchestrator.setStartup(Duration.ofSeconds(5));
            engine.holdRequest();
            engine.advance(Duration.ofSeconds(5));
            assertThat(engine.state()).isEqualTo("ACTIVE");

            assertThat(sink.kinds()).containsExactly("FIRING wake-failed", "RESOLVED wake-failed");
            Alert resolved = sink.alerts.get(1);
            assertThat(resolved.key()).isEqualTo(firing.key());
            assertThat(resolved.startsAt()).isEqualTo(firing.startsAt());
            assertThat(resolved.endsAt()).isEqualTo(engine.time.clock().instant());
        }
    }

    @Test
    void aSlowWakeFiresWhileWakingAndAFastOneResolvesIt() {
        RecordingSink sink = new RecordingSink();
        try (EngineHarness engine = harness(Duration.ofSeconds(90), settings(Duration.ofMinutes(1), 100, 60), sink)) {
            engine.holdRequest();
            engine.advance(Duration.ofSeconds(59));
            assertThat(sink.alerts).isEmpty();
            engine.advance(Duration.ofSeconds(31));
            assertThat(engine.state()).isEqualTo("ACTIVE");
            assertThat(sink.lines()).hasSize(1).first().asString().startsWith("FIRING wake-slow: wake of app not ready after 1m");

            engine.releaseHeld();
            engine.finishRequest();
            engine.advance(Duration.ofMinutes(1));
            engine.drained();
            assertThat(engine.state()).isEqualTo("ZERO");
            engine.orchestrator.setStartup(Duration.ofSeconds(5));
            engine.holdRequest();
            engine.advance(Duration.ofSeconds(5));
            assertThat(sink.lines()).hasSize(2).last().asString().isEqualTo("RESOLVED wake-slow: wake of app took 5s");
        }
    }

    @Test
    void flappingFiresAboveTheLimitAndResolvesWhenTheWindowIsQuiet() {
        RecordingSink sink = new RecordingSink();
        try (EngineHarness engine = harness(Duration.ofSeconds(5), settings(Duration.ofMinutes(10), 3, 60), sink)) {
            // ZERO -> WAKING -> ACTIVE -> DRAINING -> ZERO: four changes, one more than the limit.
            engine.holdRequest();
            engine.advance(Duration.ofSeconds(5));
            engine.releaseHeld();
            engine.finishRequest();
            engine.advance(Duration.ofMinutes(1));
            assertThat(sink.alerts).isEmpty();
            engine.drained();
            assertThat(sink.lines()).containsExactly("FIRING flapping: app changed state 4 times within 10m (limit 3)");

            engine.advance(Duration.ofMinutes(10));
            assertThat(sink.kinds()).containsExactly("FIRING flapping", "RESOLVED flapping");
        }
    }

    @Test
    void overflowFiresOnRefusedRequestsAndResolvesWhenNoneAreRefused() {
        RecordingSink sink = new RecordingSink();
        try (EngineHarness engine = harness(Duration.ofSeconds(5), settings(Duration.ofMinutes(10), 100, 60), sink)) {
            engine.refuseForOverflow(3);
            engine.refuseForOverflow(2);
            assertThat(sink.lines()).containsExactly("FIRING overflow: the gateway refused 3 request(s) for app: its hold queue is full");
            engine.advance(Duration.ofSeconds(59));
            assertThat(sink.alerts).hasSize(1);
            engine.advance(Duration.ofSeconds(30));
            assertThat(sink.kinds()).containsExactly("FIRING overflow", "RESOLVED overflow");
        }
    }

    @Test
    void firingAlertsAboveTheRateLimitAreNotSentNorTheirResolution() {
        RecordingSink sink = new RecordingSink();
        try (EngineHarness engine = harness(Duration.ofMinutes(5), settings(Duration.ofSeconds(30), 100, 1), sink)) {
            engine.refuseForOverflow(1);
            engine.holdRequest();
            engine.advance(Duration.ofSeconds(31));
            assertThat(sink.kinds()).containsExactly("FIRING overflow");
            assertThat(engine.journal()).anyMatch(entry -> entry.message().startsWith("alert wake-slow firing"));
        }
    }

    @Test
    void aSignalUnknownLongerThanTheLimitFiresOnceAndResolvesWhenKnownAgain() {
        RecordingSink sink = new RecordingSink();
        try (EngineHarness engine = harness(WITH_SIGNAL, Duration.ofSeconds(5), settings(Duration.ofMinutes(10), 100, 60), sink)) {
            engine.metrics.set("sum(rate(http_requests_total[1m]))", 2.0);
            engine.advance(Duration.ofMinutes(1));
            assertThat(sink.alerts).isEmpty();

            engine.metrics.setFailing(true);
            // The limit is 5m: unknown for less than that is not worth a page.
            engine.advance(Duration.ofMinutes(4));
            assertThat(engine.status().signals().get("rps")).isInstanceOf(io.zeroscale.spi.metrics.SignalValue.Unknown.class);
            assertThat(sink.alerts).isEmpty();
            engine.advance(Duration.ofMinutes(2));
            assertThat(sink.lines()).hasSize(1).first().asString()
                    .startsWith("FIRING signal-unknown: signal rps of app unknown for 5m")
                    .endsWith(": fake source is down (as the test asked)");
            assertThat(sink.alerts.getFirst().labels()).containsEntry("signal", "rps");
            // Still unknown: deduplicated, not sent again on every poll.
            engine.advance(Duration.ofMinutes(10));
            assertThat(sink.alerts).hasSize(1);

            engine.metrics.setFailing(false);
            engine.advance(Duration.ofMinutes(1));
            assertThat(sink.lines()).containsExactly(sink.lines().getFirst(), "RESOLVED signal-unknown: signal rps of app is known again");
            assertThat(sink.alerts.get(1).key()).isEqualTo(sink.alerts.getFirst().key());
        }
    }

    @Test
    void actuationFailingFiresOnceAndResolvesWhenTheOrchestratorWorksAgain() {
        RecordingSink sink = new RecordingSink();
        try (EngineHarness engine = harness(Duration.ofSeconds(5), settings(Duration.ofMinutes(10), 100, 60), sink)) {
            engine.orchestrator.setFailing(true);
            engine.holdRequest();
            engine.advance(Duration.ofMinutes(2));
            // Several scale calls failed (retried with backoff), one page.
            assertThat(engine.orchestrator.scaleCalls()).hasSizeGreaterThan(1);
            assertThat(sink.kinds()).containsExactly("FIRING actuation-failing");
            assertThat(sink.alerts.getFirst().summary()).startsWith("orchestrator calls for app fail: ");
            assertThat(sink.alerts.getFirst().severity()).isEqualTo(io.zeroscale.spi.automaton.Action.Severity.CRITICAL);

            engine.orchestrator.setFailing(false);
            engine.advance(Duration.ofMinutes(2));
            assertThat(engine.state()).isEqualTo("ACTIVE");
            assertThat(sink.kinds()).containsExactly("FIRING actuation-failing", "RESOLVED actuation-failing");
            assertThat(sink.alerts.get(1).summary()).isEqualTo("orchestrator calls for app work again");
        }
    }
}
