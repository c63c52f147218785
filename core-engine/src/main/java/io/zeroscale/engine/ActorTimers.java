package io.zeroscale.engine;

import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.automaton.Timers;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * An automaton's named timers, confined to its target's actor: a firing is posted to the mailbox
 * and reaches the automaton only if the timer was neither cancelled nor set again meanwhile (the
 * generation check), since the scheduler may already have queued the old firing.
 */
final class ActorTimers implements Timers {
    private final Scheduler scheduler;
    private final Consumer<Runnable> post;
    private final Consumer<String> fired;
    private final Map<String, Entry> timers = new HashMap<>();
    private long generation;

    /**
     * @param post puts a message in the actor's mailbox
     * @param fired called on the actor with the timer's name when a live timer fires
     */
    ActorTimers(Scheduler scheduler, Consumer<Runnable> post, Consumer<String> fired) {
        this.scheduler = scheduler;
        this.post = post;
        this.fired = fired;
    }

    @Override
    public void set(String name, Duration after) {
        cancel(name);
        long current = ++generation;
        Subscription subscription = scheduler.schedule(after, () -> post.accept(() -> fire(name, current)));
        timers.put(name, new Entry(current, subscription));
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

    private void fire(String name, long firing) {
        Entry entry = timers.get(name);
        if (entry == null || entry.generation != firing) {
            return; // cancelled or re-set after this firing was queued
        }
        timers.remove(name);
        fired.accept(name);
    }

    private record Entry(long generation, Subscription subscription) {}
}
