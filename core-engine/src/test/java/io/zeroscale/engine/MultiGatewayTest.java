package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.spi.automaton.ReservedSignals;
import io.zeroscale.spi.metrics.SignalValue;
import io.zeroscale.spi.traffic.RequestStats;
import io.zeroscale.spi.traffic.Routing;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Several gateways report one target's traffic to one engine: held and in flight add up, rates come
 * from each gateway's own counters, a gateway that goes silent is unknown (never zero), and a drain
 * ends only when every live gateway drained.
 */
class MultiGatewayTest {
    private static final String TARGET = """
            orchestrator: fake
            workload: { kind: Process }
            policy: { idle: 1m, drain-timeout: 10m }
            """;

    /** Drains end by the drain-timeout too, so silence alone decides whether zero is written. */
    private static final String QUICK_DRAIN = """
            orchestrator: fake
            workload: { kind: Process }
            policy: { idle: 1m, drain-timeout: 10s }
            """;

    private static List<String> writes(EngineHarness engine) {
        return engine.orchestrator.calls().stream().filter(call -> !call.startsWith("observe ")).toList();
    }

    @Test
    void heldOnOneGatewayAndIdleOnTheOtherWakesAndTheDrainEndsOnlyAfterBothDrained() {
        try (EngineHarness engine = new EngineHarness(TARGET, Duration.ofSeconds(5))) {
            EngineHarness.Gateway a = engine.gateway("a");
            EngineHarness.Gateway b = engine.gateway("b");
            b.report(); // b routes the target too, and has nothing
            a.holdRequest();
            b.report(); // b's "held 0" after a's "held 1" must not hide a's request
            assertThat(engine.state()).isEqualTo("WAKING");
            assertThat(engine.status().requests().held()).isEqualTo(1);
            assertThat(writes(engine)).containsExactly("scale app 1");

            engine.advance(Duration.ofSeconds(5));
            assertThat(engine.state()).isEqualTo("ACTIVE");
            a.releaseHeld();
            b.startRequest();
            assertThat(engine.status().requests().inFlight()).as("summed over both gateways").isEqualTo(2);
            a.finishRequest();
            b.finishRequest();

            engine.advance(Duration.ofMinutes(1).plusSeconds(1));
            assertThat(engine.state()).isEqualTo("DRAINING");
            assertThat(engine.route().routing()).isEqualTo(Routing.DRAIN);

            a.drained();
            engine.advance(Duration.ofSeconds(30));
            assertThat(engine.state()).as("b has not drained yet").isEqualTo("DRAINING");
            assertThat(writes(engine)).containsExactly("scale app 1");

            b.drained();
            assertThat(engine.state()).isEqualTo("ZERO");
            assertThat(writes(engine)).containsExactly("scale app 1", "scale app 0");
        }
    }

    @Test
    void interleavedCountersOfTwoGatewaysNeverGoBackAndGiveTheSummedRate() {
        try (EngineHarness engine = new EngineHarness(TARGET, Duration.ofSeconds(1), 1)) {
            EngineHarness.Gateway a = engine.gateway("a");
            EngineHarness.Gateway b = engine.gateway("b");
            // a has served 1000 requests before; b starts fresh: their counters interleave.
            for (int i = 0; i < 1000; i++) {
                a.arrivals++;
                a.completed++;
            }
            a.report();
            b.report();
            long[] seen = new long[1];
            for (int second = 0; second < 30; second++) {
                a.startRequest();
                a.finishRequest();
                b.startRequest();
                b.startRequest();
                b.finishRequest();
                b.finishRequest();
                long total = engine.status().requests().arrivals();
                assertThat(total).as("the arrivals total never goes back").isGreaterThanOrEqualTo(seen[0]);
                seen[0] = total;
                engine.advance(Duration.ofSeconds(1));
            }
            assertThat(engine.status().requests().arrivals()).isEqualTo(1000 + 30 + 60);
            SignalValue rate = engine.status().signals().get(ReservedSignals.ARRIVAL_RATE);
            assertThat(rate).isInstanceOf(SignalValue.Known.class);
            // 3 a second from both gateways together; a's 1000 earlier arrivals are no burst.
            assertThat(((SignalValue.Known) rate).value()).isBetween(2.9, 3.2);
        }
    }

    @Test
    void aSilentGatewayIsUnknownNeverZeroUntilItIsHeardAgainOrLeaves() {
        try (EngineHarness engine = new EngineHarness(QUICK_DRAIN, Duration.ofSeconds(1), 1)) {
            EngineHarness.Gateway a = engine.gateway("a");
            EngineHarness.Gateway b = engine.gateway("b");
            a.report();
            b.report();
            engine.silence("b");
            engine.advance(Duration.ofMinutes(5));

            assertThat(engine.state()).as("the automaton went idle on what it knows").isEqualTo("ZERO");
            assertThat(engine.orchestrator.state(engine.ref).replicas()).as("b's requests are unknown: no scale to zero")
                    .isEqualTo(1);
            assertThat(writes(engine)).isEmpty();
            assertThat(engine.status().signals().get(ReservedSignals.INFLIGHT)).isInstanceOf(SignalValue.Unknown.class);
            assertThat(engine.journal()).anySatisfy(entry -> assertThat(entry.message())
                    .contains("gateway b not heard from for longer than traffic.reporter-ttl 15s"));

            b.leave();
            engine.advance(Duration.ofSeconds(2));
            assertThat(engine.orchestrator.state(engine.ref).replicas()).as("b left: nothing unknown any more").isZero();
            assertThat(writes(engine)).containsExactly("scale app 0");
        }
    }

    @Test
    void aGatewaySilentPastForgetAfterIsForgotten() {
        try (EngineHarness engine = new EngineHarness(QUICK_DRAIN, Duration.ofSeconds(1), 1)) {
            engine.gateway("a").report();
            engine.gateway("crashed").report();
            engine.silence("crashed");
            engine.advance(Duration.ofMinutes(9));
            assertThat(engine.orchestrator.state(engine.ref).replicas()).isEqualTo(1);

            engine.advance(Duration.ofMinutes(2));
            assertThat(engine.orchestrator.state(engine.ref).replicas()).isZero();
            assertThat(engine.journal()).anySatisfy(entry -> assertThat(entry.message())
                    .contains("gateway crashed silent for longer than traffic.forget-after 10m: forgotten"));
        }
    }

    @Test
    void aRestartedGatewayCountsOnFromItsNewCounters() {
        try (EngineHarness engine = new EngineHarness(TARGET, Duration.ofSeconds(1), 1)) {
            EngineHarness.Gateway a = engine.gateway("a");
            for (int i = 0; i < 50; i++) {
                a.startRequest();
                a.finishRequest();
            }
            // a restarts: same id, counters from zero.
            a.arrivals = 0;
            a.completed = 0;
            a.startRequest();
            assertThat(engine.status().requests().arrivals()).isEqualTo(51);
            assertThat(engine.status().requests().inFlight()).isEqualTo(1);
        }
    }

    @Test
    void aReportWithoutAGatewayIdIsRefused() {
        try (EngineHarness engine = new EngineHarness(TARGET, Duration.ofSeconds(1))) {
            assertThatThrownBy(() -> engine.zeroscale.trafficHub().report(" ", engine.ref, RequestStats.IDLE))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("gateway id is blank");
        }
    }
}
