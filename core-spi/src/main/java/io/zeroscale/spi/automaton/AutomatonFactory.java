package io.zeroscale.spi.automaton;

import io.zeroscale.spi.PluginContext;

/** Creates automata of one {@link #type()}, selected by a policy's {@code automaton:} key. */
public interface AutomatonFactory {
    /** e.g. {@code zero-to-n}, {@code target-tracking}. */
    String type();

    /**
     * Validates {@code spec.settings()} strictly and builds a fresh automaton for one target. Also
     * used by {@code zeroscale validate} and simulations, so it must not touch any backend.
     *
     * @throws io.zeroscale.spi.ZeroscaleException {@code POLICY_INVALID} or {@code CONFIG_INVALID}
     *     naming the path and the fix
     */
    Automaton create(AutomatonSpec spec, PluginContext context);
}
