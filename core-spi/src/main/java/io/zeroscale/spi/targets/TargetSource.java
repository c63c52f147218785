package io.zeroscale.spi.targets;

import io.zeroscale.spi.Subscription;

/**
 * Supplies targets while the engine runs: the daemon's config file (reloaded when it changes), and
 * what plugins add (e.g. Kubernetes custom resources). Each source owns the targets it defined: it
 * may update and remove only those, and a name must be unique across sources.
 *
 * <p>Lifecycle: created by the daemon (for its config file) or by a plugin (the Kubernetes plugin
 * will add one for custom resources, with a factory type of its own), {@link #subscribe}d once
 * after the engine started, {@link #close}d when the daemon stops. Closing a source does not
 * remove its targets: stopping the daemon never touches a workload.
 */
public interface TargetSource extends AutoCloseable {
    /**
     * Starts delivering: first what the source defines now (one {@link TargetChange} that adds
     * every target, or one per item when the items are independent, such as Kubernetes custom
     * resources, so one refused item does not hold back the others; skipped when it defines none;
     * the daemon's config file is the exception, as its targets at startup are built with the
     * engine and checked with the rest of the file), then each change as it happens. Called once, by the
     * daemon's main thread; returns at once, changes arrive on the source's own thread, one at a
     * time. A change the listener refuses (it throws) must be reported by the source (logged, and
     * returned to whoever asked for it) and leaves the source's view as it was before that change.
     *
     * @return closing it stops the deliveries
     */
    Subscription subscribe(TargetListener listener);

    /** Stops watching and releases resources. Idempotent; never throws; leaves targets running. */
    @Override
    default void close() {}
}
