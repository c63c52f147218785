package io.zeroscale.spi.traffic;

/**
 * A gateway's request counters for one target at one moment. Counters are snapshots, so a lost or
 * repeated report does no harm: the engine keeps the newest of each gateway. The monotonic
 * counters are this gateway's own since it started; the engine adds up each gateway's increases
 * (a counter that went down means the gateway restarted), so counters of several gateways never
 * mix. What an automaton reads ({@code TargetContext.requests()}) is that sum over the gateways,
 * with monotonic totals counted by the engine.
 *
 * @param held requests waiting for a ready endpoint now
 * @param inFlight requests forwarded and not yet finished now (an open stream or WebSocket counts
 *     until it closes)
 * @param arrivals requests received since the gateway started (monotonic)
 * @param completed requests finished since the gateway started (monotonic)
 * @param latencySecondsSum the summed latency of the completed requests, in seconds
 * @param overflowed requests refused since the gateway started because the target's hold queue
 *     was full (monotonic; they are also counted in {@code arrivals})
 */
public record RequestStats(int held, int inFlight, long arrivals, long completed, double latencySecondsSum, long overflowed) {
    public static final RequestStats IDLE = new RequestStats(0, 0, 0, 0, 0, 0);

    /** Counters of a gateway that refused nothing for overflow (or does not count it). */
    public RequestStats(int held, int inFlight, long arrivals, long completed, double latencySecondsSum) {
        this(held, inFlight, arrivals, completed, latencySecondsSum, 0);
    }

    public RequestStats {
        if (held < 0 || inFlight < 0 || arrivals < 0 || completed < 0 || overflowed < 0) {
            throw new IllegalArgumentException("request counters must not be negative");
        }
    }

    /** True when no request is held or in flight. */
    public boolean quiet() {
        return held == 0 && inFlight == 0;
    }
}
