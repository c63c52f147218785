package io.zeroscale.engine;

import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The decision journal: the newest entries across all targets in a bounded ring, plus listeners
 * (dashboard, alerts, tests) that see every entry as it is written. An entry may be updated in
 * place ({@link #update}: a failure streak's count); listeners see only the first version.
 * Thread-safe.
 */
public final class Journal {
    private static final Logger log = LoggerFactory.getLogger(Journal.class);

    private final int capacity;
    private final ArrayDeque<JournalEntry> entries;
    private final List<Consumer<JournalEntry>> listeners = new CopyOnWriteArrayList<>();
    private final List<Runnable> changeListeners = new CopyOnWriteArrayList<>();

    public Journal(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive");
        }
        this.capacity = capacity;
        this.entries = new ArrayDeque<>(Math.min(capacity, 1024));
    }

    void append(JournalEntry entry) {
        synchronized (entries) {
            if (entries.size() == capacity) {
                entries.removeFirst();
            }
            entries.addLast(entry);
        }
        changed();
        for (Consumer<JournalEntry> listener : listeners) {
            try {
                listener.accept(entry);
            } catch (RuntimeException e) {
                log.warn("journal listener {} failed", listener, e);
            }
        }
    }

    /**
     * Replaces {@code previous} (the same instance that was appended) with {@code next}, where it
     * stands; appends {@code next} when {@code previous} has already left the ring.
     */
    // The very instance that was appended: an equal entry written at the same instant is another line.
    @SuppressWarnings("ReferenceEquality")
    void update(JournalEntry previous, JournalEntry next) {
        synchronized (entries) {
            // Newest first: the entry being updated is nearly always among the last few.
            java.util.Iterator<JournalEntry> newestFirst = entries.descendingIterator();
            List<JournalEntry> newer = new ArrayList<>();
            while (newestFirst.hasNext()) {
                JournalEntry entry = newestFirst.next();
                if (entry == previous) {
                    newestFirst.remove();
                    // ArrayDeque cannot replace in the middle: take the newer ones off and put them back.
                    for (int i = 0; i < newer.size(); i++) {
                        entries.removeLast();
                    }
                    entries.addLast(next);
                    for (int i = newer.size() - 1; i >= 0; i--) {
                        entries.addLast(newer.get(i));
                    }
                    changed();
                    return;
                }
                newer.add(entry);
            }
        }
        append(next);
    }

    /**
     * Puts entries saved before a restart (oldest first) in front of everything written since,
     * keeping the newest {@code capacity}; listeners are not called (they are not new).
     */
    void restore(List<JournalEntry> saved) {
        synchronized (entries) {
            List<JournalEntry> all = new ArrayList<>(saved);
            all.addAll(entries);
            entries.clear();
            entries.addAll(all.subList(Math.max(0, all.size() - capacity), all.size()));
        }
    }

    /** Calls {@code listener} after every append or update, on the writing thread; it must not block. */
    void onChange(Runnable listener) {
        changeListeners.add(listener);
    }

    private void changed() {
        for (Runnable listener : changeListeners) {
            try {
                listener.run();
            } catch (RuntimeException e) {
                log.warn("journal change listener {} failed", listener, e);
            }
        }
    }

    /** The newest entries, oldest first, at most {@code limit}. */
    public List<JournalEntry> recent(int limit) {
        synchronized (entries) {
            List<JournalEntry> all = new ArrayList<>(entries);
            return List.copyOf(all.subList(Math.max(0, all.size() - limit), all.size()));
        }
    }

    /** The newest entries of one target, oldest first, at most {@code limit}. */
    public List<JournalEntry> recent(TargetRef target, int limit) {
        List<JournalEntry> matching = new ArrayList<>();
        synchronized (entries) {
            for (JournalEntry entry : entries) {
                if (entry.target().equals(target)) {
                    matching.add(entry);
                }
            }
        }
        return List.copyOf(matching.subList(Math.max(0, matching.size() - limit), matching.size()));
    }

    /** Calls {@code listener} with every entry from now on, on the writing target's thread. */
    public Subscription subscribe(Consumer<JournalEntry> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }
}
