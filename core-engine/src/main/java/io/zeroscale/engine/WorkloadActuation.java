package io.zeroscale.engine;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.zeroscale.engine.ActuationQueue.Kind;
import io.zeroscale.engine.ActuationQueue.Outcome;
import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.automaton.Event;
import io.zeroscale.spi.orchestrator.ConditionalWake;
import io.zeroscale.spi.orchestrator.Drainable;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.Endpoints;
import io.zeroscale.spi.orchestrator.GatewayBypass;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.Pausable;
import io.zeroscale.spi.orchestrator.Resizable;
import io.zeroscale.spi.orchestrator.ResourceProfile;
import io.zeroscale.spi.traffic.Route;
import io.zeroscale.spi.traffic.Routing;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
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
 *
 * <p>Failed calls: a write that failed (after the actuator's own retries, or refused at once by an
 * open circuit breaker) is not made again before a delay that starts at {@value
 * #RETRY_FIRST_SECONDS} s and doubles up to {@value #RETRY_MAX_SECONDS} s, reset by the next write
 * that succeeds. Without it, the automaton's answer to {@link Event.ActuationFailed} (usually the
 * same decision) would make the same call again at once, in a loop as fast as the breaker refuses.
 *
 * <p>Clients that bypass the gateway while warm ({@link GatewayBypass}, leader only): the client
 * path each decision needs is asked in the call queue before its scale; a route that drains is
 * withheld (the replicas keep being forwarded to) until the switch to the gateway returned, so the
 * gateway sees every new request before the drain starts.
 */
final class WorkloadActuation {
    private static final Logger log = LoggerFactory.getLogger(WorkloadActuation.class);
    static final long RETRY_FIRST_SECONDS = 1;
    static final long RETRY_MAX_SECONDS = 60;

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

