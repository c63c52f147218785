package io.zeroscale.engine.history;

import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.state.StateStore;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Every target's {@link ArrivalHistory}, kept in memory and, when persistent, in the engine's
 * {@link StateStore} (the same store as the operator state and the journal, so on Kubernetes a new
 * leader finds it): one CSV document per target and UTC day, {@code
 * history/<target>/<yyyy-MM-dd>.csv} (at most 1,440 rows, a few tens of KiB), in the form of
 * {@link ArrivalHistory#writeCsv}. Bounded: a day that ages out of {@link ArrivalHistory#RETENTION}
 * is deleted.
 *
 * <p>Writes are batched: a target's actor only records into memory; once a minute (the history's
 * slot) one task on the blocking executor writes the days that changed since the last write, of
 * every target, and {@link #close()} writes what is left. A write that fails is kept and tried
 * again on the next flush.
 *
 * <p>A document that cannot be read is {@linkplain StateStore#setAside set aside} (not deleted)
 * and reported to {@code problems} with both places (the engine journals it as {@code HISTORY} and
 * logs a WARN); the target keeps the days that could be read. One helper does this for history days
 * and series documents alike. {@link #read} and {@link #importCsv} move one target's history out
 * of and into a store as one CSV file ({@code zeroscale history export / import}).
 *
 * <p>The same store and flush keep other per-target series ({@link #series}): the dashboard's
 * samples of replicas and signals, under {@code series/<target>/<name>.json}.
 *
 * <p>Targets come and go ({@link #open}, {@link #release}): a released target's documents stay,
 * so the target finds its history again when it is added back.
 */
public final class ArrivalHistories implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ArrivalHistories.class);
    static final Duration FLUSH_EVERY = Duration.ofMinutes(1);
    static final String PREFIX = "history/";
    static final String SERIES_PREFIX = "series/";
    /** How many documents a flush writes at once. */
    static final int WRITERS = 16;

    private final @Nullable StateStore store;
    private final @Nullable Path legacyDirectory;
    private final Scheduler scheduler;
    private final Executor blocking;
    private final BiConsumer<String, String> problems;
    private final Map<String, ArrivalHistory> histories = new ConcurrentHashMap<>();
    /** Series documents waiting for the next flush, by key: only the newest of a key counts. */
    private final Map<String, Supplier<byte[]>> pendingSeries = new ConcurrentHashMap<>();
    private final Object flushLock = new Object();
    private final AtomicBoolean closed = new AtomicBoolean();
    private Subscription flushing = Subscription.NONE;

    /**
     * @param store where the histories live, or null for histories kept in memory only (simulations)
     * @param legacyDirectory where an older engine kept one {@code <target>.csv} file per target
     *     ({@code <data-dir>/engine/history}); such a file is moved into the store the first time
     *     its target is opened without a history there; or null
     * @param problems told (target name, message) when a stored document was set aside
     */
    public ArrivalHistories(@Nullable StateStore store, @Nullable Path legacyDirectory, Scheduler scheduler, Executor blocking,
            BiConsumer<String, String> problems) {
        this.store = store;
        this.legacyDirectory = legacyDirectory;
        this.scheduler = scheduler;
        this.blocking = blocking;
        this.problems = problems;
    }

    /** In memory only: nothing is read or written. */
    public static ArrivalHistories inMemory(Scheduler scheduler) {
        return new ArrivalHistories(null, null, scheduler, Runnable::run, (target, message) -> {});
    }

    /** Starts the periodic writes. */
    public synchronized void start() {
        if (store != null && flushing == Subscription.NONE) {
            flushing = scheduler.scheduleAtFixedRate(FLUSH_EVERY, () -> {
                try {
                    blocking.execute(this::flush);
                } catch (RejectedExecutionException e) {
                    // Shutting down: close() writes what is left.
                }
            });
        }
    }

    /** The history of {@code target}, read from the store the first time (blocks on the store: never call it on an actor). */
    public ArrivalHistory open(String target) {
        return histories.computeIfAbsent(target, this::load);
    }

    /** The history of {@code target} if it is open. */
    public @Nullable ArrivalHistory get(String target) {
        return histories.get(target);
    }

    /** Writes and forgets {@code target}'s history (the target was removed); its documents stay. */
    public void release(String target) {
        ArrivalHistory history = histories.remove(target);
        if (history != null) {
            synchronized (flushLock) {
                save(target, history);
            }
        }
    }

    /** The prefix of {@code target}'s day documents in the store. */
    static String prefix(String target) {
        return PREFIX + URLEncoder.encode(target, StandardCharsets.UTF_8) + "/";
    }

    /** The key of {@code target}'s document for the UTC epoch day {@code day}. */
    static String dayKey(String target, long day) {
        return prefix(target) + LocalDate.ofEpochDay(day) + ".csv";
    }

    /** Where {@code target}'s history lives, for messages and for {@code zeroscale simulate}; null in memory. */
    public @Nullable String location(String target) {
        String directory = prefix(target);
        return store == null ? null : safeLocation(directory.substring(0, directory.length() - 1));
    }

    private ArrivalHistory load(String target) {
        StateStore current = store;
        if (current == null) {
            return new ArrivalHistory();
        }
        SortedMap<Long, Long> rows = new TreeMap<>();
        List<String> keys;
        try {
            keys = current.keys(prefix(target)).stream().filter(key -> key.endsWith(".csv")).sorted().toList();
        } catch (RuntimeException e) {
            String message = "arrival history under " + location(target) + " could not be listed (" + e.getMessage()
                    + "); starting with an empty history (nothing is overwritten but the days recorded from now)";
            log.warn("target {}: {}", target, message, e);
            problems.accept(target, message);
            return new ArrivalHistory();
        }
        for (String key : keys) {
            String location = safeLocation(key);
            Optional<Map<Long, Long>> day = readOrSetAside(current, target, key, "arrival history", "going on without that day",
                    document -> dayRows(document, location));
            if (day.isPresent()) {
                rows.putAll(day.get());
            }
        }
        boolean imported = false;
        if (keys.isEmpty()) {
            Optional<SortedMap<Long, Long>> legacy = readLegacy(target);
            if (legacy.isPresent()) {
                rows.putAll(legacy.get());
                imported = true;
            }
        }
        ArrivalHistory history = ArrivalHistory.of(rows);
        if (imported) {
            history.markAllDirty();
        }
        // Days that aged out while the daemon was down are deleted on the next flush.
        history.expire(scheduler.clock().instant());
        if (imported) {
            synchronized (flushLock) {
                save(target, history);
            }
            moveLegacyAside(target);
        }
        // A target with nothing recorded yet (every target of a new config) says so only at DEBUG:
        // a thousand such lines at INFO were a noticeable part of a start.
        log.atLevel(history.arrivals() > 0 || imported ? Level.INFO : Level.DEBUG)
                .log("target {}: read {} arrivals over {} minutes from {}", target, history.arrivals(), history.activeMinutes(),
                        location(target));
        return history;
    }

    /** One day document's rows (minute to requests). */
    private static Map<Long, Long> dayRows(byte[] document, String location) throws IOException {
        return ArrivalHistory.rows(new StringReader(new String(document, StandardCharsets.UTF_8)), location);
    }

    /**
     * Reads {@code key} and parses it. A store that cannot be read is logged and reported, and the
     * document left where it is; a document {@code parse} rejects (throws) is {@linkplain
     * StateStore#setAside set aside} and reported to {@code problems} with both places (the engine
     * journals it as {@code HISTORY}). Empty when there is none, or it could not be read.
     *
     * @param what names the document in the report, e.g. {@code arrival history}
     * @param goingOn what happens without it, e.g. {@code going on without that day}
     */
    private <T> Optional<T> readOrSetAside(StateStore current, String target, String key, String what, String goingOn,
            DocumentParser<T> parse) {
        String location = safeLocation(key);
        byte[] document;
        try {
            document = current.read(key).orElse(null);
        } catch (RuntimeException e) {
            String message = what + " " + location + " could not be read from the store (" + e.getMessage() + "); " + goingOn;
            log.warn("target {}: {}", target, message, e);
            problems.accept(target, message);
            return Optional.empty();
        }
        if (document == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(parse.parse(document));
        } catch (IOException | RuntimeException e) {
            String reason = e.getMessage();
            String message;
            try {
                message = what + " " + location + " could not be read (" + reason + "); set aside as " + current.setAside(key,
                        String.valueOf(reason)) + " and " + goingOn;
            } catch (RuntimeException moveFailed) {
                message = what + " " + location + " could not be read (" + reason + ") nor set aside (" + moveFailed.getMessage()
                        + "); " + goingOn + ", and the document will be overwritten";
            }
            log.warn("target {}: {}", target, message);
            problems.accept(target, message);
            return Optional.empty();
        }
    }

    // ---- one file out and in (zeroscale history export / import) --------------------------------

    /** The key under which {@code target}'s day documents are, without the trailing {@code /}. */
    public static String directoryKey(String target) {
        String directory = prefix(target);
        return directory.substring(0, directory.length() - 1);
    }

    /**
     * Reads {@code target}'s stored history without changing the store, so it can run next to a
     * daemon: a day that cannot be read is an error naming it (the engine sets it aside when it next
     * reads the history), never skipped.
     *
     * @return empty when the store has no day of {@code target}
     * @throws ZeroscaleException {@code CONFIG_INVALID} naming the document and line that cannot be read
     */
    public static Optional<ArrivalHistory> read(StateStore store, String target) {
        List<String> keys = store.keys(prefix(target)).stream().filter(key -> key.endsWith(".csv")).sorted().toList();
        if (keys.isEmpty()) {
            return Optional.empty();
        }
        SortedMap<Long, Long> rows = new TreeMap<>();
        for (String key : keys) {
            byte[] document = store.read(key).orElse(null);
            if (document != null) {
                try {
                    rows.putAll(ArrivalHistory.rows(new StringReader(new String(document, StandardCharsets.UTF_8)), store.location(key)));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        return Optional.of(ArrivalHistory.of(rows));
    }

    /**
     * Writes a CSV history ({@code time,requests}, checked whole before anything is written) into
     * {@code target}'s stored history: each UTC day the file has rows in replaces that day's
     * document; other days stay. Rows more than {@link ArrivalHistory#RETENTION} before the file's
     * newest are left out, as the engine would drop them.
     *
     * @return the days written, oldest first
     * @throws ZeroscaleException {@code CONFIG_INVALID} naming the line of {@code source} that is wrong
     */
    public static List<LocalDate> importCsv(StateStore store, String target, Reader csv, String source) throws IOException {
        ArrivalHistory history = ArrivalHistory.of(ArrivalHistory.rows(csv, source));
        history.markClean();
        history.markAllDirty();
        List<LocalDate> written = new java.util.ArrayList<>();
        for (long day : history.takeDirtyDays()) {
            String document = history.dayCsv(day);
            if (document != null) {
                store.write(dayKey(target, day), document.getBytes(StandardCharsets.UTF_8));
                written.add(LocalDate.ofEpochDay(day));
            }
        }
        return written;
    }

    private @Nullable Path legacyFile(String target) {
        Path directory = legacyDirectory;
        return directory == null ? null : directory.resolve(URLEncoder.encode(target, StandardCharsets.UTF_8) + ".csv");
    }

    /** An older engine's file, read whole; a file that cannot be read is set aside and reported. */
    private Optional<SortedMap<Long, Long>> readLegacy(String target) {
        Path file = legacyFile(target);
        if (file == null) {
            return Optional.empty();
        }
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return Optional.of(ArrivalHistory.rows(in, file.toString()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | ZeroscaleException | UncheckedIOException e) {
            Path aside = file.resolveSibling(file.getFileName() + ".corrupt-" + scheduler.clock().millis());
            String message;
            try {
                Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
                message = "arrival history " + file + " could not be read (" + e.getMessage() + "); set aside as " + aside
                        + " and starting with an empty history";
            } catch (IOException moveFailed) {
                message = "arrival history " + file + " could not be read (" + e.getMessage() + ") nor set aside ("
                        + moveFailed.getMessage() + "); starting with an empty history";
            }
            log.warn("target {}: {}", target, message);
            problems.accept(target, message);
            return Optional.empty();
        }
    }

    private void moveLegacyAside(String target) {
        Path file = legacyFile(target);
        if (file == null) {
            return;
        }
        Path moved = file.resolveSibling(file.getFileName() + ".imported");
        try {
            Files.move(file, moved, StandardCopyOption.REPLACE_EXISTING);
            log.info("target {}: arrival history {} moved into the state store ({}); the file is kept as {}", target, file,
                    location(target), moved);
        } catch (IOException e) {
            log.warn("target {}: arrival history {} was copied into the state store but could not be renamed to {}: {}", target, file,
                    moved, e.getMessage(), e);
        }
    }

    /**
     * Writes every history day and series that changed since its last write (one batch), at most
     * {@link #WRITERS} at a time: a file store forces each document and its directory to disk,
     * and one after the other that took 15 s for the dashboard series of 1,000 targets (two
     * {@code fsync}s each), at every flush and on shutdown; the disk commits concurrent ones
     * together. Each key is written by one task, so no key is written from two threads at once.
     */
    public void flush() {
        synchronized (flushLock) {
            List<Runnable> writes = new ArrayList<>();
            histories.forEach((target, history) -> {
                if (history.dirty()) {
                    writes.add(() -> save(target, history));
                }
            });
            for (String key : List.copyOf(pendingSeries.keySet())) {
                Supplier<byte[]> next = pendingSeries.remove(key);
                StateStore current = store;
                if (next == null || current == null) {
                    continue;
                }
                writes.add(() -> {
                    try {
                        current.write(key, next.get());
                    } catch (RuntimeException e) {
                        pendingSeries.putIfAbsent(key, next); // kept; the next flush tries again
                        log.warn("writing {} failed; kept in memory and written on the next flush: {}", safeLocation(key),
                                e.getMessage(), e);
                    }
                });
            }
            runAll(writes);
        }
    }

    /** Runs {@code writes} on up to {@link #WRITERS} threads of their own and returns when all ended. */
    private static void runAll(List<Runnable> writes) {
        if (writes.size() <= 1) {
            writes.forEach(Runnable::run);
            return;
        }
        ThreadFactory threads = Thread.ofPlatform().name("zeroscale-state-write-", 0).daemon().factory();
        try (ExecutorService writers = Executors.newFixedThreadPool(Math.min(WRITERS, writes.size()), threads)) {
            writes.forEach(writers::execute);
        } // close() waits for every write
    }

    /** Under {@link #flushLock}: one history's changed days, each written (or deleted when empty). */
    private void save(String target, ArrivalHistory history) {
        StateStore current = store;
        if (current == null) {
            return;
        }
        for (long day : history.takeDirtyDays()) {
            String key = dayKey(target, day);
            try {
                String csv = history.dayCsv(day);
                if (csv == null) {
                    current.delete(key);
                } else {
                    current.write(key, csv.getBytes(StandardCharsets.UTF_8));
                }
            } catch (RuntimeException e) {
                // Kept in memory; the next flush tries again.
                log.warn("target {}: writing the arrival history to {} failed: {}", target, safeLocation(key), e.getMessage(), e);
                history.markDirty(day);
            }
        }
    }

    // ---- other per-target series in the same store ---------------------------------------------

    /**
     * Another per-target series kept in the same store and written by the same batched flush (the
     * dashboard's samples): {@code series/<target>/<name>.json}.
     *
     * @param name letters, digits, {@code -} and {@code _}
     */
    public Series series(String name) {
        if (!name.matches("[A-Za-z0-9_-]+")) {
            throw new IllegalArgumentException("series name '" + name + "': letters, digits, '-' and '_' only");
        }
        return new Series(name);
    }

    /** One kind of per-target series document in the store; see {@link ArrivalHistories#series}. */
    public final class Series {
        private final String name;

        private Series(String name) {
            this.name = name;
        }

        private String key(String target) {
            return SERIES_PREFIX + URLEncoder.encode(target, StandardCharsets.UTF_8) + "/" + name + ".json";
        }

        /**
         * Reads {@code target}'s document (blocks on the store: never on an actor) and hands it to
         * {@code parse}; a document {@code parse} rejects (throws) is set aside and reported as a
         * history problem; empty when there is none, when it was set aside, or in memory.
         */
        public <T> Optional<T> load(String target, DocumentParser<T> parse) {
            StateStore current = store;
            if (current == null) {
                return Optional.empty();
            }
            return readOrSetAside(current, target, key(target), "series", "starting it empty", parse);
        }

        /** {@code target}'s document changed: {@code document} is written on the next flush (the newest only). */
        public void changed(String target, Supplier<byte[]> document) {
            if (store != null && !closed.get()) {
                pendingSeries.put(key(target), document);
            }
        }
    }

    /** Parses a stored document; throws what makes it unreadable. */
    @FunctionalInterface
    public interface DocumentParser<T> {
        T parse(byte[] document) throws IOException;
    }

    private String safeLocation(String key) {
        StateStore current = store;
        if (current == null) {
            return key;
        }
        try {
            return current.location(key);
        } catch (RuntimeException e) {
            return key;
        }
    }

    /** Stops the periodic writes and writes what changed. */
    @Override
    public synchronized void close() {
        flushing.close();
        flushing = Subscription.NONE;
        flush();
        closed.set(true);
    }
}
