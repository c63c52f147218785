package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.engine.ActuationQueueTest.TestLeadership;
import org.junit.jupiter.api.Test;

/** When a target's actor leads, and which changes it reports. */
class LeaderRoleTest {
    private final TestLeadership leadership = new TestLeadership(false);
    private final LeaderRole role = new LeaderRole(leadership);

    @Test
    void beforeTheActorBeginsNoChangeIsReportedAndBeginReadsLeadership() {
        leadership.set(true);
        assertThat(role.recheck()).isEqualTo(LeaderRole.Change.NONE);
        assertThat(role.leads()).as("not read yet").isFalse();

        role.begin();
        assertThat(role.leads()).isTrue();
        assertThat(role.recheck()).as("begin already read it").isEqualTo(LeaderRole.Change.NONE);
    }

    @Test
    void gainingAndLosingAreReportedOnceEach() {
        role.begin();
        assertThat(role.leads()).isFalse();

        leadership.set(true);
        assertThat(role.recheck()).isEqualTo(LeaderRole.Change.GAINED);
        assertThat(role.leads()).isTrue();
        assertThat(role.recheck()).isEqualTo(LeaderRole.Change.NONE);

        leadership.set(false);
        assertThat(role.recheck()).isEqualTo(LeaderRole.Change.LOST);
        assertThat(role.leads()).isFalse();
        assertThat(LeaderRole.Change.GAINED.journal()).contains("restarting the automaton from Start");
        assertThat(LeaderRole.Change.LOST.journal()).contains("writes stop");
    }
}
