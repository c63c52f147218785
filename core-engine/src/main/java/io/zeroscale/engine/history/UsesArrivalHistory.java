package io.zeroscale.engine.history;

/**
 * An automaton that predicts from its target's arrival history. The engine hands it the history
 * right after creating it (on the thread that creates it, before the first event); the automaton
 * only reads it, on its actor thread.
 */
public interface UsesArrivalHistory {
    void useArrivalHistory(ArrivalHistory history);
}
