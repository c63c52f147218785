package io.zeroscale.engine;

import io.zeroscale.spi.Leadership;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * One target's orchestrator calls, {@code observe} included, run one at a time in the order they
 * were submitted (the order of the target's decisions), on the blocking executor. This is what
 * makes the {@link io.zeroscale.spi.orchestrator.Orchestrator} SPI's promise true: a backend never
 * sees two calls for one target at once, nor a resume overtaken by the scale decided after it.
 *
 * <p>Leadership is checked right before each write runs, not when it was queued: a daemon that
 * lost leadership while a call waited does not make it. A waiting call with the same key as a new
 * one is replaced by it (the newest scale is the only one worth making; one waiting observation is
 * enough): it keeps its place in the queue and the replaced call never completes.
 *
 * <p>{@link #submit} is called from the target's actor; completions run on the blocking thread
 * that made the call and are expected to post back to the actor.
 */
final class ActuationQueue {
    /** What a call may do, which decides whether a follower may make it. */
    enum Kind {
        /** Reads the backend ({@code observe}); any daemon. */
        READ,
        /** Changes the backend (scale, pause, resume, resize); the leader only. */
        WRITE,
        /** {@link io.zeroscale.spi.orchestrator.ConditionalWake#wakeIfZero}: safe from any daemon. */
        CONDITIONAL_WAKE
    }

    /** How a call ended. */
    sealed interface Outcome<T> {
        /** The call returned {@code value}. */
        record Done<T>(T value) implements Outcome<T> {}

        /** The call threw. */
        record Failed<T>(RuntimeException error) implements Outcome<T> {}

        /** The call was not made, because {@code reason}. */
        record Skipped<T>(String reason) implements Outcome<T> {}
    }

    private final String target;
    private final Executor blocking;
    private final Leadership leadership;
    private final ArrayDeque<Call<?>> waiting = new ArrayDeque<>();
    private boolean running;
    private boolean closed;
    /** The queue that took over from this one; starts once this one's running call returned. */
    private @Nullable ActuationQueue successor;

    ActuationQueue(String target, Executor blocking, Leadership leadership) {
        this.target = target;
        this.blocking = blocking;
        this.leadership = leadership;
    }

    /**
     * Queues {@code body} behind every call submitted before it.
     *
     * @param key calls with equal non-null keys coalesce while waiting (the newest replaces the
     *     older in place)
     * @param done told how the call ended; not called for a replaced call
     * @return true when the call replaced a waiting one instead of adding to the queue
     */
    <T> boolean submit(Kind kind, String what, @Nullable String key, Supplier<T> body, Consumer<Outcome<T>> done) {
        Call<T> call = new Call<>(kind, what, key, body, done);
        synchronized (this) {
            if (closed) {
                return false;
            }
            if (key != null) {
                for (Iterator<Call<?>> it = waiting.descendingIterator(); it.hasNext(); ) {
                    Call<?> older = it.next();
                    if (key.equals(older.key)) {
                        replace(older, call);
                        return true;
                    }
                }
            }
            waiting.addLast(call);
            if (running) {
                return false;
            }
            running = true;
        }
        startDraining();
        return false;
    }

    /** Calls waiting or running, for status and tests. */
    synchronized int size() {
        return waiting.size() + (running ? 1 : 0);
    }

    /** Drops waiting calls; a running call finishes, and nothing is called after it. */
    synchronized void close() {
        closed = true;
        waiting.clear();
    }

    /**
     * Closes this queue and returns the one that replaces it for the same target (the target was
     * reconfigured and its actor replaced): the new queue's calls wait until the call this one is
     * running (if any) returned, so the backend still sees one call at a time for the target.
     */
    ActuationQueue handOver() {
        ActuationQueue next = new ActuationQueue(target, blocking, leadership);
        next.running = true; // holds its calls until released below
        boolean releaseNow;
        synchronized (this) {
            closed = true;
            waiting.clear();
            releaseNow = !running;
            if (!releaseNow) {
                successor = next;
            }
        }
        if (releaseNow) {
            next.release();
        }
        return next;
    }

    /** The queue this one took over from is idle: run what waited meanwhile. */
    private void release() {
        synchronized (this) {
            if (waiting.isEmpty()) {
                running = false;
                return;
            }
        }
        startDraining();
    }

    /** Runs the waiting calls on a blocking thread; the caller has set {@code running}. */
    private void startDraining() {
        try {
            blocking.execute(this::drain);
        } catch (RejectedExecutionException e) {
            // The engine is closing: its executor is gone, and so is the need to call anyone.
            synchronized (this) {
                running = false;
                waiting.clear();
            }
        }
    }

    private void finished() {
        ActuationQueue next;
        synchronized (this) {
            running = false;
            next = successor;
            successor = null;
        }
        if (next != null) {
            next.release();
        }
    }

    private void replace(Call<?> older, Call<?> newer) {
        // ArrayDeque has no set(index): rebuild in order, which keeps the newer call in the older one's place.
        ArrayDeque<Call<?>> rebuilt = new ArrayDeque<>(waiting.size());
        for (Call<?> call : waiting) {
            rebuilt.addLast(call == older ? newer : call);
        }
        waiting.clear();
        waiting.addAll(rebuilt);
    }

    private void drain() {
        while (true) {
            Call<?> next;
            ActuationQueue after = null;
            synchronized (this) {
                next = waiting.pollFirst();
                if (next == null) {
                    // In the same step as the poll: a call submitted after it starts a new drain.
                    running = false;
                    after = successor;
                    successor = null;
                }
            }
            if (next == null) {
                if (after != null) {
                    after.release();
                }
                return;
            }
            try {
                next.run();
            } catch (Throwable e) {
                // An Error (or a throwing completion) must not leave the queue marked busy forever.
                finished();
                throw e;
            }
        }
    }

    private final class Call<T> {
        final Kind kind;
        final String what;
        final @Nullable String key;
        final Supplier<T> body;
        final Consumer<Outcome<T>> done;

        Call(Kind kind, String what, @Nullable String key, Supplier<T> body, Consumer<Outcome<T>> done) {
            this.kind = kind;
            this.what = what;
            this.key = key;
            this.body = body;
            this.done = done;
        }

        void run() {
            if (kind == Kind.WRITE && !leadership.isLeader()) {
                done.accept(new Outcome.Skipped<>(what + " not made: this daemon is not the leader for " + target));
                return;
            }
            Outcome<T> outcome;
            try {
                outcome = new Outcome.Done<>(Objects.requireNonNull(body.get(), "a call returned null"));
            } catch (RuntimeException e) {
                outcome = new Outcome.Failed<>(e);
            }
            done.accept(outcome);
        }
    }
}
