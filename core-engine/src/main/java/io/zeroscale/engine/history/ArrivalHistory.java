package io.zeroscale.engine.history;

import static io.zeroscale.spi.StandardErrorCode.CONFIG_INVALID;

import io.zeroscale.spi.ZeroscaleException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * One target's arrivals, counted per minute (UTC minutes of the injected clock) over a bounded
 * window ({@link #RETENTION}, at least 14 days), with the histogram of idle times between them
 * kept up to date as minutes are added and age out.
 *
 * <p>Idle times are derived from the minute counts, so a history read back from disk yields the
 * same histogram: {@code c} arrivals in one minute are {@code c - 1} idle times of 0 minutes, and
 * the next non-empty minute {@code m2} after {@code m1} adds one idle time of {@code m2 - m1}
 * minutes (the true gap lies within one minute of it).
 *
 * <p>CSV form ({@link #writeCsv}, {@link #readCsv}): a header {@code time,requests} and one row per
 * minute with arrivals, {@code 2026-01-01T09:15:00Z,3}. The same file is a series that {@code
 * zeroscale simulate} replays ({@code requests} new requests spread over that minute).
 *
 * <p>Thread-safe: the target's actor records, the store's writer reads.
 */
public final class ArrivalHistory {
    /** How long minutes are kept: 15 days, so a full 14 days are always there. */
    public static final Duration RETENTION = Duration.ofDays(15);
    static final String HEADER = "time,requests";
    static final long MINUTES_PER_DAY = 24 * 60;
    private static final long RETENTION_MINUTES = RETENTION.toMinutes();

    private final IdleTimeHistogram histogram;
    // A ring of (minute, count) pairs, oldest first, with minutes strictly increasing.
    private long[] minutes = new long[16];
    private int[] counts = new int[16];
    private int head;
    private int size;
    private long total;
    private @Nullable Instant lastArrival;
    private long lastCounter;
    /** UTC days (epoch days) whose minutes changed since the store last took them. */
    private final java.util.TreeSet<Long> dirtyDays = new java.util.TreeSet<>();

    public ArrivalHistory() {
        this(IdleTimeHistogram.DEFAULT_RANGE_MINUTES);
    }

    public ArrivalHistory(int histogramRangeMinutes) {
        this.histogram = new IdleTimeHistogram(histogramRangeMinutes);
    }

    /**
     * Records the gateway's monotonic arrival counter as seen at {@code at}: the arrivals since the
     * previous report are added. A counter lower than before means the gateway restarted: all of
     * it is new. The counter starts from 0, as the in-process gateway's does when the daemon starts.
     */
    public synchronized void counter(Instant at, long arrivals) {
        counter(at, arrivals, 0);
    }

    /**
     * As {@link #counter(Instant, long)}, where {@code backlog} of the increase are arrivals that
     * happened before now and are not recorded: a gateway that joins reports everything it
     * counted since it started, which is no burst in this minute (see the engine's traffic reports).
     */
    public synchronized void counter(Instant at, long arrivals, long backlog) {
        long added = arrivals >= lastCounter ? arrivals - lastCounter : arrivals;
        lastCounter = arrivals;
        added -= Math.min(added, Math.max(0, backlog));
        if (added > 0) {
            record(at, added);
        }
    }

    /** Records {@code count} arrivals at {@code at}; a time before the newest minute counts in the newest. */
    public synchronized void record(Instant at, long count) {
        if (count <= 0) {
            return;
        }
        int add = (int) Math.min(Integer.MAX_VALUE, count);
        long minute = Math.floorDiv(at.getEpochSecond(), 60);
        if (size > 0 && minute <= newestMinute()) {
            int last = index(size - 1);
            counts[last] = (int) Math.min(Integer.MAX_VALUE, (long) counts[last] + add);
            histogram.add(0, add);
            dirtyDays.add(Math.floorDiv(minutes[last], MINUTES_PER_DAY));
        } else {
            if (size > 0) {
                histogram.add(minute - newestMinute(), 1);
            }
            histogram.add(0, add - 1L);
            append(minute, add);
            dirtyDays.add(Math.floorDiv(minute, MINUTES_PER_DAY));
        }
        total += add;
        if (lastArrival == null || at.isAfter(lastArrival)) {
            lastArrival = at;
        }
        evictBefore(minute - RETENTION_MINUTES);
    }

    /** Drops minutes older than the retention window, as of {@code now}. */
    public synchronized void expire(Instant now) {
        evictBefore(Math.floorDiv(now.getEpochSecond(), 60) - RETENTION_MINUTES);
    }

    /** Calls {@code visitor} with every kept minute that has arrivals and their count, oldest first. */
    public synchronized void forEachMinute(java.util.function.ObjIntConsumer<Instant> visitor) {
        for (int i = 0; i < size; i++) {
            int at = index(i);
            visitor.accept(Instant.ofEpochSecond(minutes[at] * 60), counts[at]);
        }
    }

    /** A copy of the idle-time histogram over the kept window. */
    public synchronized IdleTimeHistogram idleTimes() {
        return histogram.copy();
    }

    /** When the newest recorded arrival happened (to the minute after a restart), or null. */
    public synchronized @Nullable Instant lastArrival() {
        return lastArrival;
    }

    /** Arrivals in the kept window. */
    public synchronized long arrivals() {
        return total;
    }

    /** Minutes with at least one arrival in the kept window. */
    public synchronized int activeMinutes() {
        return size;
    }

    /** True when some day's minutes changed since the store last {@linkplain #takeDirtyDays took} them. */
    synchronized boolean dirty() {
        return !dirtyDays.isEmpty();
    }

    synchronized void markClean() {
        dirtyDays.clear();
    }

    /** The UTC epoch days whose minutes changed (recorded or aged out), oldest first; forgets them. */
    synchronized long[] takeDirtyDays() {
        long[] days = dirtyDays.stream().mapToLong(Long::longValue).toArray();
        dirtyDays.clear();
        return days;
    }

    /** Marks {@code day} as changed again (its write failed). */
    synchronized void markDirty(long day) {
        dirtyDays.add(day);
    }

    /** Marks every kept day as changed (the whole history is to be written). */
    synchronized void markAllDirty() {
        for (int i = 0; i < size; i++) {
            dirtyDays.add(Math.floorDiv(minutes[index(i)], MINUTES_PER_DAY));
        }
    }

    /**
     * The CSV form of the kept minutes of one UTC epoch day (header included), or null when that
     * day has none (left).
     */
    synchronized @Nullable String dayCsv(long day) {
        StringBuilder out = null;
        for (int i = 0; i < size; i++) {
            int at = index(i);
            if (Math.floorDiv(minutes[at], MINUTES_PER_DAY) != day) {
                continue;
            }
            if (out == null) {
                out = new StringBuilder(HEADER).append('\n');
            }
            out.append(Instant.ofEpochSecond(minutes[at] * 60)).append(',').append(counts[at]).append('\n');
        }
        return out == null ? null : out.toString();
    }

    /** Writes the CSV form: header and one row per minute with arrivals, oldest first. */
    public synchronized void writeCsv(Writer out) throws IOException {
        out.write(HEADER);
        out.write('\n');
        for (int i = 0; i < size; i++) {
            int at = index(i);
            out.write(Instant.ofEpochSecond(minutes[at] * 60).toString());
            out.write(',');
            out.write(Integer.toString(counts[at]));
            out.write('\n');
        }
    }

    /** The CSV form as a string. */
    public String toCsv() {
        java.io.StringWriter out = new java.io.StringWriter();
        try {
            writeCsv(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /**
     * Reads the CSV form. Rows must be in time order; rows outside the retention window of the
     * newest row are dropped (they would be anyway).
     *
     * @param source names the file in error messages
     * @throws ZeroscaleException {@code CONFIG_INVALID} naming the line and what is wrong
     */
    public static ArrivalHistory readCsv(Reader in, String source) throws IOException {
        return of(rows(in, source));
    }

    /**
     * The rows of a CSV form, validated in full before anything is recorded: minute (epoch
     * minutes) to requests, in time order.
     *
     * @throws ZeroscaleException {@code CONFIG_INVALID} naming the line and what is wrong
     */
    static java.util.SortedMap<Long, Long> rows(Reader in, String source) throws IOException {
        java.util.SortedMap<Long, Long> rows = new java.util.TreeMap<>();
        BufferedReader lines = new BufferedReader(in);
        String header = lines.readLine();
        if (header == null || !header.strip().equals(HEADER)) {
            throw new ZeroscaleException(CONFIG_INVALID, source + " line 1: expected the header '" + HEADER + "', got '"
                    + (header == null ? "" : header) + "'");
        }
        String line;
        int number = 1;
        long previous = Long.MIN_VALUE;
        while ((line = lines.readLine()) != null) {
            number++;
            if (line.isBlank()) {
                continue;
            }
            String[] cells = line.split(",", -1);
            if (cells.length != 2) {
                throw new ZeroscaleException(CONFIG_INVALID, source + " line " + number + ": expected 'time,requests', got '" + line + "'");
            }
            Instant at;
            long count;
            try {
                at = Instant.parse(cells[0].strip());
                count = Long.parseLong(cells[1].strip());
            } catch (DateTimeParseException | NumberFormatException e) {
                throw new ZeroscaleException(CONFIG_INVALID, source + " line " + number + ": '" + line
                        + "' is not an ISO-8601 instant and a whole number of requests");
            }
            long minute = Math.floorDiv(at.getEpochSecond(), 60);
            if (count < 0 || minute <= previous) {
                throw new ZeroscaleException(CONFIG_INVALID, source + " line " + number + ": "
                        + (count < 0 ? "negative request count" : "time does not move forward by at least a minute"));
            }
            previous = minute;
            rows.put(minute, count);
        }
        return rows;
    }

    /**
     * A history of the given rows (epoch minute to requests; rows outside the retention window of
     * the newest row are dropped, as they would be anyway), with nothing to write.
     */
    static ArrivalHistory of(java.util.SortedMap<Long, Long> rows) {
        ArrivalHistory history = new ArrivalHistory();
        if (rows.isEmpty()) {
            return history;
        }
        long oldestKept = rows.lastKey() - RETENTION_MINUTES;
        rows.tailMap(oldestKept).forEach((minute, count) -> history.record(Instant.ofEpochSecond(minute * 60), count));
        synchronized (history) {
            history.dirtyDays.clear();
            // The days dropped here are to be deleted from the store.
            rows.headMap(oldestKept).keySet().forEach(minute -> history.dirtyDays.add(Math.floorDiv(minute, MINUTES_PER_DAY)));
        }
        return history;
    }

    /** Parses {@link #toCsv()} output. */
    public static ArrivalHistory fromCsv(String csv, String source) {
        try {
            return readCsv(new StringReader(csv), source);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- the ring ------------------------------------------------------------------------------

    private long newestMinute() {
        return minutes[index(size - 1)];
    }

    private int index(int i) {
        return (head + i) % minutes.length;
    }

    private void append(long minute, int count) {
        if (size == minutes.length) {
            long[] grownMinutes = new long[minutes.length * 2];
            int[] grownCounts = new int[minutes.length * 2];
            for (int i = 0; i < size; i++) {
                grownMinutes[i] = minutes[index(i)];
                grownCounts[i] = counts[index(i)];
            }
            minutes = grownMinutes;
            counts = grownCounts;
            head = 0;
        }
        int at = index(size);
        minutes[at] = minute;
        counts[at] = count;
        size++;
    }

    private void evictBefore(long oldestKept) {
        while (size > 0 && minutes[head] < oldestKept) {
            long minute = minutes[head];
            int count = counts[head];
            dirtyDays.add(Math.floorDiv(minute, MINUTES_PER_DAY));
            histogram.remove(0, count - 1L);
            total -= count;
            minutes[head] = 0;
            counts[head] = 0;
            head = (head + 1) % minutes.length;
            size--;
            if (size > 0) {
                // The next minute's idle time was measured from the one that left the window.
                histogram.remove(minutes[head] - minute, 1);
            }
        }
        if (size == 0) {
            head = 0;
            Arrays.fill(counts, 0);
        }
    }
}
