package io.zeroscale.engine;

import io.zeroscale.spi.Durations;
import io.zeroscale.spi.traffic.RequestStats;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A target's gateway counters on their way from the gateways' threads to its actor, and the
 * reporter TTL checks on them.
 *
 * <p>Gateways report on their own threads, under load on every request; the actor needs only each
 * gateway's newest counters, so {@link #offer} coalesces them and says when the actor has to be
 * told, and {@link #take} (on the actor) folds what waits into the {@link TrafficReports}. Every
 * gateway's newest counters are also kept whether taken or not, for {@link #latest()}: an actor
 * that replaces this one replays them, so counters not taken yet are not lost.
 *
 * <p>{@link #checkReporters} (on the actor, every tick) turns {@link TrafficReports#refresh} into
 * what the journal says: a gateway silent past {@code traffic.reporter-ttl} makes the requests
 * unknown (never zero), one heard from again makes them known, one silent past {@code
 * traffic.forget-after} is forgotten.
 */
final class GatewayTraffic {
    private final TrafficReports reports;
    private final TrafficSettings settings;
    /** Each gateway's newest counters not yet taken by the actor (coalesced: only the newest matter). */
    private final ConcurrentHashMap<String, RequestStats> pending = new ConcurrentHashMap<>();
    private final AtomicBoolean posted = new AtomicBoolean();
    /** Each gateway's newest counters, taken or not (replaying a taken one changes nothing). */
    private final ConcurrentHashMap<String, RequestStats> latest = new ConcurrentHashMap<>();

    /**
     * What checking the reporters against the clock found.
     *
     * @param journal what to journal, one line each (safety entries)
     * @param warnings the same for the log, for gateways that went silent
     * @param requestsChanged the summed requests changed: the automaton should hear of it
     * @param drainsMayBeOver a gateway stopped counting, so a drain that waited for it may be over
     */
    record Check(List<String> journal, List<String> warnings, boolean requestsChanged, boolean drainsMayBeOver) {
        static final Check NONE = new Check(List.of(), List.of(), false, false);

        /** True when the check found nothing to journal, log or pass on (every tick of a quiet target). */
        boolean nothing() {
            return journal.isEmpty() && warnings.isEmpty() && !requestsChanged && !drainsMayBeOver;
        }
    }

    GatewayTraffic(TrafficReports reports, TrafficSettings settings) {
        this.reports = reports;
        this.settings = settings;
    }

    /** Every gateway's reports (handed to the actor that replaces this one). */
    TrafficReports reports() {
        return reports;
    }

    /**
     * {@code gateway}'s newest counters, on any thread. Returns true when the actor must be asked
     * to {@link #take} them: false while an earlier ask is still waiting, which takes these too.
     */
    boolean offer(String gateway, RequestStats stats) {
        latest.put(gateway, stats);
        pending.put(gateway, stats);
        return posted.compareAndSet(false, true);
    }

    /** Counters a predecessor had, taken at once (on the actor, before it starts). */
    void replay(Map<String, RequestStats> counters, Instant now) {
        counters.forEach((gateway, stats) -> {
            latest.put(gateway, stats);
            reports.report(gateway, stats, now);
        });
    }

    /** Folds the waiting counters into the reports; on the actor. True when the summed view changed. */
    boolean take(Instant now) {
        posted.set(false);
        boolean changed = false;
        // The map's own iterator (weakly consistent, removals allowed): no copy of the keys per report.
        for (String gateway : pending.keySet()) {
            RequestStats newest = pending.remove(gateway);
            if (newest != null) {
                changed |= reports.report(gateway, newest, now);
            }
        }
        return changed;
    }

    /** {@code gateway} closed; on the actor. True when the summed view changed. */
    boolean left(String gateway) {
        pending.remove(gateway);
        return reports.left(gateway);
    }

    /** Each gateway's newest counters, taken by the actor or not. */
    Map<String, RequestStats> latest() {
        return Map.copyOf(latest);
    }

    /** Gateways unheard past the TTL become unknown; heard again, known; silent for long, forgotten. */
    @SuppressWarnings("ReferenceEquality") // the shared constant refresh returns when nothing changed
    Check checkReporters(Instant now) {
        TrafficReports.Liveness liveness = reports.refresh(now);
        if (liveness == TrafficReports.Liveness.UNCHANGED) {
            return Check.NONE; // every tick of every target: no allocation when nothing changed
        }
        String ttl = Durations.format(settings.reporterTtl());
        List<String> journal = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        for (String gateway : liveness.silenced()) {
            warnings.add("gateway " + gateway + " not heard from for longer than " + ttl
                    + ": its requests are unknown, no scale to zero until it reports again");
            journal.add("gateway " + gateway + " not heard from for longer than traffic.reporter-ttl " + ttl
                    + ": its requests are unknown; no scale to zero until it reports again");
        }
        for (String gateway : liveness.revived()) {
            journal.add("gateway " + gateway + " heard from again");
        }
        for (String gateway : liveness.forgotten()) {
            journal.add("gateway " + gateway + " silent for longer than traffic.forget-after "
                    + Durations.format(settings.forgetAfter()) + ": forgotten, its last counters no longer count");
        }
        return new Check(List.copyOf(journal), List.copyOf(warnings), liveness.changed(),
                !liveness.silenced().isEmpty() || !liveness.forgotten().isEmpty());
    }
}
