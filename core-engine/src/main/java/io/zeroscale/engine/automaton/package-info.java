/**
 * Every automaton the engine ships, built-in and custom, in one place. The built-ins: {@code
 * zero-to-n} (the lifecycle policy), {@code target-tracking} (the Kubernetes HPA v2 algorithm, also
 * reusable as {@link io.zeroscale.engine.automaton.TargetTracker}), {@code threshold}, {@code
 * step}, {@code schedule} and {@code latency-band}. User-defined automata ({@code automaton:
 * custom}, {@link io.zeroscale.engine.automaton.CustomAutomaton}): states with replica expressions
 * and transitions guarded by CEL expressions, {@code for} durations and {@code after} timeouts; see
 * {@code core-engine/docs/custom-automata.md}.
 *
 * <p>Each is a pure {@link io.zeroscale.spi.automaton.Automaton}: it reads time, signals and
 * observed state from the {@link io.zeroscale.spi.automaton.TargetContext} it is handed and keeps
 * no reference to it.
 */
@NullMarked
package io.zeroscale.engine.automaton;

import org.jspecify.annotations.NullMarked;