        /** The leaving replicas changed: publish the route again (on the actor). */
        void routeChanged();
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
    private final ReplicaDrains drains = new ReplicaDrains();
    /** After a failed write: no write before this moment (null: none failed since the last success). */
    private @Nullable Instant retryAt;
    private Duration retryDelay = Duration.ZERO;
    /** The orchestrator, when this target's clients bypass the gateway while warm; else null. */
    private final @Nullable GatewayBypass bypass;
    /** The client path last asked: true the replicas, false the gateway, null none yet (or it failed). */
    private @Nullable Boolean requestedDirect;
    /** The last switch to the gateway returned and nothing was asked since: a drain may start. */
    private boolean throughGateway;
    /** Numbers the client path calls, so the outcome of an older one changes nothing. */
    private long pathCalls;

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
        this.bypass = orchestrator instanceof GatewayBypass b && bypasses(b, spec) ? b : null;
    }

    private static boolean bypasses(GatewayBypass orchestrator, TargetSpec spec) {
        try {
            return orchestrator.bypassesGateway(spec.ref());
        } catch (RuntimeException e) {
            log.warn("target {}: could not tell whether its clients bypass the gateway; taking that they do not",
                    spec.name(), e);
            return false;
        }
    }

    /** Forgets what was asked, so the next decision is compared with what is observed (a new leader). */
    void forget() {
        requestedReplicas = -1;
        requestedPaused = null;
        requestedProfile = null;
        wakeAsked = false;
        if (drains.choosing()) {
            drains.cancelChosen();
            pendingScales--;
        }
        retryAt = null;
        retryDelay = Duration.ZERO;
        requestedDirect = null;
        throughGateway = false;
    }

    /** A new observation arrived. */
    void observed(ObservedState state) {
        if (state.replicas() > 0 || state.desiredReplicas() > 0) {
            wakeAsked = false;
        }
        int target = drains.chosenTarget();
        drains.observed(state);
        if (target >= 0 && !drains.choosing()) {
            // The chosen replicas vanished before they were drained (crashed, removed by someone else).
            pendingScales--;
            scale(target, "chosen replicas gone before their drain ended");
        }
    }

    /** True while some replica is being drained or removed by the engine (its route is not the plain one). */
    boolean replicasLeaving() {
        return drains.anyLeaving();
    }

    /**
     * The route for {@code routing}: what the safety rules allow, minus the replicas on their way out;
     * forwarding instead of draining while {@link #drainWithheld}.
     */
    Route route(Routing routing, Route.@Nullable Refusal refusal, boolean leader) {
        return drains.route(drainWithheld(routing, leader) ? Routing.FORWARD : routing, view.observed(), refusal);
    }

    /**
     * True when {@code routing} drains a target whose clients bypass the gateway and the leader's
     * switch of its clients to the gateway has not returned yet: the drain waits for it.
     */
    boolean drainWithheld(Routing routing, boolean leader) {
        return bypass != null && leader && routing == Routing.DRAIN && !throughGateway;
    }

    /**
     * The backend announced it will remove {@code endpoints}: they are drained first, then (with
     * {@link Drainable}) released with {@link Drainable#remove}. Any daemon's gateway drains; only
     * the leader releases them.
     */
    void announced(List<Endpoint> endpoints) {
        drains.announce(endpoints);
        target.routeChanged();
    }

    /**
     * The gateway reported {@code endpoints} drained. Removes a chosen drain's replicas once all
     * drained (leader only), releases announced ones; returns the endpoints this was not draining,
     * for the automaton (a drain to zero is the automaton's).
     */
    List<Endpoint> drained(List<Endpoint> endpoints, boolean leader) {
        ReplicaDrains.Drained result = drains.drained(endpoints);
        if (!result.removeChosen().isEmpty()) {
            pendingScales--;
            if (leader) {
                remove(result.removeChosen(), "drained for the scale-down to " + result.target());
                // Not coalesced with a scale still waiting: that one would keep its earlier place
                // and run before the removal, letting the backend pick the replicas after all.
                scale(result.target(), "after removing the drained replicas " + result.removeChosen(), null);
            }
            target.routeChanged();
        }
        if (!result.releaseAnnounced().isEmpty()) {
            if (leader && orchestrator instanceof Drainable) {
                remove(result.releaseAnnounced(), "drained before the backend removes them");
            }
            target.routeChanged();
        }
        return result.unclaimed();
    }

    /**
     * Leader: queues the calls that bring the workload to {@code safe}, in this order: resume,
     * scale, pause, resize (replicas are unfrozen before their count changes, frozen after it
     * settled). A decision that unpauses and scales to 0 makes no resume: the scale to 0 releases
     * the paused replicas as they are.
     */
    void apply(Decision safe) {
        Instant waitUntil = retryAt;
        if (waitUntil != null && scheduler.clock().instant().isBefore(waitUntil)) {
            return; // a write failed a moment ago: a later decision (the next tick) tries again
        }
        boolean pauseChanged = !Objects.equals(requestedPaused, safe.paused()) && (requestedPaused != null || safe.paused());
        if (pauseChanged && !safe.paused()) {
            if (safe.replicas() == 0 && requestedReplicas != 0 && orchestrator instanceof Pausable) {
                // PAUSED -> ZERO: the scale to 0 below releases the paused replicas too (Pausable's
                // promise, which every Pausable orchestrator passes as the testkit contract case
                // scaleToZeroOfAPausedWorkloadReleasesItsPausedReplicas); resuming them first would
                // start them only to stop them again (a warm pool's instances would be started from
                // the pool and scaled back into it).
                requestedPaused = false;
            } else {
                pause(false);
            }
        }
        int chosenTarget = drains.chosenTarget();
        if (chosenTarget >= 0 && safe.replicas() != chosenTarget) {
            // A newer decision wants another count: the chosen replicas go back to serving, and
            // the count is decided afresh below (possibly with a new, larger drain).
            drains.cancelChosen();
            pendingScales--;
            requestedReplicas = -1;
            target.routeChanged();
        }
        clientPath(safe);
        if (safe.replicas() != requestedReplicas) {
            int current = requestedReplicas >= 0 ? requestedReplicas : view.observed().desiredReplicas();
            if (requestedReplicas < 0 && safe.replicas() == view.observed().desiredReplicas()) {
                requestedReplicas = safe.replicas(); // the backend already wants what we want: no call
            } else if (orchestrator instanceof Drainable && safe.replicas() > 0 && safe.replicas() < current
                    && !ReplicaDrains.pick(view.observed(), safe.replicas()).isEmpty()) {
                drainThenRemove(safe.replicas());
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

    /**
     * Leader: a scale-down from N to M &gt; 0 that drains its replicas first. The replicas to go
     * are chosen by {@link ReplicaDrains#pick} (the newest ready ones); the route lists them as
     * draining; once the gateway reported them drained (or its drain-timeout passed), {@link
     * #drained} removes exactly those and then scales to M. Counted as a pending scale meanwhile,
     * so drift correction waits for it.
     */
    private void drainThenRemove(int replicas) {
        List<Endpoint> chosen = ReplicaDrains.pick(view.observed(), replicas);
        requestedReplicas = replicas;
        pendingScales++;
        drains.choose(chosen, replicas);
        target.journal(JournalEntry.Kind.DECISION, "draining " + chosen + " (the newest ready replicas) before removing them,"
                + " to go down to " + replicas);
        target.routeChanged();
    }

    /**
     * Leader, for a target whose clients bypass the gateway: asks for the client path {@code safe}
     * needs (the replicas while it forwards to at least one, else the gateway) when it differs from
     * the last one asked. Queued before the decision's scale; a drain starts once the switch to the
     * gateway returned ({@link #drainWithheld}).
     */
    private void clientPath(Decision safe) {
        GatewayBypass orchestrator = bypass;
        if (orchestrator == null) {
            return;
        }
        boolean direct = safe.routing() == Routing.FORWARD && safe.replicas() > 0;
        if (Objects.equals(requestedDirect, direct)) {
            return;
        }
        requestedDirect = direct;
        throughGateway = false;
        long call = ++pathCalls;
        String what = (direct ? "send the clients of " + spec.ref() + " to its replicas"
                : "send the clients of " + spec.ref() + " through the gateway");
        calls.submit(Kind.WRITE, what, "client-path", () -> {
            actuator.run(what, () -> {
                if (direct) {
                    orchestrator.sendDirect(spec.ref());
                } else {
                    orchestrator.sendThroughGateway(spec.ref());
                }
            });
            return direct;
        }, outcome -> target.post(() -> {
            if (call != pathCalls) {
                return; // a newer switch was asked since
            }
            switch (outcome) {
                case Outcome.Done<Boolean> done -> {
                    succeeded();
                    if (!direct) {
                        throughGateway = true;
                        target.routeChanged(); // a drain that waited for it starts now
                    }
                }
                case Outcome.Skipped<Boolean> skipped -> requestedDirect = null;
                case Outcome.Failed<Boolean> failed -> {
                    requestedDirect = null;
                    target.journal(JournalEntry.Kind.ACTUATION_FAILED, what + " failed: " + failed.error().getMessage()
                            + (direct ? "" : "; no drain starts before it succeeded") + "; next try in " + recordFailure()
                            + " s or later");
                }
            }
        }));
        log.debug("target {}: {}", spec.name(), what);
    }

    private void remove(List<Endpoint> endpoints, String why) {
        if (!(orchestrator instanceof Drainable drainable)) {
            return;
        }
        String what = "remove " + endpoints + " of " + spec.ref();
        calls.submit(Kind.WRITE, what, null, () -> {
            actuator.run(what, () -> drainable.remove(spec.ref(), endpoints));
            return endpoints;
        }, outcome -> target.post(() -> {
            if (outcome instanceof Outcome.Failed<List<Endpoint>> failed) {
                // The replicas stay out of the route; the scale queued behind this call removes
                // replicas anyway (the backend picks), so the count still goes down.
                target.journal(JournalEntry.Kind.ACTUATION_FAILED, "removing " + endpoints + " failed: " + failed.error().getMessage());
            }
        }));
        log.debug("target {}: removing {} ({})", spec.name(), endpoints, why);
    }

    /** Leader: a workload stopped behind our back is brought back to what we asked for. */
    void restoreIfStopped(Decision last) {
        int observed = view.observed().desiredReplicas();
        if (pendingScales == 0 && observed < last.replicas() && requestedReplicas == last.replicas()) {
            scale(last.replicas(), "observed " + observed + " replicas, want " + last.replicas());
        }
    }

    /**
     * True while a tick could still do something here: the backend's desired count is not what
     * {@code last} decided (a tick reconciles), a write failed and waits for its retry (the next
     * decision after {@code retryAt} makes it), a scale is in flight, or replicas are being drained.
     */
    boolean unsettled(Decision last) {
        return view.observed().desiredReplicas() != last.replicas() || retryAt != null || pendingScales != 0
                || drains.anyLeaving();
    }

    /** Leader: scales back to the last decision when the observation says the workload drifted. */

    void reconcile(Decision last) {
        // The backend's desired count, not what exists: replicas appearing or becoming ready is
        // the backend at work, not drift, and must not cause a write.
        int observed = view.observed().desiredReplicas();
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
        if (safe.replicas() == 0 || view.observed().replicas() > 0 || view.observed().desiredReplicas() > 0
                || view.requests().held() == 0 || wakeAsked) {
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
        scale(replicas, why, "scale");
    }

    private void scale(int replicas, String why, @Nullable String key) {
        requestedReplicas = replicas;
        Instant heldUntil = startFailures.holdsBackUntil(scheduler.clock().instant());
        if (replicas > view.observed().replicas() && heldUntil != null) {
            // Crash-loop backoff: the actor's reconcile starts the replicas once it ends.
            log.debug("target {}: scale to {} held back until {} ({})", spec.name(), replicas, heldUntil, why);
            return;
        }
        String what = "scale " + spec.ref() + " to " + replicas;
        boolean replaced = calls.submit(Kind.WRITE, what, key, () -> {
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
                succeeded();
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
                target.journal(JournalEntry.Kind.ACTUATION_FAILED, "scale to " + replicas + " failed: " + error.getMessage()
                        + "; next try in " + recordFailure() + " s or later");
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
            if (!pause) {
                target.observeNow(); // a wake from PAUSED waits for an observation made after it
            }
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
                succeeded();
                if (!pause) {
                    // A wake from PAUSED trusts only replicas observed ready after the resume: look now
                    // rather than wait for the backend's event or the next tick.
                    target.observeNow();
                }
                return;
            }
            if (Objects.equals(requestedPaused, pause)) {
                requestedPaused = null;
            }
            if (outcome instanceof Outcome.Failed<Boolean> failed) {
                target.journal(JournalEntry.Kind.ACTUATION_FAILED, (pause ? "pause" : "resume") + " failed: " + failed.error().getMessage()
                        + "; next try in " + recordFailure() + " s or later");
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
                succeeded();
                return;
            }
            if (Objects.equals(requestedProfile, profile)) {
                requestedProfile = null;
            }
            if (outcome instanceof Outcome.Failed<ResourceProfile> failed) {
                target.journal(JournalEntry.Kind.ACTUATION_FAILED, "resize failed: " + failed.error().getMessage()
                        + "; next try in " + recordFailure() + " s or later");
            }
        }));
    }

    private void succeeded() {
        retryAt = null;
        retryDelay = Duration.ZERO;
    }

    /** Records a failed write; returns the seconds until the next may be made. */
    private long recordFailure() {
        retryDelay = retryDelay.isZero() ? Duration.ofSeconds(RETRY_FIRST_SECONDS)
                : min(retryDelay.multipliedBy(2), Duration.ofSeconds(RETRY_MAX_SECONDS));
        retryAt = scheduler.clock().instant().plus(retryDelay);
        return retryDelay.toSeconds();
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
