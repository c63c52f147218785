package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.engine.ActuationQueueTest.TestLeadership;
import io.zeroscale.engine.time.VirtualScheduler;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.Orchestrator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** What each observation means for the automaton, how failures are kept stale, and the retry before the first one. */
class WorkloadObservationTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final TargetRef APP = TargetRef.of("local", "Process", "app");
    private final VirtualScheduler scheduler = new VirtualScheduler(T0);
    private final TargetView view = new TargetView(APP, Set.of(), scheduler,
            new ActorTimers(scheduler, Runnable::run, name -> {}), () -> 0);
    private final List<String> heard = new ArrayList<>();
    private @Nullable ObservedState backend = ObservedState.zero(T0);
    private int observeCalls;
    private final Orchestrator orchestrator = new Orchestrator() {
        @Override
        public ObservedState observe(TargetRef target) {
            observeCalls++;
            ObservedState state = backend;
            if (state == null) {
                throw new IllegalStateException("backend down");
            }
            return state;
        }

        @Override
        public void scale(TargetRef target, int replicas) {}

        @Override
        public void close() {}
    };
    private final WorkloadObservation observation = new WorkloadObservation("app", APP, orchestrator,
            new ActuationQueue("app", Runnable::run, new TestLeadership(true)), view, scheduler, new WorkloadObservation.Target() {
                @Override
                public void post(Runnable message) {
                    message.run();
                }

                @Override
                public void journal(JournalEntry.Kind kind, String message) {
                    heard.add("journal " + kind + ": " + message);
                }

                @Override
                public void onObserved(ObservedState state) {
                    heard.add("observed " + state.desiredReplicas() + "/" + state.replicas() + "/" + state.readyReplicas());
                }

                @Override
                public void onObservationFailed(RuntimeException error) {
                    heard.add("failed " + error.getMessage());
                }

                @Override
                public void applied(ObservedState state, boolean becameReady) {
                    heard.add("applied" + (becameReady ? ", became ready" : ""));
                }
            });

    private static ObservedState state(int desired, int existing, int ready) {
        List<Endpoint> endpoints = new ArrayList<>();
        for (int i = 0; i < ready; i++) {
            endpoints.add(new Endpoint("127.0.0.1", 8000 + i));
        }
        return new ObservedState(desired, existing, ready, 0, endpoints, T0);
    }

    @Test
    void theFirstObservationStartsTheAutomatonThenOnlyDifferencesAreChanges() {
        assertThat(observation.apply(state(1, 0, 0), false, false)).isEqualTo(WorkloadObservation.Seen.FIRST);
        assertThat(observation.apply(state(1, 0, 0), true, false)).isEqualTo(WorkloadObservation.Seen.SAME);
        assertThat(observation.apply(state(1, 1, 0), true, false)).as("a replica exists: status, not a new desired count")
                .isEqualTo(WorkloadObservation.Seen.CHANGED);
        assertThat(view.observed().desiredReplicas()).isEqualTo(1);
        assertThat(observation.apply(state(1, 1, 1), true, false)).isEqualTo(WorkloadObservation.Seen.CHANGED);
        assertThat(heard).containsExactly("applied", "applied", "applied", "applied, became ready");
    }

    @Test
    void whilePausedAChangeIsKeptForTheResumeOnce() {
        observation.apply(state(1, 1, 1), false, false);
        assertThat(observation.apply(state(1, 1, 1), true, true)).isEqualTo(WorkloadObservation.Seen.PAUSED);
        assertThat(observation.takeMissed()).as("nothing changed while paused").isFalse();

        assertThat(observation.apply(state(0, 0, 0), true, true)).isEqualTo(WorkloadObservation.Seen.PAUSED);
        assertThat(observation.apply(state(0, 0, 0), true, true)).isEqualTo(WorkloadObservation.Seen.PAUSED);
        assertThat(observation.takeMissed()).isTrue();
        assertThat(observation.takeMissed()).as("told once").isFalse();

        observation.apply(state(2, 2, 2), true, true);
        observation.forget();
        assertThat(observation.takeMissed()).as("a restarted automaton starts from a fresh observation").isFalse();
    }

    @Test
    void aFailureKeepsTheLastObservationStaleJournalsOncePerRunAndTheNextSuccessIsAChange() {
        observation.apply(state(1, 1, 1), false, false);
        String reason = observation.failed(new IllegalStateException("backend down"));
        assertThat(reason).isEqualTo("observing " + APP + " failed: backend down");
        observation.failed(new IllegalStateException("backend down"));
        assertThat(view.observationStale()).isTrue();
        assertThat(view.observed().readyReplicas()).as("unknown is never zero: the last one is kept").isEqualTo(1);
        assertThat(heard).containsExactly("applied, became ready", "journal ACTUATION_FAILED: " + reason);

        assertThat(observation.apply(state(1, 1, 1), true, false)).as("the same state, but no longer stale")
                .isEqualTo(WorkloadObservation.Seen.CHANGED);
        assertThat(view.observationStale()).isFalse();
    }

    @Test
    void observeGoesThroughTheCallQueueAndRetryLaterObservesAgainAfterTheRetryDelay() {
        backend = null;
        observation.observe();
        assertThat(heard).containsExactly("failed backend down");

        backend = state(0, 0, 0);
        observation.retryLater();
        scheduler.advance(WorkloadObservation.RETRY.minus(Duration.ofMillis(1)));
        assertThat(observeCalls).isEqualTo(1);
        scheduler.advance(Duration.ofMillis(1));
        assertThat(observeCalls).isEqualTo(2);
        assertThat(heard).containsExactly("failed backend down", "observed 0/0/0");
    }
}
