package io.zeroscale.spi.targets;

/**
 * Receives a {@link TargetSource}'s changes. Implemented by the engine's side (the daemon); sources
 * only call it.
 */
@FunctionalInterface
public interface TargetListener {
    /**
     * Records in {@code problems} every problem {@link #onChange} would refuse {@code change} for,
     * without applying anything: a source that found problems of its own (a file that does not
     * pass its schema) calls it so one run reports them all. Same thread rules as {@link
     * #onChange}; idempotent; the default checks nothing.
     */
    default void check(TargetChange change, io.zeroscale.spi.ConfigProblems problems) {}

    /**
     * Applies {@code change} all or nothing: every definition is checked first (orchestrator,
     * workload settings, policy, route), and when any problem is found nothing changes.
     *
     * <p>Called by the source on its own thread, one call at a time per source (a source must not
     * call concurrently with itself); blocks while the change is checked and applied (workloads
     * are attached, which may call the backend). Not idempotent: adding a target that exists, or
     * updating or removing one that does not, is a problem.
     *
     * @throws io.zeroscale.spi.ZeroscaleException {@code CONFIG_INVALID} (or {@code NOT_FOUND})
     *     naming every problem with its {@code targets.<name>} path and fix; the running targets
     *     are then as they were, and the source should keep its previous view
     */
    void onChange(TargetChange change);
}
