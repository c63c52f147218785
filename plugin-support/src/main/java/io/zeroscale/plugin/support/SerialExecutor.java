package io.zeroscale.plugin.support;

import static java.util.Objects.requireNonNull;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one at a time, in submission order, on a delegate executor. The orchestrators deliver
 * one workload's watch events through one of these, so listeners hear them in the order they
 * happened without the orchestrator holding the workload's lock while a listener runs. A task
 * that throws is logged and the next one runs. Thread-safe: {@link #execute} may be called from
 * any thread; once the delegate rejects work (it was shut down) queued tasks are dropped.
 */
public final class SerialExecutor implements Executor {
    private static final Logger log = LoggerFactory.getLogger(SerialExecutor.class);

    private final Executor delegate;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();

    /** Runs tasks on {@code delegate}, at most one at a time. */
    public SerialExecutor(Executor delegate) {
        this.delegate = requireNonNull(delegate, "delegate is null");
    }

    @Override
    public void execute(Runnable task) {
        tasks.add(requireNonNull(task, "task is null"));
        startDraining();
    }

    private void startDraining() {
        if (!draining.compareAndSet(false, true)) {
            return;
        }
        try {
            delegate.execute(this::drain);
        } catch (RejectedExecutionException e) {
            // The executor is shut down: nobody is left to deliver to.
            draining.set(false);
            tasks.clear();
            log.debug("dropped tasks: the executor rejected them", e);
        }
    }

    private void drain() {
        try {
            Runnable task;
            while ((task = tasks.poll()) != null) {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    log.warn("a serial task failed", e);
                }
            }
        } finally {
            draining.set(false);
            // A task added between the last poll and the reset above must not be stranded.
            if (!tasks.isEmpty()) {
                startDraining();
            }
        }
    }
}
