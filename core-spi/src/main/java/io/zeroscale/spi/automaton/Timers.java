package io.zeroscale.spi.automaton;

import java.time.Duration;

/**
 * Named timers of one target. Setting a timer that is already set restarts it. A fired timer
 * arrives as {@link Event.TimerFired}; a cancelled one never arrives, even if it was due.
 */
public interface Timers {
    void set(String name, Duration after);

    void cancel(String name);

    boolean isSet(String name);
}
