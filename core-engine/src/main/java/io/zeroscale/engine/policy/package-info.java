/**
 * User-defined automata ({@code automaton: custom}): states with replica expressions and
 * transitions guarded by CEL expressions, {@code for} durations and {@code after} timeouts. See
 * {@code core-engine/docs/custom-automata.md}.
 */
@NullMarked
package io.zeroscale.engine.policy;

import org.jspecify.annotations.NullMarked;
