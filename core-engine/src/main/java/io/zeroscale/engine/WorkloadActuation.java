package io.zeroscale.engine;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.zeroscale.engine.ActuationQueue.Kind;
import io.zeroscale.engine.ActuationQueue.Outcome;
import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.automaton.Event;
import io.zeroscale.spi.orchestrator.ConditionalWake;
import io.zeroscale.spi.orchestrator.Endpoints;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.Pausable;
import io.zeroscale.spi.orchestrator.Resizable;
import io.zeroscale.spi.orchestrator.ResourceProfile;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings one target's workload to its applied decision: which orchestrator calls a decision needs
 * (only those whose effect differs from what was last asked), queued on the target's {@link
 * ActuationQueue} through its {@link Actuator}, and what their outcomes mean for the target.
 * Confined to the target's actor, like the rest of its state; call outcomes come back as messages.
 *
 * <p>Crash-loop backoff: while {@link StartFailures} holds restarts back, no call adds replicas
 * (neither the leader's scale nor a follower's conditional wake); the count asked for is kept, and
 * {@link #reconcile} starts them once the actor sees the backoff end.
 */
final class WorkloadActuation {
    private static final Logger log = LoggerFactory.getLogger(WorkloadActuation.class);

    /** What this needs of its target's actor. */
    interface Target {
        /** Puts a message in the actor's mailbox (from any thread). */
        void post(Runnable message);

        /** Hands an event to the automaton (on the actor). */
        void deliver(Event event);

        /** Appends to the journal (on the actor). */
        void journal(JournalEntry.Kind kind, String message);

        /** Queues an observation (on the actor). */
        void observeNow();
    }

    private final TargetSpec spec;
    private final Orchestrator orchestrator;
    private final Actuator actuator;
    private final EngineTelemetry telemetry;
    private final Scheduler scheduler;
    private final ActuationQueue calls;
    private final TargetView view;
    private final StartFailures startFailures;
    private final Target target;

    /** The replica count last asked of the orchestrator; -1 when unknown (none yet, or it failed). */
    private int requestedReplicas = -1;
    /** Scale calls queued or running; while there are any, drift is not corrected. */
    private int pendingScales;
    private @Nullable Boolean requestedPaused;
    private @Nullable ResourceProfile requestedProfile;
    /** A follower asked for a conditional wake and has not yet seen a replica since. */
    private boolean wakeAsked;
    private boolean wakeUnavailableReported;

    WorkloadActuation(TargetSpec spec, Orchestrator orchestrator, Actuator actuator, EngineTelemetry telemetry,
            Scheduler scheduler, ActuationQueue calls, TargetView view, StartFailures startFailures, Target target) {
        this.spec = spec;
        this.orchestrator = orchestrator;
        this.actuator = actuator;
        this.telemetry = telemetry;
        this.scheduler = scheduler;
        this.calls = calls;
        this.view = view;
        this.startFailures = startFailures;
        this.target = target;
    }

    /** Forgets what was asked, so the next decision is compared with what is observed (a new leader). */
    void forget() {
        requestedReplicas = -1;
        requestedPaused = null;
        requestedProfile = null;
        wakeAsked = false;
    }

    /** A new observation arrived. */
    void observed(ObservedState state) {
        if (state.replicas() > 0) {
            wakeAsked = false;
        }
    }

    /**
     * Leader: queues the calls that bring the workload to {@code safe}, in this order: resume,
     * scale, pause, resize (replicas are unfrozen before their count changes, frozen after it
     * settled).
     */
    void apply(Decision safe) {
        boolean pauseChanged = !Objects.equals(requestedPaused, safe.paused()) && (requestedPaused != null || safe.paused());
        if (pauseChanged && !safe.paused()) {
            pause(false);
        }
        if (safe.replicas() != requestedReplicas) {
            if (requestedReplicas < 0 && safe.replicas() == view.observed().replicas()) {
                requestedReplicas = safe.replicas(); // already running what we want: no call
            } else {
                scale(safe.replicas(), safe.reason());
            }
        }
        if (pauseChanged && safe.paused()) {
            pause(true);
        }
        ResourceProfile profile = safe.profile();
        if (profile != null && !Objects.equals(requestedProfile, profile)) {
            resize(profile);
        }
    }

    /** Leader: a workload stopped behind our back is brought back to what we asked for. */
    void restoreIfStopped(Decision last) {
        int observed = view.observed().replicas();
        if (pendingScales == 0 && observed < last.replicas() && requestedReplicas == last.replicas()) {
            scale(last.replicas(), "observed " + observed + " replicas, want " + last.replicas());
        }
    }

    /** Leader: scales back to the last decision when the observation says the workload drifted. */
    void reconcile(Decision last) {
        int observed = view.observed().replicas();
        if (pendingScales == 0 && requestedReplicas >= 0 && observed != last.replicas()) {
            scale(last.replicas(), "reconcile: observed " + observed + ", want " + last.replicas());
        }
    }

    /**
     * Follower: the only write it makes. When it holds requests for a target observed at zero that
     * its automaton wants up, it asks for {@code max(current, 1)} through {@link ConditionalWake},
     * so the requests need not wait for the leader (or an election).
     */
    void wakeAsFollower(Decision safe) {
        if (safe.replicas() == 0 || view.observed().replicas() > 0 || view.requests().held() == 0 || wakeAsked) {
            return;
        }
        if (startFailures.holdsBackUntil(scheduler.clock().instant()) != null) {
            return; // crash-loop backoff: a follower must not restart a failing replica either
        }
        if (!(orchestrator instanceof ConditionalWake wake)) {
            if (!wakeUnavailableReported) {
                wakeUnavailableReported = true;
                target.journal(JournalEntry.Kind.SAFETY, "not the leader, and orchestrator '" + spec.ref().orchestrator()
                        + "' cannot wake conditionally: held requests wait for the leader");
            }
            return;
        }
        wakeAsked = true;
        String what = "wake " + spec.ref() + " if at zero";
        calls.submit(Kind.CONDITIONAL_WAKE, what, "wake", () -> actuator.call(what, () -> wake.wakeIfZero(spec.ref())),
                outcome -> target.post(() -> {
                    switch (outcome) {
                        case Outcome.Done<Boolean> done -> {
                            if (done.value()) {
                                target.journal(JournalEntry.Kind.DECISION, "not the leader: woke from zero (conditional, max(current, 1))");
                            }
                            if (!(orchestrator instanceof Endpoints)) {
                                target.observeNow();
                            }
                        }
                        case Outcome.Failed<Boolean> failed -> {
                            wakeAsked = false;
                            target.journal(JournalEntry.Kind.ACTUATION_FAILED, "conditional wake failed: " + failed.error().getMessage());
                        }
                        case Outcome.Skipped<Boolean> skipped -> wakeAsked = false;
                    }
                }));
    }

    private void scale(int replicas, String why) {
        requestedReplicas = replicas;
        Instant heldUntil = startFailures.holdsBackUntil(scheduler.clock().instant());
        if (replicas > view.observed().replicas() && heldUntil != null) {
            // Crash-loop backoff: the actor's reconcile starts the replicas once it ends.
            log.debug("target {}: scale to {} held back until {} ({})", spec.name(), replicas, heldUntil, why);
            return;
        }
        String what = "scale " + spec.ref() + " to " + replicas;
        boolean replaced = calls.submit(Kind.WRITE, what, "scale", () -> {
            Instant begin = scheduler.clock().instant();
            var span = telemetry.startActuation(spec.name(), spec.ref().orchestrator(), "scale", replicas);
            try {
                actuator.run(what, () -> orchestrator.scale(spec.ref(), replicas));
            } catch (RuntimeException e) {
                telemetry.actuation(spec.ref().orchestrator(), "scale", false, Duration.between(begin, scheduler.clock().instant()));
                telemetry.endActuation(span, e);
                throw e;
            }
            telemetry.actuation(spec.ref().orchestrator(), "scale", true, Duration.between(begin, scheduler.clock().instant()));
            telemetry.endActuation(span, null);
            return replicas;
        }, outcome -> target.post(() -> afterScale(replicas, outcome)));
        if (!replaced) {
            pendingScales++;
        }
        log.debug("target {}: scaling to {} ({})", spec.name(), replicas, why);
    }

    private void afterScale(int replicas, Outcome<Integer> outcome) {
        pendingScales--;
        switch (outcome) {
            case Outcome.Done<Integer> done -> {
                if (!(orchestrator instanceof Endpoints)) {
                    target.observeNow();
                }
            }
            case Outcome.Skipped<Integer> skipped -> {
                if (requestedReplicas == replicas) {
                    requestedReplicas = -1;
                }
                log.info("target {}: {}", spec.name(), skipped.reason());
            }
            case Outcome.Failed<Integer> failed -> {
                RuntimeException error = failed.error();
                if (requestedReplicas == replicas) {
                    requestedReplicas = -1;
                }
                target.journal(JournalEntry.Kind.ACTUATION_FAILED, "scale to " + replicas + " failed: " + error.getMessage());
                if (error.getCause() instanceof CallNotPermittedException) {
                    // Expected while the orchestrator is down; its failures were logged when they happened.
                    log.warn("target {}: scale to {} not attempted: {}", spec.name(), replicas, error.getMessage());
                } else {
                    log.warn("target {}: scale to {} failed", spec.name(), replicas, error);
                }
                target.deliver(new Event.ActuationFailed(error.getMessage() == null ? error.toString() : error.getMessage()));
            }
        }
    }

    private void pause(boolean pause) {
        requestedPaused = pause;
        if (!(orchestrator instanceof Pausable pausable)) {
            target.journal(JournalEntry.Kind.SAFETY, "orchestrator '" + spec.ref().orchestrator() + "' cannot pause; keeping replicas running");
            return;
        }
        String what = (pause ? "pause " : "resume ") + spec.ref();
        calls.submit(Kind.WRITE, what, null, () -> {
            actuator.run(what, () -> {
                if (pause) {
                    pausable.pause(spec.ref());
                } else {
                    pausable.resume(spec.ref());
                }
            });
            return pause;
        }, outcome -> target.post(() -> {
            if (outcome instanceof Outcome.Done<Boolean>) {
                return;
            }
            if (Objects.equals(requestedPaused, pause)) {
                requestedPaused = null;
            }
            if (outcome instanceof Outcome.Failed<Boolean> failed) {
                target.journal(JournalEntry.Kind.ACTUATION_FAILED, (pause ? "pause" : "resume") + " failed: " + failed.error().getMessage());
                target.deliver(new Event.ActuationFailed(String.valueOf(failed.error().getMessage())));
            }
        }));
    }

    private void resize(ResourceProfile profile) {
        requestedProfile = profile;
        if (!(orchestrator instanceof Resizable resizable)) {
            target.journal(JournalEntry.Kind.SAFETY, "orchestrator '" + spec.ref().orchestrator() + "' cannot resize; profile "
                    + profile.name() + " ignored");
            return;
        }
        String what = "resize " + spec.ref() + " to " + profile.name();
        calls.submit(Kind.WRITE, what, null, () -> {
            actuator.run(what, () -> resizable.resize(spec.ref(), profile));
            return profile;
        }, outcome -> target.post(() -> {
            if (outcome instanceof Outcome.Done<ResourceProfile>) {
                return;
            }
            if (Objects.equals(requestedProfile, profile)) {
                requestedProfile = null;
            }
            if (outcome instanceof Outcome.Failed<ResourceProfile> failed) {
                target.journal(JournalEntry.Kind.ACTUATION_FAILED, "resize failed: " + failed.error().getMessage());
            }
        }));
    }
}
