/**
 * The built-in automata: {@code zero-to-n} (the lifecycle policy), {@code target-tracking} (the Kubernetes HPA v2 algorithm, also reusable as
 * {@link io.zeroscale.engine.automata.TargetTracker}), {@code threshold}, {@code step},
 * {@code schedule} and {@code latency-band}. Each is a pure {@link
 * io.zeroscale.spi.automaton.Automaton}: it reads time, signals and observed state from the {@link
 * io.zeroscale.spi.automaton.TargetContext} it is handed and keeps no reference to it.
 */
@NullMarked
package io.zeroscale.engine.automata;

import org.jspecify.annotations.NullMarked;
