package io.zeroscale.engine.automaton;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.spi.automaton.Automaton;
import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.automaton.Event;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.traffic.RequestStats;
import io.zeroscale.spi.traffic.Routing;
import io.zeroscale.testkit.TestTargetContext;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * zero-to-n with {@code pause-after}, on virtual time: a request held in PAUSED resumes the
 * replicas and is forwarded only once they are observed ready after the resume, never on an
 * observation from before it (which may still show them ready from before the pause).
 */
class ZeroToNPauseTest {
    private final TestTargetContext context = TestTargetContext.create();
    private final Automaton automaton = new ZeroToNAutomatonFactory().create(
            Specs.spec(0, 3, Set.of(), Map.of("idle", "10m", "pause-after", "1m")), Specs.pluginContext());

    /** ACTIVE on one ready replica, then idle past pause-after: PAUSED, with the pause not observed yet. */
    private void pausedWithAStaleObservation() {
        context.setObserved(Specs.ready(1, context.now()));
        context.deliver(automaton, new Event.Start(context.observed()));
        assertThat(automaton.state()).isEqualTo("ACTIVE");
        context.advance(automaton, Duration.ofSeconds(61));
        Decision paused = context.deliver(automaton, new Event.Tick());
        assertThat(automaton.state()).isEqualTo("PAUSED");
        assertThat(paused.paused()).isTrue();
        assertThat(context.observed().readyReplicas()).as("the pause is not observed yet").isEqualTo(1);
    }

    private Decision requestHeld() {
        context.setRequests(new RequestStats(1, 0, 1, 0, 0, 0));
        return context.deliver(automaton, new Event.RequestsChanged());
    }

    @Test
    void aRequestInPausedResumesAndWaitsForAnObservationMadeAfterTheResume() {
        pausedWithAStaleObservation();
        context.advance(automaton, Duration.ofSeconds(1));

        Decision resuming = requestHeld();
        assertThat(automaton.state()).as("the ready replica was observed before the pause: frozen now").isEqualTo("WAKING");
        assertThat(resuming.paused()).isFalse();
        assertThat(resuming.routing()).isEqualTo(Routing.HOLD);
        assertThat(resuming.reason()).startsWith("resuming: ");
        assertThat(context.deliver(automaton, new Event.Tick()).routing()).as("still the old observation").isEqualTo(Routing.HOLD);

        // The pause's own event arrives late, made after the resume was decided: nothing ready.
        context.advance(automaton, Duration.ofMillis(10));
        context.setObserved(new ObservedState(1, 1, 0, 1, List.of(), context.now()));
        assertThat(context.deliver(automaton, new Event.ObservedChanged(context.observed())).routing()).isEqualTo(Routing.HOLD);

        context.advance(automaton, Duration.ofMillis(200));
        context.setObserved(Specs.ready(1, context.now()));
        Decision active = context.deliver(automaton, new Event.ObservedChanged(context.observed()));
        assertThat(automaton.state()).isEqualTo("ACTIVE");
        assertThat(active.routing()).isEqualTo(Routing.FORWARD);
    }

    @Test
    void anObservationAtTheResumesInstantCountsOnlyIfItIsNotTheOneTheResumeSaw() {
        pausedWithAStaleObservation();
        context.advance(automaton, Duration.ofSeconds(1));
        context.setObserved(new ObservedState(1, 1, 0, 1, List.of(), context.now()));
        context.deliver(automaton, new Event.ObservedChanged(context.observed()));

        requestHeld();
        assertThat(automaton.state()).isEqualTo("WAKING");
        // A backend that resumes at once, observed on the same (virtual) instant.
        context.setObserved(Specs.ready(1, context.now()));
        Decision active = context.deliver(automaton, new Event.ObservedChanged(context.observed()));
        assertThat(automaton.state()).isEqualTo("ACTIVE");
        assertThat(active.routing()).isEqualTo(Routing.FORWARD);
    }

    @Test
    void aWakeFromZeroStillTrustsAReadyObservationAtOnce() {
        context.deliver(automaton, new Event.Start(context.observed()));
        assertThat(automaton.state()).isEqualTo("ZERO");
        context.setObserved(Specs.ready(1, context.now())); // kept up by something else meanwhile
        requestHeld();
        assertThat(automaton.state()).isEqualTo("ACTIVE");
    }
}
