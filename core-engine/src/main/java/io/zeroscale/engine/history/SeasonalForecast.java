package io.zeroscale.engine.history;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.Durations;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A seasonal forecast of a target's arrivals from its {@link ArrivalHistory}: for each time slot
 * ahead (10 minutes by default, in UTC), the probability that at least one request arrives in it,
 * with the evidence behind it.
 *
 * <p>The method is the <em>seasonal average</em>: a slot is forecast from the same slot in past
 * seasons, the generalisation of the seasonal naïve method to an average over every past season
 * (R. J. Hyndman and G. Athanasopoulos, "Forecasting: Principles and Practice", 3rd ed., OTexts
 * 2021, section 5.2), for two seasons at once, the day and the week:
 *
 * <ul>
 *   <li>daily: of the {@code n_d} past days observed at that time of day, {@code k_d} had an arrival
 *       in the slot; with Laplace's rule of succession {@code p_d = (k_d + 1) / (n_d + 2)}, so a
 *       single day is no certainty;
 *   <li>weekly: of the {@code n_w} past same weekdays observed at that time, {@code k_w} had one.
 *       The weekly share is shrunk towards the daily estimate, which counts as
 *       {@link #DAILY_PRIOR_WEIGHT} weeks of evidence (a Beta prior with mean {@code p_d}):
 *       {@code p = (k_w + 2 p_d) / (n_w + 2)}. So one Monday with an 08:00 request on top of a
 *       daily habit is likely, while a Saturday that stayed quiet a week ago is not, although most
 *       days have requests at 08:00.
 * </ul>
 *
 * A past slot counts as observed when it lies wholly between the history's oldest kept minute
 * (the observation start; at most {@link ArrivalHistory#RETENTION} back) and now. A stretch when the
 * daemon was down counts as a stretch without requests: it can only lower a probability, and a
 * forecast only ever wakes a target early, never keeps one down. The forecast is unavailable while
 * less than a day is observed ({@link #unavailable()} says why).
 *
 * <p>A <em>window</em> is a run of slots whose probability is at least
 * {@link Settings#minProbability()}; the target is woken ahead of a window's start.
 */
public final class SeasonalForecast {
    /** How many weeks of evidence the daily estimate counts as, when shrinking the weekly share towards it. */
    public static final double DAILY_PRIOR_WEIGHT = 2;
    /** How far ahead windows are looked for. */
    public static final Duration HORIZON = Duration.ofDays(7);
    private static final Duration DAY = Duration.ofDays(1);
    private static final Duration WEEK = Duration.ofDays(7);

    /**
     * The forecast's settings.
     *
     * @param slot the forecast's resolution; divides a day
     * @param minProbability a slot at or above this probability belongs to a window
     */
    public record Settings(Duration slot, double minProbability) {
        public static final Settings DEFAULT = new Settings(Duration.ofMinutes(10), 0.7);

        public Settings {
            requireNonNull(slot, "slot is null");
            if (slot.compareTo(Duration.ofMinutes(1)) < 0 || slot.toSeconds() % 60 != 0 || DAY.toMinutes() % slot.toMinutes() != 0) {
                throw new IllegalArgumentException("slot must be whole minutes that divide a day, got " + Durations.format(slot));
            }
            if (!(minProbability > 0 && minProbability < 1)) {
                throw new IllegalArgumentException("minProbability must be between 0 and 1, got " + minProbability);
            }
        }
    }

    /**
     * One slot's forecast.
     *
     * @param probability the chance of at least one arrival in the slot
     * @param expectedRequests the mean arrivals in the slot over the same seasons, weighted alike
     * @param daysSeen past days with an arrival in this slot
     * @param daysObserved past days observed at this time
     * @param weekdaysSeen past same weekdays with an arrival in this slot
     * @param weekdaysObserved past same weekdays observed at this time
     */
    public record Slot(Instant start, Instant end, double probability, double expectedRequests, int daysSeen, int daysObserved,
            int weekdaysSeen, int weekdaysObserved) {
        /** The evidence, for the journal: "probability 0.78: 1 of 1 Mondays, 5 of 7 days". */
        public String describe() {
            String weekday = start.atZone(ZoneOffset.UTC).getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
            return String.format(Locale.ROOT, "probability %.2f: %s%d of %d days", probability,
                    weekdaysObserved == 0 ? "" : weekdaysSeen + " of " + weekdaysObserved + " " + weekday + "s, ", daysSeen, daysObserved);
        }
    }

    /** A run of slots at or above the threshold; {@code first} is its first slot. */
    public record Window(Instant start, Instant end, Slot first) {}

    private final Settings settings;
    private final Instant now;
    private final @Nullable Instant observedFrom;
    private final long slotMinutes;
    /** Arrivals per slot index (epoch minute / slot minutes). */
    private final Map<Long, Long> arrivals;
    private final @Nullable String unavailable;

    private SeasonalForecast(Settings settings, Instant now, @Nullable Instant observedFrom, Map<Long, Long> arrivals) {
        this.settings = settings;
        this.now = now;
        this.slotMinutes = settings.slot().toMinutes();
        this.arrivals = arrivals;
        Instant from = observedFrom == null ? null : floor(observedFrom);
        Instant oldest = floor(now.minus(ArrivalHistory.RETENTION));
        this.observedFrom = from == null ? null : from.isBefore(oldest) ? oldest : from;
        Instant start = this.observedFrom;
        if (start == null) {
            unavailable = "no arrival recorded yet: a daily pattern needs a day of history";
        } else if (Duration.between(start, now).compareTo(DAY) < 0) {
            unavailable = "history too short: " + Durations.format(Duration.ofMinutes(Duration.between(start, now).toMinutes()))
                    + " of the 1d a daily pattern needs";
        } else {
            unavailable = null;
        }
    }

    /** The forecast from {@code history} as of {@code now}. */
    public static SeasonalForecast of(ArrivalHistory history, Instant now, Settings settings) {
        long slotMinutes = settings.slot().toMinutes();
        Map<Long, Long> arrivals = new HashMap<>();
        Instant[] oldest = new Instant[1];
        history.forEachMinute((minute, count) -> {
            if (oldest[0] == null) {
                oldest[0] = minute;
            }
            arrivals.merge(Math.floorDiv(minute.getEpochSecond() / 60, slotMinutes), (long) count, Long::sum);
        });
        return new SeasonalForecast(settings, now, oldest[0], arrivals);
    }

    /** The time the forecast was made at. */
    public Instant at() {
        return now;
    }

    public Settings settings() {
        return settings;
    }

    /** Why there is no forecast (history too short), or null when there is one. */
    public @Nullable String unavailable() {
        return unavailable;
    }

    /** Since when the history is taken as observed, or null when nothing was recorded. */
    public @Nullable Instant observedFrom() {
        return observedFrom;
    }

    /** True when a whole week is observed, so the weekly season takes part. */
    public boolean weekly() {
        Instant from = observedFrom;
        return from != null && Duration.between(from, now).compareTo(WEEK) >= 0;
    }

    /** What the forecast rests on, for the journal and the API. */
    public String basis() {
        String why = unavailable;
        if (why != null) {
            return why;
        }
        Instant from = requireNonNull(observedFrom);
        String observed = Durations.format(Duration.ofHours(Duration.between(from, now).toHours()));
        return weekly() ? "daily and weekly pattern from " + observed + " of history"
                : "daily pattern from " + observed + " of history (the weekly pattern needs 7d)";
    }

    /** The forecast for the slot that contains {@code at}. */
    public Slot slot(Instant at) {
        Instant start = floor(at);
        Instant end = start.plus(settings.slot());
        int[] daily = seen(start, DAY);
        int[] weekly = seen(start, WEEK);
        double pDaily = (daily[0] + 1.0) / (daily[1] + 2.0);
        double eDaily = daily[1] == 0 ? 0 : (double) daily[2] / daily[1];
        double probability = weekly[1] == 0 ? pDaily : (weekly[0] + DAILY_PRIOR_WEIGHT * pDaily) / (weekly[1] + DAILY_PRIOR_WEIGHT);
        double expected = weekly[1] == 0 ? eDaily : (weekly[2] + DAILY_PRIOR_WEIGHT * eDaily) / (weekly[1] + DAILY_PRIOR_WEIGHT);
        return new Slot(start, end, probability, expected, daily[0], daily[1], weekly[0], weekly[1]);
    }

    /** As many slots as fit in {@code horizon}, from the one containing {@code from}. */
    public List<Slot> slots(Instant from, Duration horizon) {
        List<Slot> out = new ArrayList<>();
        long count = horizon.toSeconds() / settings.slot().toSeconds();
        Instant at = floor(from);
        for (long i = 0; i < count; i++, at = at.plus(settings.slot())) {
            out.add(slot(at));
        }
        return out;
    }

    /** True when {@code slot} belongs to a window. */
    public boolean likely(Slot slot) {
        return unavailable == null && slot.probability() >= settings.minProbability();
    }

    /**
     * The first window that starts after {@code after} (a window already under way is not one),
     * within {@link #HORIZON}; empty while the forecast is unavailable.
     */
    public Optional<Window> nextWindow(Instant after) {
        if (unavailable != null) {
            return Optional.empty();
        }
        Instant first = floor(after).plus(settings.slot());
        boolean previous = likely(slot(floor(after)));
        Instant limit = after.plus(HORIZON);
        for (Instant at = first; at.isBefore(limit); at = at.plus(settings.slot())) {
            Slot slot = slot(at);
            boolean now = likely(slot);
            if (now && !previous) {
                Instant end = slot.end();
                while (end.isBefore(limit) && likely(slot(end))) {
                    end = end.plus(settings.slot());
                }
                return Optional.of(new Window(slot.start(), end, slot));
            }
            previous = now;
        }
        return Optional.empty();
    }

    /** Every window that starts within {@code horizon} after {@code after}. */
    public List<Window> windows(Instant after, Duration horizon) {
        List<Window> out = new ArrayList<>();
        Instant from = after;
        Instant limit = after.plus(horizon);
        while (true) {
            Optional<Window> next = nextWindow(from);
            if (next.isEmpty() || !next.get().start().isBefore(limit)) {
                return out;
            }
            out.add(next.get());
            from = next.get().end().minus(settings.slot());
        }
    }

    /** {seen, observed, arrivals} of the slot starting at {@code start}, one season back at a time. */
    private int[] seen(Instant start, Duration season) {
        Instant from = observedFrom;
        int seen = 0;
        int observed = 0;
        long requests = 0;
        if (from == null) {
            return new int[] {0, 0, 0};
        }
        for (Instant past = start.minus(season); !past.isBefore(from); past = past.minus(season)) {
            if (past.plus(settings.slot()).isAfter(now)) {
                continue; // not over yet
            }
            observed++;
            long count = arrivals.getOrDefault(Math.floorDiv(past.getEpochSecond() / 60, slotMinutes), 0L);
            if (count > 0) {
                seen++;
                requests += count;
            }
        }
        return new int[] {seen, observed, (int) Math.min(Integer.MAX_VALUE, requests)};
    }

    private Instant floor(Instant at) {
        long seconds = settings.slot().toSeconds();
        return Instant.ofEpochSecond(Math.floorDiv(at.getEpochSecond(), seconds) * seconds);
    }
}
