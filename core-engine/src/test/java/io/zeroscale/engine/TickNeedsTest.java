package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.engine.ActuationQueueTest.TestLeadership;
import io.zeroscale.engine.time.VirtualScheduler;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import io.zeroscale.spi.traffic.RequestStats;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Whether a target's next tick could do anything, and the tick schedule set from it after each message; virtual time. */
class TickNeedsTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final TrafficSettings SETTINGS = new TrafficSettings(Duration.ofSeconds(15), Duration.ofMinutes(10));
    private final VirtualScheduler time = new VirtualScheduler(T0);
    private final List<Instant> ticked = new ArrayList<>();
    private final TickSchedule schedule = new TickSchedule(time, Duration.ofSeconds(1), Runnable::run,
            () -> ticked.add(time.now()));
    private final TargetView view = new TargetView(TargetRef.of("local", "Process", "app"), Set.of(), time,
            new ActorTimers(time, Runnable::run, name -> {}), () -> 0);
    private final OperatorControls operator = new OperatorControls(new OperatorControls.Target() {
        @Override
        public void journal(JournalEntry.Kind kind, String message) {}

        @Override
        public void save(SavedState.Operator operator) {}
    });
    private final TrafficReports reports = new TrafficReports(SETTINGS, gateway -> null);
    private final StartFailures startFailures = new StartFailures(StartFailureSettings.DEFAULTS);
    private final TestLeadership leadership = new TestLeadership(true);
    private final LeaderRole role = new LeaderRole(leadership);
    private boolean listenersNeedTicks;
    private boolean started = true;
    private boolean unsettled;
    private boolean automatonNeedsTicks;
    private final TickNeeds.Target target = new TickNeeds.Target() {
        @Override
        public boolean started() {
            return started;
        }

        @Override
        public boolean unsettled() {
            return unsettled;
        }

        @Override
        public boolean automatonNeedsTicks() {
            return automatonNeedsTicks;
        }
    };
    private final TickNeeds ticks = ticks(true);

    TickNeedsTest() {
        role.begin();
    }

    private TickNeeds ticks(boolean watched) {
        return new TickNeeds(schedule, watched, new SignalPoller(List.of(), Map.of(), time, Runnable::run, (name, value) -> {}),
                operator, reports, () -> listenersNeedTicks, view, startFailures, role, target);
    }

    @Test
    void aQuietTargetNeedsNoTickAndStopsTicking() {
        ticks.begin();
        started = false;
        ticks.afterMessage();
        assertThat(schedule.ticking()).as("not observed yet: the tick observes it").isTrue();

        started = true;
        ticks.afterMessage();
        assertThat(ticks.needed()).isFalse();
        assertThat(schedule.ticking()).isFalse();
        time.advance(Duration.ofHours(1));
        assertThat(ticked).isEmpty();
        assertThat(time.pending()).as("nothing left scheduled").isZero();
    }

    @Test
    void nothingIsScheduledBeforeTheTargetStartsNorAfterItCloses() {
        automatonNeedsTicks = true;
        ticks.afterMessage();
        assertThat(schedule.ticking()).isFalse();

        ticks.begin();
        ticks.afterMessage();
        assertThat(schedule.ticking()).isTrue();
        ticks.close();
        ticks.afterMessage();
        assertThat(schedule.ticking()).isFalse();
        time.advance(Duration.ofMinutes(1));
        assertThat(ticked).isEmpty();
    }

    @Test
    void eachThingATickWouldDoMakesItNeeded() {
        assertThat(ticks.needed()).isFalse();
        assertThat(ticks(false).needed()).as("a workload that is not watched is polled by the tick").isTrue();

        operator.override(3, Duration.ofMinutes(5), "alice", T0);
        assertThat(ticks.needed()).as("an override waits to expire").isTrue();
        operator.override(null, null, "alice", T0);
        assertThat(ticks.needed()).isFalse();

        listenersNeedTicks = true;
        assertThat(ticks.needed()).as("alert rules want every tick's decision").isTrue();
        listenersNeedTicks = false;

        view.requests(new RequestStats(1, 0, 1, 0, 0, 0));
        assertThat(ticks.needed()).as("a request is held").isTrue();
        view.requests(RequestStats.IDLE);

        automatonNeedsTicks = true;
        assertThat(ticks.needed()).as("the automaton has something time-dependent").isTrue();
        automatonNeedsTicks = false;

        startFailures.failed(new WorkloadEvent.ReplicaFailed("app-1", "exit 3", List.of()), T0);
        assertThat(ticks.needed()).as("a start-failure streak runs").isTrue();
    }

    @Test
    void aSilentGatewayNeedsTicksToBeHeardAgain() {
        reports.report("a", RequestStats.IDLE, T0);
        assertThat(ticks.needed()).isFalse();
        reports.refresh(T0.plusSeconds(16));
        assertThat(ticks.needed()).isTrue();
    }

    @Test
    void driftIsReconciledOnlyByTheLeaderWithAutomationOn() {
        unsettled = true;
        assertThat(ticks.needed()).isTrue();

        operator.pause(true, "alice");
        assertThat(ticks.needed()).as("paused: hands off").isFalse();
        operator.pause(false, "alice");

        leadership.set(false);
        role.recheck();
        assertThat(ticks.needed()).as("a follower does not write").isFalse();
    }

    @Test
    void aQuietTargetWithAGatewayTicksOnceAtItsTtl() {
        ticks.begin();
        reports.report("a", RequestStats.IDLE, T0);
        ticks.afterMessage();
        assertThat(schedule.ticking()).isFalse();
        assertThat(schedule.wakeUpAt()).isEqualTo(T0.plus(SETTINGS.reporterTtl()).plusNanos(1));

        time.advance(Duration.ofMinutes(1));
        assertThat(ticked).containsExactly(T0.plus(SETTINGS.reporterTtl()).plusNanos(1));
    }
}
