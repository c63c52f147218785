package io.zeroscale.engine;

import io.zeroscale.spi.Durations;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.traffic.RequestStats;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * One target's traffic as every gateway that routes it reports it. Each gateway (a reporter, by
 * its id) sends snapshots of its own counters; this keeps the newest per reporter and makes one
 * view of them:
 *
 * <ul>
 *   <li>{@code held} and {@code inFlight} are summed over the live reporters, so one gateway's
 *       "held 0" never hides another's held request;
 *   <li>the monotonic counters ({@code arrivals}, {@code completed}, the latency sum, {@code
 *       overflowed}) are totals this class counts itself from each reporter's increases, so
 *       interleaved reports of two gateways never make a counter go back (which would break the
 *       arrival rate), and a gateway whose counter went down (it restarted) adds its new count;
 *   <li>a reporter not heard from for {@link TrafficSettings#reporterTtl()} is silent: its requests
 *       are unknown, {@link #unknownReason()} says so, and the safety rules refuse zero meanwhile
 *       (unknown is never zero). After {@link TrafficSettings#forgetAfter()} it is forgotten;
 *   <li>a drain of an endpoint ends only once every live reporter reported it drained.
 * </ul>
 *
 * <p>Confined to the target's actor.
 */
final class TrafficReports {
    private final TrafficSettings settings;
    /** When a gateway was last heard from (a report of any target, or a heartbeat); null when never or left. */
    private final Function<String, @Nullable Instant> lastHeard;
    private final Map<String, Reporter> reporters = new LinkedHashMap<>();
    /** The reporters that reported each endpoint drained, while its drain is not passed on yet. */
    private final Map<Endpoint, Set<String>> drainedBy = new LinkedHashMap<>();
    /** The drain id under which each endpoint being drained started draining. */
    private final Map<Endpoint, Long> drainStarted = new LinkedHashMap<>();
    private long arrivals;
    private long completed;
    private double latencySecondsSum;
    private long overflowed;
    private long joinedArrivals;
    private long historyBacklog;
    private RequestStats sum = RequestStats.IDLE;
    private @Nullable String unknownReason;
    /** How many reporters are silent: {@link #anySilent()} runs after every message of the target. */
    private int silentCount;
    /** The reporter TTL and a nanosecond: a reporter is silent only past it (see {@link #nextCheck()}). */
    private final Duration silentAfter;

    private static final class Reporter {
        RequestStats last;
        Instant reportedAt;
        boolean silent;

        Reporter(RequestStats last, Instant reportedAt) {
            this.last = last;
            this.reportedAt = reportedAt;
        }
    }

    /**
     * What changed when the reporters were checked against the clock.
     *
     * @param changed the summed view changed (the automaton should hear of it)
     * @param silenced reporters that went silent now
     * @param revived silent reporters heard from again
     * @param forgotten reporters silent past {@code forget-after}, dropped now
     */
    record Liveness(boolean changed, List<String> silenced, List<String> revived, List<String> forgotten) {
        /** No reporter went silent, came back or was forgotten. */
        static final Liveness UNCHANGED = new Liveness(false, List.of(), List.of(), List.of());
    }

    TrafficReports(TrafficSettings settings, Function<String, @Nullable Instant> lastHeard) {
        this.settings = settings;
        this.lastHeard = lastHeard;
        this.silentAfter = settings.reporterTtl().plusNanos(1);
    }

    /**
     * {@code gateway}'s newest counters. Returns true when the summed view changed (so the
     * automaton should hear of it).
     */
    boolean report(String gateway, RequestStats stats, Instant now) {
        Reporter reporter = reporters.get(gateway);
        if (reporter == null) {
            // A gateway new to this target: everything it counted is new here, as a counter that
            // starts at zero. Its arrivals before now are no rate, though: see takeJoinedArrivals.
            arrivals += stats.arrivals();
            joinedArrivals += stats.arrivals();
            // For the arrival history, only the requests held or in flight now are this minute's;
            // the rest of a joining gateway's count happened before, at times nobody knows.
            historyBacklog += stats.arrivals() - Math.min(stats.arrivals(), (long) stats.held() + stats.inFlight());
            completed += stats.completed();
            overflowed += stats.overflowed();
            latencySecondsSum += stats.latencySecondsSum();
            reporters.put(gateway, new Reporter(stats, now));
        } else {
            RequestStats before = reporter.last;
            arrivals += increase(before.arrivals(), stats.arrivals());
            completed += increase(before.completed(), stats.completed());
            overflowed += increase(before.overflowed(), stats.overflowed());
            latencySecondsSum += stats.latencySecondsSum() >= before.latencySecondsSum()
                    ? stats.latencySecondsSum() - before.latencySecondsSum() : stats.latencySecondsSum();
            reporter.last = stats;
            reporter.reportedAt = now;
            if (reporter.silent) {
                reporter.silent = false;
                silentCount--;
            }
        }
        return recompute();
    }

    /** A monotonic counter's increase; a counter that went down restarted from zero. */
    private static long increase(long before, long after) {
        return after >= before ? after - before : after;
    }

    /** {@code gateway} left: its counters stop counting at once. Returns true when the view changed. */
    boolean left(String gateway) {
        Reporter gone = reporters.remove(gateway);
        if (gone == null) {
            return false;
        }
        if (gone.silent) {
            silentCount--;
        }
        return recompute();
    }

    /**
     * Marks reporters silent whose gateway has not been heard from within the TTL, and forgets the
     * ones silent past {@code forget-after}; a silent reporter heard from again is live again.
     */
    Liveness refresh(Instant now) {
        // Runs on every tick of every target: nothing is allocated unless a reporter changes.
        @Nullable List<String> silenced = null;
        @Nullable List<String> forgotten = null;
        @Nullable List<String> revived = null;
        for (Iterator<Map.Entry<String, Reporter>> it = reporters.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Reporter> entry = it.next();
            Reporter reporter = entry.getValue();
            Instant heard = heardAt(entry.getKey(), reporter);
            Duration quiet = Duration.between(heard, now);
            if (quiet.compareTo(settings.forgetAfter()) > 0) {
                it.remove();
                if (reporter.silent) {
                    silentCount--;
                }
                forgotten = add(forgotten, entry.getKey());
            } else if (quiet.compareTo(settings.reporterTtl()) > 0) {
                if (!reporter.silent) {
                    reporter.silent = true;
                    silentCount++;
                    silenced = add(silenced, entry.getKey());
                }
            } else if (reporter.silent) {
                reporter.silent = false; // a heartbeat came: its last counters hold again
                silentCount--;
                revived = add(revived, entry.getKey());
            }
        }
        if (silenced == null && revived == null && forgotten == null) {
            return Liveness.UNCHANGED; // no reporter changed: the sums are what they were
        }
        return new Liveness(recompute(), orNone(silenced), orNone(revived), orNone(forgotten));
    }

    /**
     * When {@link #refresh} could next find a change without a report coming: the earliest time a
     * live reporter goes past the TTL (a heartbeat moves it later: checking early only checks
     * again). Null when no reporter is live. A silent reporter's revival by a heartbeat has no
     * deadline: see {@link #anySilent()}. Nor has a reporter whose gateway the engine heard from
     * since this target took its last report: the engine's {@link GatewayWatch} has every target
     * check when that gateway goes silent, so a quiet target keeps no timer of its own while its
     * gateway keeps reporting (for other targets, or heartbeats).
     */
    @Nullable Instant nextCheck() {
        @Nullable Instant earliest = null;
        for (Map.Entry<String, Reporter> entry : reporters.entrySet()) {
            Reporter reporter = entry.getValue();
            if (reporter.silent || watchedByEngine(entry.getKey(), reporter)) {
                continue;
            }
            Instant due = heardAt(entry.getKey(), reporter).plus(silentAfter); // silent only past the TTL
            if (earliest == null || due.isBefore(earliest)) {
                earliest = due;
            }
        }
        return earliest;
    }

    /** The engine heard from the gateway at or after this target's last report of it: its watch fires first. */
    private boolean watchedByEngine(String gateway, Reporter reporter) {
        Instant heard = lastHeard.apply(gateway);
        return heard != null && !heard.isBefore(reporter.reportedAt);
    }

    /** True while some reporter is silent: only a check finds its heartbeat (or forgets it). */
    boolean anySilent() {
        return silentCount > 0;
    }

    private static List<String> add(@Nullable List<String> list, String gateway) {
        List<String> out = list == null ? new ArrayList<>() : list;
        out.add(gateway);
        return out;
    }

    private static List<String> orNone(@Nullable List<String> list) {
        return list == null ? List.of() : list;
    }

    private Instant heardAt(String gateway, Reporter reporter) {
        Instant heard = lastHeard.apply(gateway);
        return heard != null && heard.isAfter(reporter.reportedAt) ? heard : reporter.reportedAt;
    }

    /**
     * The arrivals that gateways new to this target had counted before their first report, since
     * the last call: a step in the total that is not a rate (a gateway joining with a long history
     * must not look like a burst), so the arrival-rate window discounts it.
     */
    long takeJoinedArrivals() {
        long out = joinedArrivals;
        joinedArrivals = 0;
        return out;
    }

    /**
     * Of the arrivals that gateways new to this target reported first, since the last call, those
     * that were neither held nor in flight then: they happened before the gateway's first report,
     * so the arrival history does not count them in the minute of that report.
     */
    long takeHistoryBacklog() {
        long out = historyBacklog;
        historyBacklog = 0;
        return out;
    }

    /** The counters summed over the live reporters, with the totals this counted. */
    RequestStats sum() {
        return sum;
    }

    /** Why the requests are not fully known (a reporter is silent), or null when they are. */
    @Nullable String unknownReason() {
        return unknownReason;
    }

    /** Live (not silent) reporters, for status and tests. */
    List<String> live() {
        List<String> out = new ArrayList<>();
        reporters.forEach((gateway, reporter) -> {
            if (!reporter.silent) {
                out.add(gateway);
            }
        });
        return out;
    }

    private boolean recompute() {
        int held = 0;
        int inFlight = 0;
        // Made only when some reporter is silent: this runs on every report.
        List<String> silent = silentCount == 0 ? List.of() : new ArrayList<>();
        for (Map.Entry<String, Reporter> entry : reporters.entrySet()) {
            Reporter reporter = entry.getValue();
            if (reporter.silent) {
                silent.add(entry.getKey());
            } else {
                held += reporter.last.held();
                inFlight += reporter.last.inFlight();
            }
        }
        RequestStats next = new RequestStats(held, inFlight, arrivals, completed, latencySecondsSum, overflowed);
        String reason = silent.isEmpty() ? null : (silent.size() == 1 ? "gateway " + silent.getFirst() : "gateways " + silent)
                + " not heard from for longer than traffic.reporter-ttl " + Durations.format(settings.reporterTtl())
                + ": its requests are unknown";
        boolean changed = !next.equals(sum) || !java.util.Objects.equals(reason, unknownReason);
        sum = next;
        unknownReason = reason;
        return changed;
    }

    // ---- drains ----------------------------------------------------------------------------------

    /**
     * {@code gateway} drained {@code endpoints} in the drain {@code drain} (0: unknown). Returns
     * the endpoints every live reporter has drained now (the drain of those is over), in the order
     * given. A report of an endpoint whose current drain started after {@code drain} is late (it
     * belongs to a drain that was cancelled) and counts for nothing.
     */
    List<Endpoint> drained(String gateway, List<Endpoint> endpoints, long drain) {
        List<Endpoint> current = new ArrayList<>();
        for (Endpoint endpoint : endpoints) {
            Long started = drainStarted.get(endpoint);
            if (drain != 0 && started != null && drain < started) {
                continue;
            }
            drainedBy.computeIfAbsent(endpoint, e -> new HashSet<>()).add(gateway);
            current.add(endpoint);
        }
        return complete(current);
    }

    /**
     * Endpoints whose drain is over now that fewer reporters are live (one went silent, was
     * forgotten or left): every one left has drained them.
     */
    List<Endpoint> completedDrains() {
        return complete(List.copyOf(drainedBy.keySet()));
    }

    private List<Endpoint> complete(Collection<Endpoint> candidates) {
        List<String> live = live();
        List<Endpoint> done = new ArrayList<>();
        for (Endpoint endpoint : new LinkedHashSet<>(candidates)) {
            Set<String> by = drainedBy.get(endpoint);
            if (by != null && by.containsAll(live)) {
                drainedBy.remove(endpoint);
                done.add(endpoint);
            }
        }
        return done;
    }

    /**
     * The route now drains {@code draining}, and {@code drain} is the id of its newest drain: the
     * endpoints new to the list start draining under it; drain reports of endpoints no longer being
     * drained are dropped (the drain was cancelled; a new drain of them needs new reports).
     */
    void draining(Collection<Endpoint> draining, long drain) {
        Set<Endpoint> now = Set.copyOf(draining);
        drainedBy.keySet().retainAll(now);
        drainStarted.keySet().retainAll(now);
        for (Endpoint endpoint : draining) {
            drainStarted.putIfAbsent(endpoint, drain);
        }
    }
}
