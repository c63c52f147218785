package io.zeroscale.engine;

import io.zeroscale.engine.history.ArrivalHistory;
import io.zeroscale.spi.Durations;
import io.zeroscale.spi.automaton.Event;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.traffic.RequestStats;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a target's gateways report, from their threads to its actor: request counters, drains
 * done, gateways leaving, and the reporter TTL checks on them.
 *
 * <p>Gateways report on their own threads, under load on every request; the actor needs only each
 * gateway's newest counters, so {@link #offer} (any thread) coalesces them and says when the actor
 * has to be told, and {@link #take} (on the actor) folds what waits into the {@link TrafficReports}.
 * Every gateway's newest counters are also kept whether taken or not, for {@link #latest()}: an
 * actor that replaces this one replays them, so counters not taken yet are not lost.
 *
 * <p>Everything else runs on the actor. When the summed requests change, the arrival history
 * counts them, the {@link TargetView} takes them and then the automaton hears of them. A drain is
 * over only once every live gateway drained it; replicas the engine drained for itself are its own
 * business ({@link Target#claimDrained}), the rest are the automaton's. {@link #checkReporters}
 * (every tick) journals a gateway silent past {@code traffic.reporter-ttl} (its requests become
 * unknown, never zero), one heard from again, and one silent past {@code traffic.forget-after}
 * (forgotten).
 */
final class GatewayTraffic {
    private static final Logger log = LoggerFactory.getLogger(GatewayTraffic.class);

    /** What the gateways' traffic needs of its target's actor; called on the actor. */
    interface Target {
        void journal(JournalEntry.Kind kind, String message);

        /** Hands an event to the automaton. */
        void deliver(Event event);

        /**
         * Takes the drained replicas the engine waited for itself (a scale-down to M > 0, an
         * announced removal) and returns the rest, which are the automaton's.
         */
        List<Endpoint> claimDrained(List<Endpoint> endpoints);
    }

    private final String name;
    private final TrafficReports reports;
    private final TrafficSettings settings;
    private final TargetView view;
    private final ArrivalHistory history;
    private final Target target;
    /** Each gateway's newest counters not yet taken by the actor (coalesced: only the newest matter). */
    private final ConcurrentHashMap<String, RequestStats> pending = new ConcurrentHashMap<>();
    private final AtomicBoolean posted = new AtomicBoolean();
    /** Each gateway's newest counters, taken or not (replaying a taken one changes nothing). */
    private final ConcurrentHashMap<String, RequestStats> latest = new ConcurrentHashMap<>();

    /**
     * @param reports every gateway's reports, new or a predecessor's
     * @param history where arrivals are counted, once, as the summed requests change
     */
    GatewayTraffic(String name, TrafficReports reports, TrafficSettings settings, TargetView view, ArrivalHistory history,
            Target target) {
        this.name = name;
        this.reports = reports;
        this.settings = settings;
        this.view = view;
        this.history = history;
        this.target = target;
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

    /**
     * Counters a predecessor had, taken at once into the reports and the view (on the actor, before
     * it starts); the automaton hears nothing: it starts over from {@code Start}.
     */
    void replay(Map<String, RequestStats> counters, Instant now) {
        counters.forEach((gateway, stats) -> {
            latest.put(gateway, stats);
            reports.report(gateway, stats, now);
        });
        view.requests(reports.sum(), reports.unknownReason());
    }

    /** Folds the waiting counters into the reports; on the actor. */
    void take(Instant now) {
        posted.set(false);
        boolean changed = false;
        // The map's own iterator (weakly consistent, removals allowed): no copy of the keys per report.
        for (String gateway : pending.keySet()) {
            RequestStats newest = pending.remove(gateway);
            if (newest != null) {
                changed |= reports.report(gateway, newest, now);
            }
        }
        if (changed) {
            requestsChanged(now);
        }
    }

    /**
     * {@code gateway} drained {@code endpoints} for drain id {@code drain}; on the actor. An empty
     * list means nothing was being drained, so the automaton has nothing to wait for.
     */
    void drained(String gateway, long drain, List<Endpoint> endpoints) {
        if (endpoints.isEmpty()) {
            target.deliver(new Event.Drained(List.of()));
            return;
        }
        // Over only once every live gateway drained them: another may still have requests on them.
        drainsOver(reports.drained(gateway, endpoints, drain));
    }

    /** {@code gateway} closed: its requests no longer count, and no drain waits for it; on the actor. */
    void left(String gateway, Instant now) {
        pending.remove(gateway);
        if (reports.left(gateway)) {
            target.journal(JournalEntry.Kind.SAFETY, "gateway " + gateway + " left: its requests no longer count");
            requestsChanged(now);
        }
        drainsOver(reports.completedDrains());
    }

    /** Each gateway's newest counters, taken by the actor or not. */
    Map<String, RequestStats> latest() {
        return Map.copyOf(latest);
    }

    /**
     * Gateways unheard past the TTL become unknown; heard again, known; silent for long, forgotten.
     * On the actor, every tick of every target: nothing is allocated when nothing changed.
     */
    void checkReporters(Instant now) {
        TrafficReports.Liveness liveness = reports.refresh(now);
        if (liveness.equals(TrafficReports.Liveness.UNCHANGED)) {
            return;
        }
        String ttl = Durations.format(settings.reporterTtl());
        for (String gateway : liveness.silenced()) {
            log.warn("target {}: gateway {} not heard from for longer than {}: its requests are unknown,"
                    + " no scale to zero until it reports again", name, gateway, ttl);
            target.journal(JournalEntry.Kind.SAFETY, "gateway " + gateway + " not heard from for longer than"
                    + " traffic.reporter-ttl " + ttl + ": its requests are unknown; no scale to zero until it reports again");
        }
        for (String gateway : liveness.revived()) {
            target.journal(JournalEntry.Kind.SAFETY, "gateway " + gateway + " heard from again");
        }
        for (String gateway : liveness.forgotten()) {
            target.journal(JournalEntry.Kind.SAFETY, "gateway " + gateway + " silent for longer than traffic.forget-after "
                    + Durations.format(settings.forgetAfter()) + ": forgotten, its last counters no longer count");
        }
        if (liveness.changed()) {
            requestsChanged(now);
        }
        if (!liveness.silenced().isEmpty() || !liveness.forgotten().isEmpty()) {
            // A gateway stopped counting, so a drain that waited for it may be over.
            drainsOver(reports.completedDrains());
        }
    }

    private void requestsChanged(Instant now) {
        view.arrivalsJoined(reports.takeJoinedArrivals());
        // The one place arrivals enter the history: the sum over gateways, before the automaton
        // hears of them, so a prediction made on this event already counts them. A gateway that
        // joins adds only the requests it holds or forwards now: the rest of its count is older.
        history.counter(now, reports.sum().arrivals(), reports.takeHistoryBacklog());
        view.requests(reports.sum(), reports.unknownReason());
        target.deliver(new Event.RequestsChanged());
    }

    private void drainsOver(List<Endpoint> endpoints) {
        if (endpoints.isEmpty()) {
            return;
        }
        // Replicas drained for a scale-down to M > 0 or an announced removal are the engine's
        // business; the rest (a drain to zero) is the automaton's.
        List<Endpoint> unclaimed = target.claimDrained(endpoints);
        if (!unclaimed.isEmpty()) {
            target.deliver(new Event.Drained(unclaimed));
        }
    }
}
