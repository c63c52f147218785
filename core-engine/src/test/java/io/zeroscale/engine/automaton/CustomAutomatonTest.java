package io.zeroscale.engine.automaton;

import static io.zeroscale.engine.automaton.CustomPolicies.EXAMPLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.automaton.Action;
import io.zeroscale.spi.automaton.Automaton;
import io.zeroscale.spi.automaton.AutomatonSpec;
import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.automaton.Event;
import io.zeroscale.spi.automaton.ReplicaBounds;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.ResourceProfile;
import io.zeroscale.spi.traffic.RequestStats;
import io.zeroscale.spi.traffic.Routing;
import io.zeroscale.testkit.TestTargetContext;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CustomAutomatonTest {
    private static final ResourceProfile SMALL = new ResourceProfile("small", 0.5, 512L * 1024 * 1024, null);
    private static final Event TICK = new Event.Tick();
    private static final Event SIGNAL = new Event.SignalChanged("rps");

    private final TestTargetContext context = TestTargetContext.create();
    private final Instant t0 = context.now();

    @Test
    void factoryIsSelectedByTypeCustom() {
        assertThat(new CustomAutomatonFactory().type()).isEqualTo("custom");
    }

    @Test
    void startsInTheInitialStateWithItsReplicas() {
        Automaton automaton = CustomPolicies.create(EXAMPLE, Set.of("rps"));

        Decision decision = start(automaton);

        assertThat(automaton.state()).isEqualTo("idle");
        assertThat(automaton.states()).containsExactly("idle", "warm", "busy");
        assertThat(decision).isEqualTo(Decision.of(0, Routing.HOLD, "start in idle"));
        assertThat(context.dueTimers()).isEmpty();
    }

    @Test
    void aHeldRequestWakesEvenWhileTheOtherSideOfTheGuardIsUnknown() {
        Automaton automaton = CustomPolicies.create(EXAMPLE, Set.of("rps"));
        start(automaton);

        context.setRequests(new RequestStats(1, 0, 1, 0, 0));
        Decision decision = context.deliver(automaton, new Event.RequestsChanged());

        assertThat(automaton.state()).isEqualTo("warm");
        assertThat(decision.replicas()).isEqualTo(1);
        assertThat(decision.routing()).isEqualTo(Routing.HOLD);
        assertThat(decision.profile()).isEqualTo(SMALL);
        assertThat(decision.reason()).isEqualTo("idle -> warm: requests.held > 0 || signals.rps > 0.5");
        // Entering warm starts its clocks at once: warm -> idle (inflight == 0 for 5m) and the
        // wildcard 1h timeout.
        assertThat(context.dueTimers())
                .containsEntry("for:3", t0.plus(Duration.ofMinutes(5)))
                .containsEntry("after:4", t0.plus(Duration.ofHours(1)));
    }

    @Test
    void transitionsThatAreReadyAtStartHappenInTheStartEvent() {
        Automaton automaton = CustomPolicies.create(EXAMPLE, Set.of("rps"));
        context.setRequests(new RequestStats(2, 0, 2, 0, 0));

        Decision decision = start(automaton);

        assertThat(automaton.state()).isEqualTo("warm");
        assertThat(decision.reason()).isEqualTo("start in idle; idle -> warm: requests.held > 0 || signals.rps > 0.5");
    }

    @Test
    void forwardsOnlyOnceReadyEndpointsAreObserved() {
        Automaton automaton = warm();

        context.setObserved(ObservedState.ready(1, List.of(new Endpoint("127.0.0.1", 8080)), context.now()));
        Decision decision = context.deliver(automaton, new Event.ObservedChanged(context.observed()));

        assertThat(decision.routing()).isEqualTo(Routing.FORWARD);
        assertThat(decision.replicas()).isEqualTo(1);
        assertThat(decision.reason()).isEqualTo("warm: forwarding to 1 ready endpoint");
        assertThat(automaton.state()).isEqualTo("warm");
    }

    @Test
    void forFiresExactlyWhenTheGuardHasHeldForTheWholeDuration() {
        Automaton automaton = warm();

        context.setSignal("rps", 25);
        context.deliver(automaton, SIGNAL);
        assertThat(context.dueTimers()).containsEntry("for:1", t0.plus(Duration.ofSeconds(30)));

        context.advance(automaton, Duration.ofSeconds(29));
        context.deliver(automaton, TICK);
        assertThat(automaton.state()).isEqualTo("warm");

        Decision decision = context.advance(automaton, Duration.ofSeconds(1));
        assertThat(automaton.state()).isEqualTo("busy");
        assertThat(decision.reason()).isEqualTo("warm -> busy: signals.rps > 20.0 held for 30s");
        assertThat(decision.replicas()).isEqualTo(3);
        assertThat(decision.profile()).isEqualTo(SMALL);
        assertThat(context.dueTimers())
                .doesNotContainKeys("for:1", "for:3")
                .containsEntry("after:4", t0.plus(Duration.ofSeconds(30)).plus(Duration.ofHours(1)));
    }

    @Test
    void aGuardThatDropsRestartsTheClockAndTicksNoticeIt() {
        Automaton automaton = warm();
        context.setSignal("rps", 25);
        context.deliver(automaton, SIGNAL);
        context.advance(automaton, Duration.ofSeconds(20));

        // No SignalChanged: the periodic tick is what re-checks the guard.
        context.setSignal("rps", 10);
        context.deliver(automaton, TICK);
        assertThat(context.dueTimers()).doesNotContainKey("for:1");
        context.advance(automaton, Duration.ofSeconds(5));

        context.setSignal("rps", 25);
        context.deliver(automaton, TICK);
        context.advance(automaton, Duration.ofSeconds(29));
        assertThat(automaton.state()).as("the first 20s must not count").isEqualTo("warm");

        context.advance(automaton, Duration.ofSeconds(1));
        assertThat(automaton.state()).isEqualTo("busy");
        assertThat(context.now()).isEqualTo(t0.plus(Duration.ofSeconds(55)));
    }

    @Test
    void aTransitionFiresWithItsAlertOnce() {
        Automaton automaton = busy();

        context.setSignal("rps", 3);
        context.deliver(automaton, SIGNAL);
        Decision decision = context.advance(automaton, Duration.ofMinutes(2));

        assertThat(automaton.state()).isEqualTo("warm");
        assertThat(decision.reason()).isEqualTo("busy -> warm: signals.rps < 5.0 held for 2m");
        assertThat(decision.replicas()).isEqualTo(1);
        assertThat(decision.actions()).containsExactly(new Action.Alert(Action.Severity.INFO, "load dropped"));

        Decision next = context.deliver(automaton, TICK);
        assertThat(next.actions()).isEmpty();
        assertThat(next.sameEffect(decision)).isTrue();
    }

    @Test
    void replicasFollowTheStateExpressionAndAreClampedToBounds() {
        Automaton automaton = CustomPolicies.create(EXAMPLE, Set.of("rps"), new ReplicaBounds(0, 4));
        start(automaton);
        context.setSignal("rps", 25);
        context.deliver(automaton, SIGNAL);
        context.advance(automaton, Duration.ofSeconds(30));
        assertThat(automaton.state()).isEqualTo("busy");
        assertThat(context.lastDecision().replicas()).isEqualTo(3);

        context.setSignal("rps", 41);
        Decision more = context.deliver(automaton, SIGNAL);
        assertThat(more.replicas()).isEqualTo(4);
        assertThat(more.reason())
                .isEqualTo("busy: replicas 4 = int(math.ceil(signals.rps / 10.0)) (5, clamped to [0, 4])");

        context.setSignal("rps", 100);
        Decision same = context.deliver(automaton, SIGNAL);
        assertThat(same).as("no change: the same decision").isSameAs(more);
    }

    @Test
    void anUnknownSignalHoldsReplicasAndNeverSatisfiesAGuard() {
        Automaton automaton = busy();

        context.setSignalUnknown("rps", "prometheus timed out");
        Decision held = context.deliver(automaton, SIGNAL);
        assertThat(held.replicas()).isEqualTo(3);
        assertThat(automaton.state()).isEqualTo("busy");

        // Read as 0, `signals.rps < 5.0` would hold and busy -> warm would fire after 2m.
        context.advance(automaton, Duration.ofMinutes(2));
        context.deliver(automaton, TICK);
        assertThat(automaton.state()).isEqualTo("busy");
        assertThat(context.dueTimers()).doesNotContainKey("for:2");
    }

    @Test
    void anUnknownSignalOnEntryHoldsTheCurrentReplicasAndSaysWhy() {
        Automaton automaton = CustomPolicies.create("""
                initial: idle
                states:
                  idle: { replicas: "0" }
                  busy: { replicas: "int(math.ceil(signals.rps / 10.0))" }
                transitions:
                  - { from: idle, to: busy, when: "requests.held > 0" }
                """, Set.of("rps"));
        start(automaton);
        context.setSignalUnknown("rps", "no series matched");
        context.setRequests(new RequestStats(1, 0, 1, 0, 0));

        Decision decision = context.deliver(automaton, new Event.RequestsChanged());

        assertThat(automaton.state()).isEqualTo("busy");
        assertThat(decision.replicas()).isZero();
        assertThat(decision.reason())
                .isEqualTo("idle -> busy: requests.held > 0; replicas held at 0: int(math.ceil(signals.rps / 10.0))"
                        + " needs signal 'rps' (unknown: no series matched)");
    }

    @Test
    void unknownIsNotZero() {
        Automaton automaton = CustomPolicies.create("""
                initial: up
                states:
                  up: { replicas: "1" }
                  down: { replicas: "0" }
                transitions:
                  - { from: up, to: down, when: "signals.rps < 1.0 && !(signals.p95 > 0.2)" }
                """, Set.of("rps", "p95"));
        start(automaton);

        context.setSignalUnknown("rps", "source down");
        context.setSignal("p95", 0);
        context.deliver(automaton, SIGNAL);
        context.deliver(automaton, TICK);
        assertThat(automaton.state()).isEqualTo("up");

        context.setSignal("rps", 0);
        context.setSignalUnknown("p95", "source down");
        context.deliver(automaton, TICK);
        assertThat(automaton.state()).isEqualTo("up");

        context.setSignal("p95", 0);
        context.deliver(automaton, TICK);
        assertThat(automaton.state()).isEqualTo("down");
    }

    @Test
    void hasTellsAGuardWhetherASignalIsKnown() {
        Automaton automaton = CustomPolicies.create("""
                initial: up
                states:
                  up: { replicas: "1" }
                  down: { replicas: "0" }
                transitions:
                  - { from: up, to: down, when: "has(signals.rps) ? signals.rps < 1.0 : requests.inflight == 0" }
                """, Set.of("rps"));
        context.setSignal("rps", 3);
        context.setRequests(new RequestStats(0, 0, 5, 5, 1));
        start(automaton);
        context.deliver(automaton, TICK);
        assertThat(automaton.state()).isEqualTo("up");

        context.setSignalUnknown("rps", "source down");
        Decision decision = context.deliver(automaton, TICK);

        assertThat(automaton.state()).isEqualTo("down");
        assertThat(decision.reason())
                .isEqualTo("up -> down: has(signals.rps) ? signals.rps < 1.0 : requests.inflight == 0");
    }

    @Test
    void afterLeavesAStateThatLastedTooLong() {
        Automaton automaton = busy();
        Instant enteredBusy = context.now();
        context.setSignalUnknown("rps", "source down");
        context.deliver(automaton, SIGNAL);

        context.advance(automaton, Duration.ofMinutes(59));
        assertThat(automaton.state()).isEqualTo("busy");

        Decision decision = context.advance(automaton, Duration.ofMinutes(1));
        assertThat(automaton.state()).as("idle -> warm must not fire on an unknown rps").isEqualTo("idle");
        assertThat(context.now()).isEqualTo(enteredBusy.plus(Duration.ofHours(1)));
        assertThat(decision.reason()).isEqualTo("busy -> idle: 1h in busy");
        assertThat(decision.replicas()).isZero();
        assertThat(decision.routing()).isEqualTo(Routing.HOLD);
    }

    @Test
    void aProfileActionResizesAndTheStateVariablesAreBound() {
        Automaton automaton = CustomPolicies.create("""
                initial: waking
                states:
                  waking: { replicas: "1" }
                  serving: {}
                  large: { replicas: "replicas + 1" }
                transitions:
                  - { from: waking, to: serving, when: "ready >= 1 && state == 'waking' && replicas == 1" }
                  - from: serving
                    to: large
                    when: "signals.p95 > 0.5 && requests.inflight > 3 && requests.rate >= 2.0"
                    actions:
                      - { profile: { name: large, cpus: 2, memory: 2Gi, gpus: 1 } }
                      - { alert: "resized to large" }
                """, Set.of("p95"));
        start(automaton);

        context.setObserved(ObservedState.ready(1, List.of(new Endpoint("127.0.0.1", 8080)), context.now()));
        Decision serving = context.deliver(automaton, new Event.ObservedChanged(context.observed()));
        assertThat(automaton.state()).isEqualTo("serving");
        assertThat(serving.replicas()).as("a state without replicas keeps the current count").isEqualTo(1);
        assertThat(serving.routing()).isEqualTo(Routing.FORWARD);
        assertThat(serving.profile()).isNull();

        context.setSignal("p95", 0.8);
        context.setRequests(new RequestStats(0, 4, 100, 96, 10));
        context.setArrivalRate(2.5);
        Decision large = context.deliver(automaton, new Event.RequestsChanged());

        assertThat(automaton.state()).isEqualTo("large");
        assertThat(large.replicas()).isEqualTo(2);
        assertThat(large.profile()).isEqualTo(new ResourceProfile("large", 2.0, 2L * 1024 * 1024 * 1024, 1));
        assertThat(large.actions()).containsExactly(new Action.Alert(Action.Severity.WARNING, "resized to large"));
        assertThat(context.deliver(automaton, TICK).replicas())
                .as("replicas in a replica expression is the count at entry, so + 1 applies once")
                .isEqualTo(2);
    }

    @Test
    void aCycleOfTrueGuardsStopsWithinOneEvent() {
        Automaton automaton = CustomPolicies.create("""
                initial: a
                states: { a: { replicas: "1" }, b: { replicas: "2" } }
                transitions:
                  - { from: a, to: b, when: "true" }
                  - { from: b, to: a, when: "true" }
                """, Set.of());

        Decision decision = start(automaton);

        assertThat(automaton.state()).isEqualTo("a");
        assertThat(decision.reason()).isEqualTo("start in a; a -> b: true; b -> a: true; stopped: 'a' was entered"
                + " twice in one event; guards that are all true form a cycle");
    }

    @Test
    void aSelfTransitionReentersItsStateEachTimeItsTimeoutElapses() {
        Automaton automaton = CustomPolicies.create("""
                initial: a
                states: { a: { replicas: "1" } }
                transitions:
                  - { from: a, to: a, after: 10m, actions: [ { alert: "still in a", severity: critical } ] }
                """, Set.of());
        start(automaton);

        Decision first = context.advance(automaton, Duration.ofMinutes(10));
        assertThat(first.reason()).isEqualTo("a -> a: 10m in a");
        assertThat(first.actions()).containsExactly(new Action.Alert(Action.Severity.CRITICAL, "still in a"));
        assertThat(context.dueTimers()).containsEntry("after:0", t0.plus(Duration.ofMinutes(20)));

        context.advance(automaton, Duration.ofMinutes(9));
        assertThat(context.deliver(automaton, TICK).actions()).isEmpty();
        assertThat(context.advance(automaton, Duration.ofMinutes(1)).actions()).hasSize(1);
    }

    @Test
    void targetsWithTheSamePolicyKeepTheirOwnState() {
        CustomAutomatonFactory factory = new CustomAutomatonFactory();
        AutomatonSpec spec = new AutomatonSpec(
                context.target(), new ReplicaBounds(0, 10), Set.of("rps"), CustomPolicies.yaml(EXAMPLE));
        Automaton first = factory.create(spec, CustomPolicies.NO_CONTEXT);
        Automaton second = factory.create(spec, CustomPolicies.NO_CONTEXT);
        TestTargetContext other = TestTargetContext.create();
        start(first);
        other.deliver(second, new Event.Start(other.observed()));

        context.setRequests(new RequestStats(1, 0, 1, 0, 0));
        context.deliver(first, new Event.RequestsChanged());

        assertThat(first.state()).isEqualTo("warm");
        assertThat(second.state()).isEqualTo("idle");
    }

    @Test
    void anEventBeforeStartIsAnIllegalTransition() {
        Automaton automaton = CustomPolicies.create(EXAMPLE, Set.of("rps"));

        assertThatThrownBy(() -> context.deliver(automaton, TICK))
                .isInstanceOfSatisfying(ZeroscaleException.class, e -> assertThat(e.errorCode())
                        .isEqualTo(StandardErrorCode.ILLEGAL_TRANSITION))
                .hasMessageContaining("before Start");
    }

    private Decision start(Automaton automaton) {
        return context.deliver(automaton, new Event.Start(context.observed()));
    }

    /** In warm at t0, woken by a request that is then no longer held. */
    private Automaton warm() {
        Automaton automaton = CustomPolicies.create(EXAMPLE, Set.of("rps"));
        start(automaton);
        context.setRequests(new RequestStats(1, 0, 1, 0, 0));
        context.deliver(automaton, new Event.RequestsChanged());
        context.setRequests(new RequestStats(0, 1, 1, 0, 0));
        context.deliver(automaton, new Event.RequestsChanged());
        assertThat(automaton.state()).isEqualTo("warm");
        return automaton;
    }

    /** In busy with rps 25 (3 replicas), entered 30s after t0. */
    private Automaton busy() {
        Automaton automaton = warm();
        context.setSignal("rps", 25);
        context.deliver(automaton, SIGNAL);
        context.advance(automaton, Duration.ofSeconds(30));
        assertThat(automaton.state()).isEqualTo("busy");
        assertThat(context.lastDecision().replicas()).isEqualTo(3);
        return automaton;
    }
}
