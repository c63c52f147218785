package io.zeroscale.engine.automaton;

import io.zeroscale.spi.automaton.TargetContext;

/**
 * An automaton that can say when its {@code Tick} would change nothing. The engine ticks every
 * target once per {@code tick} so that what depends on time alone is seen; a built-in automaton
 * that sets a timer for every such deadline needs the tick only while something is pending that
 * no timer covers (a stabilization window or rate policy holding a change back). The engine then
 * skips the ticks of a quiet target (100,000 targets ticking each second saturate a core).
 * Automata without this interface are ticked as before.
 */
public interface NeedsTicks {
    /**
     * Whether the next {@code Tick} could change the decision; asked on the actor thread after each
     * event, with the same context. When false, the automaton must be correct without ticks: every
     * time-dependent transition has a timer set, and everything else arrives as an event.
     */
    boolean needsTicks(TargetContext context);
}
