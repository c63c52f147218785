package io.zeroscale.engine;

import io.zeroscale.engine.ActuationQueue.Kind;
import io.zeroscale.engine.ActuationQueue.Outcome;
import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.Orchestrator;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a target's actor sees its workload: {@code observe} calls, queued behind the target's other
 * calls so an observation never overtakes a write decided before it, and what each result means.
 * A new {@link ObservedState} goes into the {@link TargetView}; whether it differs from the one
 * before compares the backend's desired count and the existing and ready replicas each on its own
 * ({@link ObservedState#differsFrom}), so the automaton hears of a surge progressing without anyone
 * taking it for a new desired count. While automation is paused the automaton hears nothing; a
 * change seen meanwhile is remembered and told on resume. A failed observation keeps the one
 * before, marked stale (unknown is never zero), and is journalled once per run of failures; before
 * the first success the actor retries, because the automaton never starts from a guess. Confined
 * to the target's actor.
 */
final class WorkloadObservation {
    private static final Logger log = LoggerFactory.getLogger(WorkloadObservation.class);
    static final Duration RETRY = Duration.ofSeconds(2);

    /** What an applied observation means for the automaton. */
    enum Seen {
        /** The first observation of this automaton: it starts from it. */
        FIRST,
        /** The workload differs from what was known. */
        CHANGED,
        /** Nothing the automaton needs to hear of. */
        SAME,
        /** Automation is paused: the automaton hears nothing now (a change is kept for the resume). */
        PAUSED
    }

    /** What observing needs of its target's actor. */
    interface Target {
        void post(Runnable message);

        void journal(JournalEntry.Kind kind, String message);

        /** An observation came back: called on the actor (posted). */
        void onObserved(ObservedState state);

        /** An observation failed: called on the actor (posted). */
        void onObservationFailed(RuntimeException error);

        /** {@code state} is now the known one; {@code becameReady} when it has more ready replicas than the one before. */
        void applied(ObservedState state, boolean becameReady);
    }

    private final String name;
    private final TargetRef ref;
    private final Orchestrator orchestrator;
    private final ActuationQueue calls;
    private final TargetView view;
    private final Scheduler scheduler;
    private final Target target;
    /** The workload changed while automation was paused; the automaton hears of it on resume. */
    private boolean missed;

    WorkloadObservation(String name, TargetRef ref, Orchestrator orchestrator, ActuationQueue calls, TargetView view,
            Scheduler scheduler, Target target) {
        this.name = name;
        this.ref = ref;
        this.orchestrator = orchestrator;
        this.calls = calls;
        this.view = view;
        this.scheduler = scheduler;
        this.target = target;
    }

    /** Queues an {@code observe} call behind the target's other calls; its result is posted to the actor. */
    void observe() {
        calls.submit(Kind.READ, "observe " + ref, "observe", () -> orchestrator.observe(ref),
                outcome -> target.post(() -> {
                    switch (outcome) {
                        case Outcome.Done<ObservedState> done -> target.onObserved(done.value());
                        case Outcome.Failed<ObservedState> failed -> target.onObservationFailed(failed.error());
                        case Outcome.Skipped<ObservedState> skipped -> {} // reads are never skipped
                    }
                }));
    }

    /** Observes again after {@link #RETRY}: while the automaton waits for its first observation. */
    Subscription retryLater() {
        return scheduler.schedule(RETRY, () -> target.post(this::observe));
    }

    /**
     * Takes {@code state} as the known one and says what it means.
     *
     * @param started the automaton has started (from an earlier observation)
     * @param paused automation is paused
     */
    Seen apply(ObservedState state, boolean started, boolean paused) {
        boolean becameReady = state.readyReplicas() > view.observed().readyReplicas();
        boolean differs = view.observed(state);
        target.applied(state, becameReady);
        if (!started) {
            return Seen.FIRST;
        }
        if (paused) {
            missed |= differs;
            return Seen.PAUSED;
        }
        return differs ? Seen.CHANGED : Seen.SAME;
    }

    /** Marks the known observation stale and journals the first failure of a run; returns the reason. */
    String failed(RuntimeException error) {
        String reason = "observing " + ref + " failed: " + error.getMessage();
        if (!view.observationStale()) {
            log.warn("target {}: {}", name, reason, error);
            target.journal(JournalEntry.Kind.ACTUATION_FAILED, reason);
        }
        view.observationFailed();
        return reason;
    }

    /** True (once) when a change was seen while automation was paused: the automaton hears of it now. */
    boolean takeMissed() {
        boolean was = missed;
        missed = false;
        return was;
    }

    /** The automaton starts over: what it missed no longer matters, it starts from a fresh observation. */
    void forget() {
        missed = false;
    }
}
