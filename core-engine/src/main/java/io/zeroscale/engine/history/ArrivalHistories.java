package io.zeroscale.engine.history;

import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.ZeroscaleException;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every target's {@link ArrivalHistory}, kept in memory and, when persistent, in one CSV file per
 * target under {@code <data-dir>/engine/history/}. Files are written on the blocking executor once
 * a minute when something changed, and on {@link #close()}; each write goes to a temporary file
 * first and is moved over the old one atomically, so a crash leaves the old or the new file, never
 * half of one. A file that cannot be read is renamed to {@code <name>.csv.corrupt-<millis>} (set
 * aside, not deleted) and reported to {@code problems} with both paths; the target starts with an
 * empty history.
 *
 * <p>Targets come and go ({@link #open}, {@link #release}): a released target's file stays, so
 * the target finds its history again when it is added back.
 */
public final class ArrivalHistories implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ArrivalHistories.class);
    static final Duration FLUSH_EVERY = Duration.ofMinutes(1);

    private final @Nullable Path directory;
    private final Scheduler scheduler;
    private final Executor blocking;
    private final BiConsumer<String, String> problems;
    private final Map<String, ArrivalHistory> histories = new ConcurrentHashMap<>();
    private Subscription flushing = Subscription.NONE;

    /**
     * @param directory where the files live, or null for histories kept in memory only (simulations)
     * @param problems told (target name, message) when a history file was set aside
     */
    public ArrivalHistories(@Nullable Path directory, Scheduler scheduler, Executor blocking, BiConsumer<String, String> problems) {
        this.directory = directory;
        this.scheduler = scheduler;
        this.blocking = blocking;
        this.problems = problems;
    }

    /** In memory only: nothing is read or written. */
    public static ArrivalHistories inMemory(Scheduler scheduler) {
        return new ArrivalHistories(null, scheduler, Runnable::run, (target, message) -> {});
    }

    /** Starts the periodic writes. */
    public synchronized void start() {
        if (directory != null && flushing == Subscription.NONE) {
            flushing = scheduler.scheduleAtFixedRate(FLUSH_EVERY, () -> {
                try {
                    blocking.execute(this::flush);
                } catch (RejectedExecutionException e) {
                    // Shutting down: close() writes what is left.
                }
            });
        }
    }

    /** The history of {@code target}, read from its file the first time. */
    public ArrivalHistory open(String target) {
        return histories.computeIfAbsent(target, this::load);
    }

    /** The history of {@code target} if it is open. */
    public @Nullable ArrivalHistory get(String target) {
        return histories.get(target);
    }

    /** Writes and forgets {@code target}'s history (the target was removed); its file stays. */
    public void release(String target) {
        ArrivalHistory history = histories.remove(target);
        if (history != null) {
            save(target, history);
        }
    }

    /** The file of {@code target}'s history, or null when kept in memory only. */
    public @Nullable Path file(String target) {
        return directory == null ? null : directory.resolve(URLEncoder.encode(target, StandardCharsets.UTF_8) + ".csv");
    }

    private ArrivalHistory load(String target) {
        Path file = file(target);
        if (file == null) {
            return new ArrivalHistory();
        }
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            ArrivalHistory history = ArrivalHistory.readCsv(in, file.toString());
            history.expire(scheduler.clock().instant());
            log.info("target {}: read {} arrivals over {} minutes from {}", target, history.arrivals(), history.activeMinutes(), file);
            return history;
        } catch (NoSuchFileException e) {
            return new ArrivalHistory();
        } catch (IOException | ZeroscaleException | java.io.UncheckedIOException e) {
            Path aside = file.resolveSibling(file.getFileName() + ".corrupt-" + scheduler.clock().millis());
            String message;
            try {
                Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
                message = "arrival history " + file + " could not be read (" + e.getMessage() + "); set aside as " + aside
                        + " and starting with an empty history";
            } catch (IOException moveFailed) {
                message = "arrival history " + file + " could not be read (" + e.getMessage() + ") nor set aside ("
                        + moveFailed.getMessage() + "); starting with an empty history, and the file will be overwritten";
            }
            log.warn("target {}: {}", target, message);
            problems.accept(target, message);
            return new ArrivalHistory();
        }
    }

    /** Writes every history that changed since its last write. */
    public void flush() {
        histories.forEach((target, history) -> {
            if (history.dirty()) {
                save(target, history);
            }
        });
    }

    private void save(String target, ArrivalHistory history) {
        Path file = file(target);
        if (file == null) {
            return;
        }
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.createDirectories(file.getParent());
            history.markClean();
            try (Writer out = Files.newBufferedWriter(temporary, StandardCharsets.UTF_8)) {
                history.writeCsv(out);
            }
            try {
                Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            // Kept in memory; the next flush tries again.
            log.warn("target {}: writing the arrival history to {} failed: {}", target, file, e.getMessage());
            history.markDirty();
        }
    }

    /** Stops the periodic writes and writes what changed. */
    @Override
    public synchronized void close() {
        flushing.close();
        flushing = Subscription.NONE;
        flush();
    }
}
