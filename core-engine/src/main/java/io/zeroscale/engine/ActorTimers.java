package io.zeroscale.engine;

import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.automaton.Timers;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * An automaton's named timers, confined to its target's actor: a firing is posted to the mailbox
 * and reaches the automaton only if the timer was neither cancelled nor set again meanwhile (the
 * generation check), since the scheduler may already have queued the old firing.
 *
 * <p>A timer set again for later (the idle timer, on every request) keeps its scheduled firing and
 * only moves its due time: when that firing comes before the due time it schedules itself again for
 * the rest. Cancelling and scheduling anew on every request was a heap removal and insertion in the
 * scheduler's queue of every target's timers, per request. A timer set again for earlier is
 * scheduled anew.
 */
final class ActorTimers implements Timers {
    private final Scheduler scheduler;
    private final InstantSource clock;
    private final Consumer<Runnable> post;
    private final Consumer<String> fired;
    private final Map<String, Entry> timers = new HashMap<>();
    private long generation;

    /**
     * @param post puts a message in the actor's mailbox
     * @param fired called on the actor with the timer's name when a live timer fires
     */
    ActorTimers(Scheduler scheduler, Consumer<Runnable> post, Consumer<String> fired) {
        this(scheduler, scheduler.clock(), post, fired);
    }

    /** @param clock the scheduler's clock as the actor reads it (once per message) */
    ActorTimers(Scheduler scheduler, InstantSource clock, Consumer<Runnable> post, Consumer<String> fired) {
        this.scheduler = scheduler;
        this.clock = clock;
        this.post = post;
        this.fired = fired;
    }

    @Override
    public void set(String name, Duration after) {
        Instant due = clock.instant().plus(after);
        Entry entry = timers.get(name);
        if (entry != null && !entry.firesAt.isAfter(due)) {
            entry.due = due; // its firing comes first and schedules the rest
            return;
        }
        cancel(name);
        timers.put(name, schedule(name, due, after));
    }

    @Override
    public void cancel(String name) {
        Entry entry = timers.remove(name);
        if (entry != null) {
            entry.subscription.close();
        }
    }

    @Override
    public boolean isSet(String name) {
        return timers.containsKey(name);
    }

    /** Cancels every timer (the target closes, or its automaton restarts from {@code Start}). */
    void cancelAll() {
        timers.values().forEach(entry -> entry.subscription.close());
        timers.clear();
    }

    private Entry schedule(String name, Instant due, Duration after) {
        long current = ++generation;
        Subscription subscription = scheduler.schedule(after.isNegative() ? Duration.ZERO : after,
                () -> post.accept(() -> fire(name, current)));
        return new Entry(current, subscription, due);
    }

    private void fire(String name, long firing) {
        Entry entry = timers.get(name);
        if (entry == null || entry.generation != firing) {
            return; // cancelled or set anew after this firing was queued
        }
        Instant now = clock.instant();
        if (now.isBefore(entry.due)) {
            timers.put(name, schedule(name, entry.due, Duration.between(now, entry.due))); // set again for later meanwhile
            return;
        }
        timers.remove(name);
        fired.accept(name);
    }

    private static final class Entry {
        final long generation;
        final Subscription subscription;
        /** When the scheduled firing comes. */
        final Instant firesAt;
        /** When the timer is due: at or after {@link #firesAt}. */
        Instant due;

        Entry(long generation, Subscription subscription, Instant firesAt) {
            this.generation = generation;
            this.subscription = subscription;
            this.firesAt = firesAt;
            this.due = firesAt;
        }
    }
}
