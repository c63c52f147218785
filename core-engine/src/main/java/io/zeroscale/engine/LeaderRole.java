package io.zeroscale.engine;

import io.zeroscale.spi.Leadership;

/**
 * Whether a target's actor acts as the leader, and when that changes. The actor reads leadership
 * once when it starts and again whenever the plugin says it may have changed; {@link #recheck()}
 * says what changed. Losing it only stops writes (routes go on); gaining it makes the actor start
 * its automaton over from {@code Start} with a fresh observation, because whatever it decided as a
 * follower, or long ago as a leader, may be stale. Confined to the target's actor.
 */
final class LeaderRole {
    /** What a recheck found. */
    enum Change {
        NONE(""),
        LOST("no longer the leader: routes go on, writes stop"),
        GAINED("became the leader: restarting the automaton from Start with a fresh observation");

        private final String journal;

        Change(String journal) {
            this.journal = journal;
        }

        /** The journal's words for it. */
        String journal() {
            return journal;
        }
    }

    private final Leadership leadership;
    /** {@link #begin()} ran: leadership is tracked from then on. */
    private boolean begun;
    private boolean leader;

    LeaderRole(Leadership leadership) {
        this.leadership = leadership;
    }

    /** The actor starts: reads leadership for the first time. */
    void begin() {
        begun = true;
        leader = leadership.isLeader();
    }

    /** True when this daemon writes (scale, pause, resume, resize) and sends alerts for the target. */
    boolean leads() {
        return leader;
    }

    /** Leadership may have changed: reads it again. Before {@link #begin()}, nothing changes. */
    Change recheck() {
        if (!begun) {
            return Change.NONE; // begin() reads leadership itself, after this change
        }
        boolean now = leadership.isLeader();
        if (now == leader) {
            return Change.NONE;
        }
        leader = now;
        return now ? Change.GAINED : Change.LOST;
    }
}
