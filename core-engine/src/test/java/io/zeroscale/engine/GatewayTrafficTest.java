package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.engine.history.ArrivalHistory;
import io.zeroscale.engine.time.VirtualScheduler;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.automaton.Event;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.traffic.RequestStats;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * What a target's gateways report, on its way to the automaton, on its own: counters coalesced and
 * summed, arrivals counted once, drains over only once every gateway drained them, and the
 * reporter TTL checks.
 */
class GatewayTrafficTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final TrafficSettings SETTINGS = new TrafficSettings(Duration.ofSeconds(15), Duration.ofMinutes(10));
    private static final Endpoint A1 = new Endpoint("10.0.0.1", 8080);
    private static final Endpoint A2 = new Endpoint("10.0.0.2", 8080);
    private final VirtualScheduler scheduler = new VirtualScheduler(T0);
    private final TargetView view = new TargetView(TargetRef.of("local", "Process", "app"), Set.of(), scheduler,
            new ActorTimers(scheduler, Runnable::run, name -> {}), () -> 0);
    private final ArrivalHistory history = new ArrivalHistory();
    private final Map<String, @Nullable Instant> heartbeats = new HashMap<>();
    /** What the automaton heard and the journal said, in order. */
    private final List<String> heard = new ArrayList<>();
    /** The drained replicas the engine takes for itself (a scale-down to M > 0). */
    private final List<Endpoint> claimed = new ArrayList<>();
    private final GatewayTraffic traffic = traffic(new TrafficReports(SETTINGS, heartbeats::get));

    private GatewayTraffic traffic(TrafficReports reports) {
        return new GatewayTraffic("app", reports, SETTINGS, view, history, new GatewayTraffic.Target() {
            @Override
            public void journal(JournalEntry.Kind kind, String message) {
                heard.add(kind + ": " + message);
            }

            @Override
            public void deliver(Event event) {
                heard.add(event.toString());
            }

            @Override
            public List<Endpoint> claimDrained(List<Endpoint> endpoints) {
                return endpoints.stream().filter(endpoint -> !claimed.contains(endpoint)).toList();
            }
        });
    }

    private static RequestStats held(int held, long arrivals) {
        return new RequestStats(held, 0, arrivals, 0, 0, 0);
    }

    private static String drained(Endpoint... endpoints) {
        return new Event.Drained(List.of(endpoints)).toString();
    }

    private static final String REQUESTS_CHANGED = new Event.RequestsChanged().toString();

    @Test
    void reportsAreCoalescedUntilTheActorTakesThemAndTheAutomatonHearsTheSumOnce() {
        assertThat(traffic.offer("a", held(1, 1))).as("the first report asks the actor to take it").isTrue();
        assertThat(traffic.offer("a", held(2, 2))).as("a second one rides on the same ask").isFalse();
        assertThat(traffic.offer("b", held(3, 3))).isFalse();

        traffic.take(T0);
        assertThat(heard).containsExactly(REQUESTS_CHANGED);
        assertThat(view.requests().held()).as("the view holds the sum before the automaton hears of it").isEqualTo(5);
        assertThat(history.arrivals()).as("each arrival counted once, in the sum").isEqualTo(5);

        traffic.take(T0);
        assertThat(heard).as("nothing waits any more: nothing to hear").hasSize(1);
        assertThat(traffic.offer("a", held(0, 2))).as("taken: the next report asks again").isTrue();
        assertThat(traffic.latest()).containsEntry("a", held(0, 2)).containsEntry("b", held(3, 3));
    }

    @Test
    void aGatewayThatLeavesStopsCountingEvenWithAReportStillWaiting() {
        traffic.offer("a", held(1, 1));
        traffic.take(T0);
        traffic.offer("a", held(4, 5));

        traffic.left("a", T0);
        assertThat(heard).containsExactly(REQUESTS_CHANGED, "SAFETY: gateway a left: its requests no longer count",
                REQUESTS_CHANGED);
        assertThat(view.requests().held()).isZero();
        traffic.take(T0);
        traffic.left("a", T0);
        assertThat(heard).as("its waiting report was dropped with it, and it is gone already").hasSize(3);
    }

    @Test
    void aDrainIsOverOnlyOnceEveryGatewayDrainedItAndTheEngineKeepsTheReplicasItDrainedForItself() {
        traffic.offer("a", held(0, 1));
        traffic.offer("b", held(0, 1));
        traffic.take(T0);
        traffic.reports().draining(List.of(A1, A2), 7);
        claimed.add(A2);
        heard.clear();

        traffic.drained("a", 7, List.of(A1, A2));
        assertThat(heard).as("b may still have requests on them").isEmpty();
        traffic.drained("b", 7, List.of(A1, A2));
        assertThat(heard).as("A2 was the engine's own (a scale-down to M > 0)").containsExactly(drained(A1));
    }

    @Test
    void aDrainReportOfNothingTellsTheAutomatonThereIsNothingToWaitFor() {
        traffic.drained("a", 3, List.of());
        assertThat(heard).containsExactly(drained());
    }

    @Test
    void aGatewayThatLeavesEndsTheDrainsTheOthersFinished() {
        traffic.offer("a", held(0, 1));
        traffic.offer("b", held(1, 1));
        traffic.take(T0);
        traffic.reports().draining(List.of(A1), 7);
        traffic.drained("a", 7, List.of(A1));
        heard.clear();

        traffic.left("b", T0);
        assertThat(heard).containsExactly("SAFETY: gateway b left: its requests no longer count", REQUESTS_CHANGED,
                drained(A1));
    }

    @Test
    void aSilentGatewayMakesRequestsUnknownIsJournalledOnceAndIsForgottenAfterForgetAfter() {
        traffic.offer("a", held(0, 3));
        traffic.take(T0);
        heard.clear();

        traffic.checkReporters(T0.plusSeconds(15));
        assertThat(heard).as("within the TTL: nothing to say").isEmpty();

        traffic.checkReporters(T0.plusSeconds(16));
        assertThat(heard).containsExactly("SAFETY: gateway a not heard from for longer than traffic.reporter-ttl 15s:"
                + " its requests are unknown; no scale to zero until it reports again", REQUESTS_CHANGED);
        assertThat(view.requestsUnknown()).as("unknown, never zero").contains("a");
        traffic.checkReporters(T0.plusSeconds(17));
        assertThat(heard).as("said once").hasSize(2);

        heard.clear();
        traffic.checkReporters(T0.plusSeconds(601));
        assertThat(heard).containsExactly("SAFETY: gateway a silent for longer than traffic.forget-after 10m:"
                + " forgotten, its last counters no longer count", REQUESTS_CHANGED);
        assertThat(view.requestsUnknown()).isNull();
    }

    @Test
    void aSilentGatewayNoLongerHoldsUpADrainTheOthersFinished() {
        traffic.offer("a", held(0, 1));
        traffic.take(T0);
        traffic.offer("b", held(0, 1));
        traffic.take(T0.plusSeconds(10));
        traffic.reports().draining(List.of(A1), 7);
        traffic.drained("b", 7, List.of(A1));
        heard.clear();

        traffic.checkReporters(T0.plusSeconds(16));
        assertThat(heard).endsWith(REQUESTS_CHANGED, drained(A1));
    }

    @Test
    void aHeartbeatRevivesASilentGateway() {
        traffic.offer("a", held(2, 2));
        traffic.take(T0);
        traffic.checkReporters(T0.plusSeconds(20));
        heartbeats.put("a", T0.plusSeconds(21));
        heard.clear();

        traffic.checkReporters(T0.plusSeconds(22));
        assertThat(heard).containsExactly("SAFETY: gateway a heard from again", REQUESTS_CHANGED);
        assertThat(view.requestsUnknown()).isNull();
        assertThat(view.requests().held()).isEqualTo(2);
    }

    @Test
    void aSuccessorReplaysCountersThePredecessorHadNotTakenYetWithoutTellingTheAutomaton() {
        traffic.offer("a", held(1, 1));
        traffic.take(T0);
        traffic.offer("a", held(3, 4)); // not taken: the actor is retired first
        heard.clear();

        GatewayTraffic successor = traffic(traffic.reports());
        successor.replay(traffic.latest(), T0);
        assertThat(view.requests().held()).isEqualTo(3);
        assertThat(view.requests().arrivals()).isEqualTo(4);
        assertThat(successor.latest()).containsEntry("a", held(3, 4));
        assertThat(heard).as("the successor's automaton starts over from Start").isEmpty();
    }
}
