package io.zeroscale.plugin.tempo;

import java.time.Duration;
import java.time.Instant;

/**
 * The time range a Tempo query reads, in whole epoch seconds: it ends {@code ingest-lag} before
 * now (Tempo does not return its newest data), aligned down to the step so that Tempo's steps and
 * ours coincide, and covers the engine's window rounded up to whole steps.
 */
record Window(long startSecond, long endSecond) {
    Window {
        if (endSecond <= startSecond) {
            throw new IllegalArgumentException("empty window " + startSecond + ".." + endSecond);
        }
    }

    static Window of(Instant now, Duration ingestLag, Duration window, long stepSeconds) {
        long end = Math.floorDiv(now.minus(ingestLag).getEpochSecond(), stepSeconds) * stepSeconds;
        long steps = Math.max(1, ceilDiv(Math.max(1, ceilDiv(window.toMillis(), 1000)), stepSeconds));
        return new Window(end - steps * stepSeconds, end);
    }

    /** Whole seconds of {@code window}, at least one: the default step of a metrics query. */
    static long seconds(Duration window) {
        return Math.max(1, ceilDiv(window.toMillis(), 1000));
    }

    private static long ceilDiv(long a, long b) {
        return -Math.floorDiv(-a, b);
    }

    long seconds() {
        return endSecond - startSecond;
    }

    @Override
    public String toString() {
        return Instant.ofEpochSecond(startSecond) + " and " + Instant.ofEpochSecond(endSecond);
    }
}
