package io.zeroscale.testkit;

import static java.util.Objects.requireNonNull;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.zeroscale.spi.ErrorType;
import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.orchestrator.ConditionalWake;
import io.zeroscale.spi.orchestrator.Drainable;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.Endpoints;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.Pausable;
import io.zeroscale.spi.orchestrator.Resizable;
import io.zeroscale.spi.orchestrator.ResourceProfile;
import io.zeroscale.spi.orchestrator.Workload;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link Orchestrator} must show, as a JUnit 5 suite a plugin's test extends
 * (like Micrometer's {@code *CompatibilityTest}). Each test is something a user of the daemon
 * would notice: a wake from zero that yields a reachable endpoint, a repeated scale that starts
 * nothing new, a daemon restart that leaves workloads running.
 *
 * <p>The subclass supplies {@link #newOrchestrator()} (a fresh instance over the same backend and
 * the same persisted state each call), {@link #newWorkload()} (a workload whose replicas serve
 * HTTP on their endpoints) and {@link #readinessTimeout()}. Before each test the suite creates an
 * orchestrator and attaches a fresh workload; after each test it scales the workload to zero,
 * waits until no replica is left, closes every orchestrator it created and then calls {@link
 * #tearDownBackend()}.
 *
 * <p>{@code newOrchestrator()} and {@code newWorkload()} are first called from this class's
 * {@code @BeforeEach}, which JUnit runs before the subclass's own: initialise what they need in
 * field initialisers, {@code @TempDir} fields or {@link #setUpBackend()}.
 */
public abstract class OrchestratorContract {
    private final List<Orchestrator> created = new ArrayList<>();
    private @Nullable HttpClient http;
    private @Nullable Orchestrator orchestrator;
    private @Nullable Workload workload;

    /**
     * A new orchestrator instance over the backend under test. Every call must see the same
     * backend and the same persisted state (data directory, cluster, account), as a restarted
     * daemon would. The suite closes every instance it gets.
     */
    protected abstract Orchestrator newOrchestrator();

    /**
     * A workload that no other test uses, with no replicas yet, whose replicas answer HTTP GET on
     * {@code /} at their endpoints.
     */
    protected abstract Workload newWorkload();

    /** How long a scaled-up replica may take to become ready (and a scaled-down one to go). */
    protected abstract Duration readinessTimeout();

    /**
     * The address the test sends HTTP to for a replica the orchestrator reported at {@code
     * endpoint}. The reachability seam: a backend whose replica addresses the test cannot reach
     * (an AWS emulator hands out private IPs where nothing listens) maps each one to a loopback
     * backend it started for that replica. The suite still compares the orchestrator's own
     * endpoints; only the HTTP checks go through this. Default: the endpoint itself.
     */
    protected Endpoint reachable(Endpoint endpoint) {
        return endpoint;
    }

    /**
     * A workload whose settings this orchestrator must refuse at {@link Orchestrator#attach}, with
     * the settings key the error must name; null (the default) reports {@link
     * #attachRejectsBadSettingsNamingTheKey} as skipped.
     */
    protected @Nullable BadWorkload badWorkload() {
        return null;
    }

    /**
     * A new orchestrator over a backend that cannot be reached (a socket or port nothing answers
     * on), configured like {@link #newOrchestrator()} otherwise; the suite closes it. Null (the
     * default) reports {@link #observeFailsWhileTheBackendCannotBeReached} as skipped.
     */
    protected @Nullable Orchestrator newOrchestratorWithBackendDown() {
        return null;
    }

    /**
     * Why this orchestrator's backend has no outage to simulate, or null (the default) when it has
     * one. Used only when {@link #newOrchestratorWithBackendDown()} gives null: a non-null reason
     * reports {@link #observeFailsWhileTheBackendCannotBeReached} as skipped with it. Only for a
     * backend that is not reached over anything that can fail on its own (e.g. the local process
     * table, which the daemon itself runs on), never for one whose outage is merely hard to set up.
     */
    protected @Nullable String whyTheBackendHasNoOutage() {
        return null;
    }

    /**
     * Why two instances of this orchestrator cannot drive one backend at once, or null (the
     * default) when they can, as several daemons (a leader and its followers) do. A non-null
     * reason reports {@link #twoInstancesOverOneBackendSeeTheSameReplicas} as skipped with it.
     * Only for a backend that forbids it by design (e.g. one engine per data directory), never
     * for one that merely fails the case.
     */
    protected @Nullable String whyTwoInstancesCannotShareTheBackend() {
        return null;
    }

    /**
     * Why this subclass's workload cannot be paused although the orchestrator is {@link Pausable},
     * or null (the default) when it can. A non-null reason reports {@link
     * #pauseThenResumeKeepsTheSameReplicasAndTheyAreReadyAgain} as skipped with it. Only for a
     * precondition the backend documents (e.g. an Auto Scaling group pauses only into a warm pool),
     * with a test of the orchestrator's own covering pause and resume where it is met.
     */
    protected @Nullable String whyTheWorkloadCannotPause() {
        return null;
    }

    /** See {@link #badWorkload()}: the workload, and the key its error must name (e.g. {@code replicas}). */
    public record BadWorkload(Workload workload, String key) {
        public BadWorkload {
            requireNonNull(workload, "workload is null");
            requireNonNull(key, "key is null");
        }
    }

    /**
     * Which of three ready replicas (oldest first) the {@link Drainable} case removes. Default: the
     * middle one, neither the oldest nor the newest, so that a backend that removes "some" replica
     * fails. A backend that can remove only its newest replicas (a StatefulSet removes its highest
     * ordinal, which its readyEndpoints list last) returns the last, and proves its refusal of the
     * others in its own tests.
     */
    protected Endpoint replicaToRemove(List<Endpoint> readyOldestFirst) {
        return readyOldestFirst.get(1);
    }

    /**
     * The resources the backend gives the replica at {@code endpoint} now, read back from the
     * backend itself (e.g. a container's inspected limits), with any name; null for a resource it
     * leaves as configured. The {@link Resizable} case compares it with the profile it applied.
     * Returning null (the default) reports {@link #resizeAppliesTheProfileToEveryReplica} as
     * skipped, saying that the subclass supplies no way to read resources back.
     */
    protected @Nullable ResourceProfile resourcesOf(Endpoint endpoint) {
        return null;
    }

    /**
     * The profile the {@link Resizable} case applies: one the backend can apply live. Default:
     * half a CPU and 64 MiB.
     */
    protected ResourceProfile profileToApply() {
        return new ResourceProfile("contract", 0.5, 64L * 1024 * 1024, null);
    }

    /**
     * A profile this orchestrator must refuse, with the field its error must name; null (the
     * default) reports {@link #resizeRefusesABadProfileNamingTheKey} as skipped.
     */
    protected @Nullable BadProfile badProfile() {
        return null;
    }

    /** See {@link #badProfile()}: the profile, and the key its error must name (e.g. {@code memory}). */
    public record BadProfile(ResourceProfile profile, String key) {
        public BadProfile {
            requireNonNull(profile, "profile is null");
            requireNonNull(key, "key is null");
        }
    }

    /** Runs before the suite creates its first orchestrator of a test. */
    protected void setUpBackend() throws Exception {}

    /**
     * Runs after each test, once the workload is scaled to zero and every orchestrator is closed:
     * release what the subclass holds and assert that nothing was left behind.
     */
    protected void tearDownBackend() throws Exception {}

    /** The orchestrator the current test drives (replaced by the restart test). */
    protected final Orchestrator orchestrator() {
        return requireNonNull(orchestrator, "orchestrator is not created yet");
    }

    /** The workload of the current test. */
    protected final Workload workload() {
        return requireNonNull(workload, "workload is not created yet");
    }

    protected final TargetRef target() {
        return workload().target();
    }

    @BeforeEach
    final void createOrchestratorAndWorkload() throws Exception {
        setUpBackend();
        http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        orchestrator = create();
        workload = newWorkload();
        orchestrator.attach(workload);
    }

    @AfterEach
    final void scaleToZeroAndClose() throws Exception {
        try {
            if (orchestrator != null && workload != null) {
                Orchestrator current = orchestrator;
                current.scale(target(), 0);
                awaitState(current, "no replica left after the test", s -> s.replicas() == 0
                        && s.readyReplicas() == 0
                        && s.readyEndpoints().isEmpty());
            }
        } finally {
            try {
                for (Orchestrator each : created) {
                    each.close();
                }
                created.clear();
                if (http != null) {
                    http.close();
                }
            } finally {
                tearDownBackend();
            }
        }
    }

    @Test
    void observeBeforeAnyScaleReportsNoReplicasAndNoEndpoints() {
        ObservedState state = orchestrator().observe(target());

        assertThat(state.replicas()).as("replicas of a workload never scaled").isZero();
        assertThat(state.readyReplicas()).as("ready replicas of a workload never scaled").isZero();
        assertThat(state.readyEndpoints()).as("endpoints of a workload never scaled").isEmpty();
    }

    @Test
    void scaleFromZeroToOneGivesOneReachableEndpoint() throws Exception {
        orchestrator().scale(target(), 1);

        ObservedState ready = awaitReady(orchestrator(), 1);
        assertThat(ready.replicas()).as("replicas").isEqualTo(1);
        assertAnswersHttp(ready.readyEndpoints().get(0));
    }

    @Test
    void scalingToTheCurrentCountChangesNothing() throws Exception {
        orchestrator().scale(target(), 1);
        ObservedState before = awaitReady(orchestrator(), 1);

        orchestrator().scale(target(), 1);
        orchestrator().scale(target(), 1);

        ObservedState after = orchestrator().observe(target());
        assertThat(after.desiredReplicas()).as("desired replicas after scaling to the current count twice").isEqualTo(1);
        assertThat(after.replicas()).as("replicas after scaling to the current count twice").isEqualTo(1);
        assertThat(after.readyEndpoints())
                .as("endpoints after scaling to the current count twice")
                .isEqualTo(before.readyEndpoints());
        // A duplicate replica may show up only after the call returned; watch for a while.
        assertStays("no second replica appears after a repeated scale",
                s -> s.replicas() == 1 && s.readyEndpoints().equals(before.readyEndpoints()));
        assertAnswersHttp(before.readyEndpoints().get(0));
    }

    /**
     * {@link ConditionalWake}: max(current, 1), as one step. Reported as skipped (with the reason)
     * for an orchestrator without the capability.
     */
    @Test
    void conditionalWakeStartsOneReplicaOnlyFromZero() throws Exception {
        assumeTrue(orchestrator() instanceof ConditionalWake,
                orchestrator().getClass().getSimpleName() + " does not implement ConditionalWake");
        ConditionalWake wake = (ConditionalWake) orchestrator();

        assertThat(wake.wakeIfZero(target())).as("wakeIfZero at zero").isTrue();
        assertThat(wake.wakeIfZero(target())).as("wakeIfZero again, a replica is starting").isFalse();
        ObservedState one = awaitReady(orchestrator(), 1);
        assertThat(one.replicas()).as("replicas after two wakes").isEqualTo(1);
        assertAnswersHttp(one.readyEndpoints().get(0));

        orchestrator().scale(target(), 2);
        awaitReady(orchestrator(), 2);
        assertThat(wake.wakeIfZero(target())).as("wakeIfZero at 2 replicas").isFalse();
        assertThat(orchestrator().observe(target()).replicas()).as("never lowers a count").isEqualTo(2);
    }

    @Test
    void scaleOneTwoZeroEndsWithNoReplicasAndNoEndpoints() throws Exception {
        orchestrator().scale(target(), 1);
        awaitReady(orchestrator(), 1);

        orchestrator().scale(target(), 2);
        ObservedState two = awaitReady(orchestrator(), 2);
        assertThat(two.replicas()).as("replicas after scaling to 2").isEqualTo(2);
        assertThat(two.readyEndpoints()).as("endpoints of two replicas").doesNotHaveDuplicates();
        for (Endpoint endpoint : two.readyEndpoints()) {
            assertAnswersHttp(endpoint);
        }

        orchestrator().scale(target(), 0);
        ObservedState zero = awaitState(orchestrator(), "no replicas after scaling to 0", s -> s.replicas() == 0);
        assertThat(zero.readyReplicas()).as("ready replicas after scaling to 0").isZero();
        assertThat(zero.readyEndpoints()).as("endpoints after scaling to 0").isEmpty();
    }

    @Test
    void closeLeavesWorkloadsRunningForTheNextInstance() throws Exception {
        orchestrator().scale(target(), 1);
        ObservedState before = awaitReady(orchestrator(), 1);

        orchestrator().close();
        created.remove(orchestrator());
        Orchestrator next = create();
        orchestrator = next;
        next.attach(workload());

        ObservedState after = awaitReady(next, 1);
        assertThat(after.replicas()).as("replicas seen by the next instance").isEqualTo(1);
        assertThat(after.readyEndpoints())
                .as("endpoints seen by the next instance (the same replica, not a new one)")
                .isEqualTo(before.readyEndpoints());
        assertAnswersHttp(after.readyEndpoints().get(0));
    }

    /**
     * A restarted daemon adopts every replica of a workload at N &gt; 1, the same ones (no
     * replacement, none added or stopped), with the desired count the previous instance left.
     */
    @Test
    void adoptionAtMoreThanOneReplicaKeepsEveryReplica() throws Exception {
        orchestrator().scale(target(), 2);
        ObservedState before = awaitReady(orchestrator(), 2);

        orchestrator().close();
        created.remove(orchestrator());
        Orchestrator next = create();
        orchestrator = next;
        next.attach(workload());

        ObservedState after = awaitReady(next, 2);
        assertThat(after.desiredReplicas()).as("desired replicas seen by the next instance").isEqualTo(2);
        assertThat(after.replicas()).as("replicas seen by the next instance").isEqualTo(2);
        assertThat(after.readyEndpoints())
                .as("endpoints seen by the next instance (the same replicas, oldest first)")
                .isEqualTo(before.readyEndpoints());
        next.scale(target(), 2);
        assertThat(next.observe(target()).readyEndpoints()).as("scale(current) after adoption").isEqualTo(before.readyEndpoints());
        for (Endpoint endpoint : after.readyEndpoints()) {
            assertAnswersHttp(endpoint);
        }
    }

    /** {@link ObservedState#readyEndpoints()} lists the oldest replica first, as the engine's drain choice relies on. */
    @Test
    void readyEndpointsListTheOldestReplicaFirst() throws Exception {
        orchestrator().scale(target(), 1);
        Endpoint first = awaitReady(orchestrator(), 1).readyEndpoints().get(0);

        orchestrator().scale(target(), 2);
        ObservedState two = awaitReady(orchestrator(), 2);

        assertThat(two.readyEndpoints().get(0)).as("the first replica leads the list").isEqualTo(first);
    }

    /**
     * {@link Drainable}: removes exactly the replicas named, lowers the desired count by as many
     * (so {@code scale} to the new count changes nothing), and is idempotent. Reported as skipped
     * (with the reason) for an orchestrator without the capability.
     */
    @Test
    void drainableRemovesExactlyTheNamedReplicas() throws Exception {
        assumeTrue(orchestrator() instanceof Drainable,
                orchestrator().getClass().getSimpleName() + " does not implement Drainable");
        Drainable drainable = (Drainable) orchestrator();
        orchestrator().scale(target(), 3);
        List<Endpoint> three = awaitReady(orchestrator(), 3).readyEndpoints();
        Endpoint gone = requireNonNull(replicaToRemove(three), "replicaToRemove() returned null");
        List<Endpoint> kept = three.stream().filter(endpoint -> !endpoint.equals(gone)).toList();

        drainable.remove(target(), List.of(gone));

        ObservedState two = awaitState(orchestrator(), "the named replica gone, the others kept",
                s -> s.readyEndpoints().equals(kept) && s.replicas() == 2);
        assertThat(two.desiredReplicas()).as("desired replicas after removing one of 3").isEqualTo(2);

        drainable.remove(target(), List.of(gone));
        orchestrator().scale(target(), 2);
        assertStays("removing again and scaling to the new count change nothing",
                s -> s.readyEndpoints().equals(kept) && s.replicas() == 2 && s.desiredReplicas() == 2);
        for (Endpoint endpoint : kept) {
            assertAnswersHttp(endpoint);
        }
    }

    /**
     * {@link Pausable}: {@code pause} freezes every replica (none serves, every one is counted
     * paused, none is released) and {@code resume} unfreezes them, so the same replicas are ready
     * again. Both are idempotent: twice is once, and resuming replicas that are not paused changes
     * nothing. Reported as skipped (with the reason) for an orchestrator without the capability.
     */
    @Test
    void pauseThenResumeKeepsTheSameReplicasAndTheyAreReadyAgain() throws Exception {
        Pausable pausable = pausableOrSkip();
        orchestrator().scale(target(), 2);
        List<Endpoint> two = awaitReady(orchestrator(), 2).readyEndpoints();

        pausable.resume(target());
        assertStays("resume of replicas that are not paused changes nothing",
                s -> s.pausedReplicas() == 0 && s.replicas() == 2 && s.readyEndpoints().equals(two));

        pausable.pause(target());
        pausable.pause(target());
        ObservedState paused = awaitState(orchestrator(), "both replicas paused, none serving",
                s -> s.pausedReplicas() == 2 && s.readyReplicas() == 0 && s.readyEndpoints().isEmpty());
        assertThat(paused.replicas()).as("replicas while paused (kept, not released)").isEqualTo(2);
        assertThat(paused.desiredReplicas()).as("desired replicas while paused").isEqualTo(2);

        pausable.resume(target());
        pausable.resume(target());
        ObservedState resumed = awaitState(orchestrator(), "both replicas resumed and ready",
                s -> s.pausedReplicas() == 0 && s.readyReplicas() == 2 && s.readyEndpoints().size() == 2);
        assertThat(resumed.readyEndpoints()).as("endpoints after pause and resume (the same replicas, none replaced)")
                .isEqualTo(two);
        assertThat(resumed.replicas()).as("replicas after pause and resume").isEqualTo(2);
        for (Endpoint endpoint : resumed.readyEndpoints()) {
            assertAnswersHttp(endpoint);
        }
    }

    /**
     * {@link Pausable}'s promise the engine's PAUSED -> ZERO relies on: {@code scale(0)} of a paused
     * workload releases its paused replicas as they are, with no {@code resume} first, and ends the
     * pause: none is left, paused or not, and a {@code resume} afterwards brings none back.
     * Reported as skipped (with the reason) for an orchestrator without the capability, or when the
     * subclass's workload cannot pause ({@link #whyTheWorkloadCannotPause()}).
     */
    @Test
    void scaleToZeroOfAPausedWorkloadReleasesItsPausedReplicas() throws Exception {
        Pausable pausable = pausableOrSkip();
        orchestrator().scale(target(), 2);
        awaitReady(orchestrator(), 2);
        pausable.pause(target());
        awaitState(orchestrator(), "both replicas paused", s -> s.pausedReplicas() == 2 && s.readyReplicas() == 0);

        orchestrator().scale(target(), 0);

        ObservedState released = awaitState(orchestrator(), "no replica left, paused or not, after scale(0) of a paused workload",
                s -> s.replicas() == 0 && s.pausedReplicas() == 0 && s.readyReplicas() == 0 && s.readyEndpoints().isEmpty());
        assertThat(released.desiredReplicas()).as("desired replicas after scale(0) of a paused workload").isZero();
        pausable.resume(target());
        assertStays("a resume after the scale(0) brings no replica back (the pause ended with it)",
                s -> s.replicas() == 0 && s.pausedReplicas() == 0 && s.desiredReplicas() == 0 && s.readyEndpoints().isEmpty());
    }

    /**
     * {@link Resizable}: {@code resize} applies the profile to every replica (as the backend reports
     * their resources through {@link #resourcesOf}), and is idempotent; the replicas keep serving.
     * Reported as skipped (with the reason) for an orchestrator without the capability, or when
     * the subclass cannot read resources back.
     */
    @Test
    void resizeAppliesTheProfileToEveryReplica() throws Exception {
        assumeTrue(orchestrator() instanceof Resizable,
                orchestrator().getClass().getSimpleName() + " does not implement Resizable");
        Resizable resizable = (Resizable) orchestrator();
        orchestrator().scale(target(), 2);
        List<Endpoint> two = awaitReady(orchestrator(), 2).readyEndpoints();
        assumeTrue(resourcesOf(two.get(0)) != null, getClass().getSimpleName() + " supplies no resourcesOf(Endpoint)");
        ResourceProfile profile = requireNonNull(profileToApply(), "profileToApply() returned null");

        resizable.resize(target(), profile);
        resizable.resize(target(), profile);

        // A backend that applies a profile by replacing replicas (a Kubernetes rollout) has the new
        // ones ready before the last old one is gone: done when only the two resized ones are left.
        ObservedState resized = awaitState(orchestrator(), "2 replicas, ready with the profile applied",
                s -> s.replicas() == 2 && s.readyEndpoints().size() == 2
                        && s.readyEndpoints().stream().allMatch(e -> applied(profile, e)));
        for (Endpoint endpoint : resized.readyEndpoints()) {
            ResourceProfile seen = requireNonNull(resourcesOf(endpoint), "resourcesOf(" + endpoint + ")");
            assertThat(seen.cpus()).as("cpus of the replica at %s", endpoint).isEqualTo(profile.cpus());
            assertThat(seen.memoryBytes()).as("memory of the replica at %s", endpoint).isEqualTo(profile.memoryBytes());
            assertAnswersHttp(endpoint);
        }
        assertThat(resized.replicas()).as("replicas after resizing twice").isEqualTo(2);
    }

    /**
     * A profile the backend cannot apply is refused with {@code CONFIG_INVALID} naming the field,
     * and the replicas keep the resources they had and keep serving. Reported as skipped (with the
     * reason) when the subclass supplies no {@link #badProfile()}, or for an orchestrator without
     * {@link Resizable}.
     */
    @Test
    void resizeRefusesABadProfileNamingTheKey() throws Exception {
        assumeTrue(orchestrator() instanceof Resizable,
                orchestrator().getClass().getSimpleName() + " does not implement Resizable");
        BadProfile supplied = badProfile();
        assumeTrue(supplied != null, getClass().getSimpleName() + " supplies no badProfile()");
        BadProfile bad = requireNonNull(supplied);
        Resizable resizable = (Resizable) orchestrator();
        orchestrator().scale(target(), 1);
        Endpoint one = awaitReady(orchestrator(), 1).readyEndpoints().get(0);
        ResourceProfile before = resourcesOf(one);

        assertThatThrownBy(() -> resizable.resize(target(), bad.profile()))
                .as("resize to a profile with a bad '%s'", bad.key())
                .isInstanceOfSatisfying(ZeroscaleException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(StandardErrorCode.CONFIG_INVALID);
                    assertThat(e.getMessage()).contains(bad.key());
                });

        ObservedState after = orchestrator().observe(target());
        assertThat(after.readyEndpoints()).as("endpoints after the refused resize").containsExactly(one);
        if (before != null) {
            assertThat(resourcesOf(one)).as("resources of the replica after the refused resize").isEqualTo(before);
        }
        assertAnswersHttp(one);
    }

    private boolean applied(ResourceProfile profile, Endpoint endpoint) {
        ResourceProfile seen = resourcesOf(endpoint);
        return seen != null && java.util.Objects.equals(seen.cpus(), profile.cpus())
                && java.util.Objects.equals(seen.memoryBytes(), profile.memoryBytes());
    }

    /**
     * Bad settings are refused at attach with {@code CONFIG_INVALID} naming the key, and the refusal
     * loses nothing: the orchestrator still drives the workloads it had. Reported as skipped (with
     * the reason) when the subclass supplies no {@link #badWorkload()}.
     */
    @Test
    void attachRejectsBadSettingsNamingTheKey() throws Exception {
        BadWorkload supplied = badWorkload();
        assumeTrue(supplied != null, getClass().getSimpleName() + " supplies no badWorkload()");
        BadWorkload bad = requireNonNull(supplied);

        assertThatThrownBy(() -> orchestrator().attach(bad.workload()))
                .as("attach of a workload with a bad '%s'", bad.key())
                .isInstanceOfSatisfying(ZeroscaleException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(StandardErrorCode.CONFIG_INVALID);
                    assertThat(e.getMessage()).contains(bad.key());
                });

        orchestrator().scale(target(), 1);
        assertAnswersHttp(awaitReady(orchestrator(), 1).readyEndpoints().get(0));
    }

    /**
     * Unknown is not zero: while the backend cannot be reached, {@code observe} throws a {@link
     * ZeroscaleException} of an external type, never a state with zero replicas. Reported as
     * skipped (with the reason, or {@link #whyTheBackendHasNoOutage()}'s) when the subclass supplies
     * no {@link #newOrchestratorWithBackendDown()}.
     */
    @Test
    void observeFailsWhileTheBackendCannotBeReached() {
        Orchestrator supplied = newOrchestratorWithBackendDown();
        String noOutage = whyTheBackendHasNoOutage();
        assumeTrue(supplied != null, getClass().getSimpleName() + (noOutage != null ? ": " + noOutage
                : " supplies no newOrchestratorWithBackendDown()"));
        Orchestrator down = requireNonNull(supplied);
        created.add(down);
        try {
            // An orchestrator may check its backend at attach; if it does, it must say so the same way.
            down.attach(workload());
        } catch (ZeroscaleException e) {
            assertThat(e.errorCode().type()).as("type of the error at attach: %s", e.getMessage()).isEqualTo(ErrorType.EXTERNAL);
        }

        assertThatThrownBy(() -> down.observe(target()))
                .as("observe while the backend cannot be reached")
                .isInstanceOfSatisfying(ZeroscaleException.class, e -> assertThat(e.errorCode().type())
                        .as("type of the error: %s", e.getMessage()).isEqualTo(ErrorType.EXTERNAL));
    }

    /**
     * {@link Orchestrator#detach} forgets the workload and leaves it exactly as it is: its replicas
     * keep running and answering, a watch opened before hears of nothing that happens after, and
     * detaching again does nothing. Attaching it again adopts the same replicas with the same
     * desired count. (The SPI promises no refusal of calls after detach, only that the engine makes
     * none, so none is asserted.)
     */
    @Test
    void detachLeavesTheWorkloadRunningAndAReattachAdoptsTheSameReplicas() throws Exception {
        List<WorkloadEvent> heard = new CopyOnWriteArrayList<>();
        Subscription watch = orchestrator() instanceof Endpoints endpoints
                ? endpoints.watch(target(), heard::add)
                : Subscription.NONE;
        try {
            orchestrator().scale(target(), 2);
            ObservedState before = awaitReady(orchestrator(), 2);

            orchestrator().detach(workload());
            orchestrator().detach(workload());

            for (Endpoint endpoint : before.readyEndpoints()) {
                assertAnswersHttp(endpoint);
            }
            orchestrator().attach(workload());
            ObservedState after = awaitReady(orchestrator(), 2);
            assertThat(after.desiredReplicas()).as("desired replicas after detach and attach").isEqualTo(2);
            assertThat(after.replicas()).as("replicas after detach and attach").isEqualTo(2);
            assertThat(after.readyEndpoints())
                    .as("endpoints after detach and attach (the same replicas, none replaced)")
                    .isEqualTo(before.readyEndpoints());

            // A change after the detach, which the watch opened before it must not hear of. (An
            // event already on its way when detach returned may still arrive: it carries no 1.)
            orchestrator().scale(target(), 1);
            awaitState(orchestrator(), "one replica after scaling the re-attached workload to 1",
                    s -> s.replicas() == 1 && s.readyEndpoints().size() == 1);
            await("the watch opened before the detach hears nothing of the scale to 1")
                    .during(Duration.ofMillis(500))
                    .atMost(Duration.ofSeconds(5))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> heard.stream().noneMatch(event -> event instanceof WorkloadEvent.Changed changed
                            && changed.state().desiredReplicas() == 1));
        } finally {
            watch.close();
        }
    }

    /**
     * Two instances over one backend (two daemons, or a leader and a follower) attached to one
     * workload see the same replicas: a scale by one is seen by the other's {@code observe}, and
     * {@code scale(current)} by the other changes nothing. Reported as skipped with the reason when
     * {@link #whyTwoInstancesCannotShareTheBackend()} gives one.
     */
    @Test
    void twoInstancesOverOneBackendSeeTheSameReplicas() throws Exception {
        String unsupported = whyTwoInstancesCannotShareTheBackend();
        assumeTrue(unsupported == null, getClass().getSimpleName() + ": " + unsupported);
        Orchestrator first = orchestrator();
        Orchestrator second = create();
        second.attach(workload());

        first.scale(target(), 1);
        List<Endpoint> one = awaitReady(first, 1).readyEndpoints();
        ObservedState seen = awaitReady(second, 1);
        assertThat(seen.replicas()).as("replicas the second instance sees").isEqualTo(1);
        assertThat(seen.readyEndpoints()).as("endpoints the second instance sees").isEqualTo(one);

        second.scale(target(), 1);
        await("scale(current) by the second instance changes nothing either sees")
                .during(Duration.ofMillis(500))
                .atMost(Duration.ofSeconds(5))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> List.of(first.observe(target()), second.observe(target())),
                        states -> states.stream().allMatch(s -> s.replicas() == 1 && s.readyEndpoints().equals(one)));

        second.scale(target(), 2);
        ObservedState two = awaitReady(first, 2);
        assertThat(two.readyEndpoints().get(0)).as("the first replica, kept, leads what the first instance sees")
                .isEqualTo(one.get(0));
        assertThat(awaitReady(second, 2).readyEndpoints())
                .as("endpoints the second instance sees after its scale to 2")
                .isEqualTo(two.readyEndpoints());
        for (Endpoint endpoint : two.readyEndpoints()) {
            assertAnswersHttp(endpoint);
        }
    }

    /** Polls {@code observe} until {@code ready} replicas are ready with as many endpoints. */
    protected final ObservedState awaitReady(Orchestrator driver, int ready) {
        return awaitState(
                driver,
                ready + " ready replica(s) with as many endpoints",
                s -> s.readyReplicas() == ready && s.readyEndpoints().size() == ready);
    }

    /** Polls {@code observe} until {@code condition} holds, for at most {@link #readinessTimeout()}. */
    protected final ObservedState awaitState(
            Orchestrator driver, String description, Predicate<ObservedState> condition) {
        return await(description)
                .atMost(readinessTimeout())
                .pollInterval(Duration.ofMillis(50))
                .until(() -> driver.observe(target()), condition);
    }

    /**
     * Asserts that {@code condition} holds for the whole of half a second (polled every 50 ms, for
     * at most 5 s): a change that would break it may show up only after the call returned.
     */
    private void assertStays(String description, Predicate<ObservedState> condition) {
        await(description)
                .during(Duration.ofMillis(500))
                .atMost(Duration.ofSeconds(5))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> orchestrator().observe(target()), condition);
    }

    /**
     * The orchestrator as {@link Pausable}; skips the test (with the reason) for one without the
     * capability, or when the subclass's workload cannot pause ({@link #whyTheWorkloadCannotPause()}).
     */
    private Pausable pausableOrSkip() {
        assumeTrue(orchestrator() instanceof Pausable,
                orchestrator().getClass().getSimpleName() + " does not implement Pausable");
        String cannotPause = whyTheWorkloadCannotPause();
        assumeTrue(cannotPause == null, String.valueOf(cannotPause));
        return (Pausable) orchestrator();
    }

    /**
     * Asserts that {@code endpoint} answers an HTTP GET on {@code /} with a non-error status, sent
     * to the address {@link #reachable} maps it to.
     */
    protected final void assertAnswersHttp(Endpoint endpoint) throws IOException, InterruptedException {
        Endpoint target = requireNonNull(reachable(endpoint), "reachable() returned null");
        String host = target.host().contains(":") ? "[" + target.host() + "]" : target.host();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + host + ":" + target.port() + "/"))
                .timeout(Duration.ofSeconds(10))
                .GET()
                .build();
        HttpResponse<String> response =
                requireNonNull(http, "http client").send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode())
                .as("status of GET / on ready endpoint %s", endpoint)
                .isBetween(200, 499);
    }

    private Orchestrator create() {
        Orchestrator instance = requireNonNull(newOrchestrator(), "newOrchestrator() returned null");
        created.add(instance);
        return instance;
    }

}
