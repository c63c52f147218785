package io.zeroscale.spi;

/**
 * Who decides when several daemons run over the same workloads: only the leader actuates (scale,
 * pause, resume, resize) and raises alerts. Every replica still serves its gateway, so routes and
 * answers to its own held requests go on without leadership; a follower may wake a target from
 * zero only through {@link io.zeroscale.spi.orchestrator.ConditionalWake}, so no request waits for
 * an election.
 *
 * <p>Supplied by a plugin through {@link LeadershipFactory} (a Kubernetes Lease, for instance) or
 * given to the SDK's builder; without one the engine uses {@link #always()}: one process is its
 * own leader.
 *
 * <p>Threading: {@link #isLeader()} is called from any thread, before every actuation, and must
 * answer from memory without blocking. Implementations are thread-safe.
 */
public interface Leadership extends AutoCloseable {
    /**
     * True while this process holds leadership. A holder that is unsure (its lease is about to
     * expire and could not be renewed) answers false: writing twice is worse than waiting.
     */
    boolean isLeader();

    /**
     * Calls {@code listener} after {@link #isLeader()} may have changed, on any thread; the
     * listener reads {@link #isLeader()} again and must not block. Spurious calls are allowed.
     *
     * @return closing it stops the calls
     */
    Subscription subscribe(Runnable listener);

    /** Gives up leadership (if held) and releases resources. Idempotent; never throws. */
    @Override
    default void close() {}

    /** One process, always the leader: the default when no plugin supplies leadership. */
    static Leadership always() {
        return new Leadership() {
            @Override
            public boolean isLeader() {
                return true;
            }

            @Override
            public Subscription subscribe(Runnable listener) {
                return Subscription.NONE; // never changes
            }

            @Override
            public String toString() {
                return "always the leader (one process)";
            }
        };
    }
}
