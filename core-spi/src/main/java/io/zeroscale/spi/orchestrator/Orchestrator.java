package io.zeroscale.spi.orchestrator;

import io.zeroscale.spi.TargetRef;

/**
 * Drives one backend (a Kubernetes cluster, an AWS account, Docker hosts, local processes): reads
 * a workload's state and sets its replica count. Optional abilities are separate interfaces an
 * implementation may add: {@link Endpoints}, {@link Pausable}, {@link Resizable}, {@link
 * Drainable}.
 *
 * <p>Threading and order, as the engine guarantees them: every call for one target ({@link
 * #observe}, {@link #scale}, and the capabilities' calls alike) goes through that target's call
 * queue, so at most one call per target runs at a time, and calls run in the order the target's
 * decisions were made. Within one decision the order is: {@link Pausable#resume}, {@link #scale},
 * {@link Pausable#pause}, {@link Resizable#resize} (replicas are unfrozen before their count
 * changes, frozen after it settled). Two exceptions keep the queue short and are safe because
 * calls are idempotent: a {@code scale} still waiting is replaced by a newer {@code scale} (only
 * the newest count is asked for), and a waiting {@code observe} (or {@link
 * ConditionalWake#wakeIfZero}) absorbs a newer one. Different targets are called concurrently
 * (from virtual threads), so implementations must be thread-safe across targets. Calls may block
 * on I/O. Not queued: {@link #attach}, {@link #detach} and {@link #close} (see each) and {@link Endpoints#watch} (registered once when the target starts, and may
 * overlap a queued call; its events arrive on the orchestrator's own threads).
 *
 * <p>Leadership: when several daemons run (see {@link io.zeroscale.spi.Leadership}), the engine
 * checks leadership right before each write ({@code scale}, pause, resume, resize) and does not
 * make it on a follower; {@code observe} and {@link ConditionalWake#wakeIfZero} are the only calls a
 * follower makes.
 *
 * <p>Errors: a backend that cannot be reached or refuses a call throws {@link
 * io.zeroscale.spi.ZeroscaleException} with {@code ORCHESTRATOR_UNAVAILABLE} (or the plugin's own
 * code of type {@code EXTERNAL}); the engine retries with backoff and never treats a failed
 * observation as zero replicas.
 */
public interface Orchestrator extends AutoCloseable {
    /**
     * Declares a workload before the first {@link #observe} or {@link #scale} of it, so the
     * orchestrator can validate its settings and prepare (e.g. adopt what a previous run left).
     * Called once per target before its first call: at startup on the main thread, or when a
     * target is added while running (a config reload, a {@link io.zeroscale.spi.targets.TargetSource})
     * on the thread that adds it. A workload {@linkplain #detach detached} earlier may be attached
     * again, with the same or other settings.
     *
     * @throws io.zeroscale.spi.ZeroscaleException {@code CONFIG_INVALID} naming the bad key
     */
    default void attach(Workload workload) {}

    /**
     * Forgets {@code workload}: the target was removed from the engine (a config reload dropped it,
     * or its workload reference changed, which is a removal plus an addition). Stop watching it,
     * cancel probes and timers, and release what is kept for it, but leave the workload exactly as
     * it is: running replicas keep running, nothing is scaled, paused or deleted. State that lets a
     * later {@link #attach} (or a restarted daemon) adopt its replicas may stay.
     *
     * <p>Called by the engine on the thread that removes the target (a reload's thread, an SDK
     * caller), not through the target's call queue: the engine has closed that queue, but a call
     * already running may still return after this one; it must not fail because of it, and its
     * result is ignored. After this returns the engine makes no new call for the workload until it
     * is attached again. Idempotent: detaching a workload that is not attached does nothing. Must
     * not throw; a failure to release something is logged by the implementation. The default does
     * nothing, for orchestrators that keep no per-workload state.
     */
    default void detach(Workload workload) {}

    /**
     * Reads the current state of {@code target} from the backend, not from a cache that may be
     * stale. Used at startup (to rebuild state after a restart) and as the polling fallback.
     */
    ObservedState observe(TargetRef target);

    /**
     * Makes {@code target} run {@code replicas} replicas. Idempotent: asking for the current count
     * changes nothing. Returns once the backend accepted the request, not when replicas are ready;
     * readiness arrives through {@link Endpoints#watch} or later observations.
     */
    void scale(TargetRef target, int replicas);

    /**
     * Releases the backend's resources (connections, watches). Leaves workloads running as they
     * are: shutting the daemon down never scales anything.
     */
    @Override
    void close();
}
