package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.spi.traffic.RequestStats;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** Gateway counters coalesced on their way to the actor, and the reporter TTL checks, on their own. */
class GatewayTrafficTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final TrafficSettings SETTINGS = new TrafficSettings(Duration.ofSeconds(15), Duration.ofMinutes(10));
    private final Map<String, @Nullable Instant> heartbeats = new HashMap<>();
    private final GatewayTraffic traffic = new GatewayTraffic(new TrafficReports(SETTINGS, heartbeats::get), SETTINGS);

    private static RequestStats held(int held, long arrivals) {
        return new RequestStats(held, 0, arrivals, 0, 0, 0);
    }

    @Test
    void reportsAreCoalescedUntilTheActorTakesThemAndOnlyTheNewestOfEachGatewayCounts() {
        assertThat(traffic.offer("a", held(1, 1))).as("the first report asks the actor to take it").isTrue();
        assertThat(traffic.offer("a", held(2, 2))).as("a second one rides on the same ask").isFalse();
        assertThat(traffic.offer("b", held(3, 3))).isFalse();

        assertThat(traffic.take(T0)).isTrue();
        assertThat(traffic.reports().sum().held()).isEqualTo(5);
        assertThat(traffic.take(T0)).as("nothing waits any more").isFalse();
        assertThat(traffic.offer("a", held(0, 2))).as("taken: the next report asks again").isTrue();
        assertThat(traffic.latest()).containsEntry("a", held(0, 2)).containsEntry("b", held(3, 3));
    }

    @Test
    void aGatewayThatLeavesStopsCountingEvenWithAReportStillWaiting() {
        traffic.offer("a", held(1, 1));
        traffic.take(T0);
        traffic.offer("a", held(4, 5));

        assertThat(traffic.left("a")).isTrue();
        assertThat(traffic.take(T0)).as("its waiting report was dropped with it").isFalse();
        assertThat(traffic.reports().sum().held()).isZero();
        assertThat(traffic.left("a")).as("gone already").isFalse();
    }

    @Test
    void aSilentGatewayMakesRequestsUnknownIsJournalledOnceAndIsForgottenAfterForgetAfter() {
        traffic.offer("a", held(0, 3));
        traffic.take(T0);

        GatewayTraffic.Check quiet = traffic.checkReporters(T0.plusSeconds(15));
        assertThat(quiet).as("nothing changed: nothing to journal, nothing allocated").isSameAs(GatewayTraffic.Check.NONE);
        assertThat(quiet.requestsChanged()).isFalse();

        GatewayTraffic.Check silent = traffic.checkReporters(T0.plusSeconds(16));
        assertThat(silent.journal()).containsExactly("gateway a not heard from for longer than traffic.reporter-ttl 15s:"
                + " its requests are unknown; no scale to zero until it reports again");
        assertThat(silent.warnings()).hasSize(1);
        assertThat(silent.requestsChanged()).isTrue();
        assertThat(silent.drainsMayBeOver()).isTrue();
        assertThat(traffic.reports().unknownReason()).contains("a");
        assertThat(traffic.checkReporters(T0.plusSeconds(17)).journal()).as("said once").isEmpty();

        GatewayTraffic.Check forgotten = traffic.checkReporters(T0.plusSeconds(601));
        assertThat(forgotten.journal()).containsExactly("gateway a silent for longer than traffic.forget-after 10m:"
                + " forgotten, its last counters no longer count");
        assertThat(forgotten.drainsMayBeOver()).isTrue();
        assertThat(traffic.reports().unknownReason()).isNull();
    }

    @Test
    void aHeartbeatRevivesASilentGateway() {
        traffic.offer("a", held(2, 2));
        traffic.take(T0);
        traffic.checkReporters(T0.plusSeconds(20));
        heartbeats.put("a", T0.plusSeconds(21));

        GatewayTraffic.Check revived = traffic.checkReporters(T0.plusSeconds(22));
        assertThat(revived.journal()).containsExactly("gateway a heard from again");
        assertThat(revived.warnings()).isEmpty();
        assertThat(revived.requestsChanged()).isTrue();
        assertThat(revived.drainsMayBeOver()).isFalse();
        assertThat(traffic.reports().unknownReason()).isNull();
        assertThat(traffic.reports().sum().held()).isEqualTo(2);
    }

    @Test
    void aSuccessorReplaysCountersThePredecessorHadNotTakenYet() {
        traffic.offer("a", held(1, 1));
        traffic.take(T0);
        traffic.offer("a", held(3, 4)); // not taken: the actor is retired first

        GatewayTraffic successor = new GatewayTraffic(traffic.reports(), SETTINGS);
        successor.replay(traffic.latest(), T0);
        assertThat(successor.reports().sum().held()).isEqualTo(3);
        assertThat(successor.reports().sum().arrivals()).isEqualTo(4);
        assertThat(successor.latest()).containsEntry("a", held(3, 4));
    }
}
