package io.zeroscale.daemon.api;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.type.TypeReference;
import io.zeroscale.engine.Engine;
import io.zeroscale.engine.TargetStatus;
import io.zeroscale.engine.history.ArrivalHistories;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.metrics.SignalValue;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bounded history per target of its replicas, requests and signals, for the dashboard's charts
 * ({@code GET /targets/{name}/series}). A status change (a decision, an operator's action, an
 * observation while paused) only marks its target (a set insert on the actor thread); a sampler thread reads the marked targets' statuses every {@link #SAMPLE} and
 * keeps a point when something changed, so the series shows observed replicas as they change,
 * not only at scaling decisions, and the signals that drove each decision. At most
 * {@link #MAX_POINTS} points per target are kept (the oldest go first): 1,000 targets cost a few
 * tens of megabytes at most.
 *
 * <p>The points live in the engine's state store next to the arrival history ({@link
 * Engine#targetSeries}, document {@code series/<target>/dashboard.json}, about 100 KiB at most),
 * written by the engine's batched flush once a minute and on close, never by this sampler: after a
 * restart, or on a new leader over the same store, the charts go on from the stored points. A
 * document that cannot be read is set aside and journalled by the engine; the chart starts empty.
 */
final class TargetSeries implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TargetSeries.class);
    static final int MAX_POINTS = 720;
    static final Duration SAMPLE = Duration.ofMillis(250);

    /** One sample; a signal's value is null while it is unknown. */
    record Point(String at, int desired, int observed, int ready, int held, int inFlight, Map<String, @Nullable Double> signals) {
        boolean sameAs(Point other) {
            return desired == other.desired && observed == other.observed && ready == other.ready && held == other.held
                    && inFlight == other.inFlight && signals.equals(other.signals);
        }
    }

    static final String STORED_AS = "dashboard";
    private static final TypeReference<List<Point>> POINTS = new TypeReference<>() {};

    private final ApiHandlers handlers;
    private final ArrivalHistories.Series stored;
    private final Map<String, ArrayDeque<Point>> series = new ConcurrentHashMap<>();
    private final Set<TargetRef> changed = ConcurrentHashMap.newKeySet();
    private @Nullable Subscription subscription;
    private @Nullable Thread sampler;
    private volatile boolean closed;

    TargetSeries(ApiHandlers handlers) {
        this.handlers = requireNonNull(handlers, "handlers is null");
        this.stored = handlers.engine().targetSeries(STORED_AS);
    }

    /** {@code target}'s points: read from the store the first time (blocks on it; never on an actor). */
    private ArrayDeque<Point> points(String target) {
        return series.computeIfAbsent(target, name -> {
            ArrayDeque<Point> points = new ArrayDeque<>();
            stored.load(name, document -> {
                List<Point> read = Json.MAPPER.readValue(document, POINTS);
                for (Point point : read) {
                    if (point == null || point.at() == null || point.signals() == null) {
                        throw new java.io.IOException("a point without its time or signals");
                    }
                }
                return read;
            }).ifPresent(read -> read.stream().skip(Math.max(0, read.size() - MAX_POINTS)).forEach(points::addLast));
            return points;
        });
    }

    synchronized void start() {
        if (subscription != null || closed) {
            return;
        }
        subscription = handlers.engine().subscribeStatus(changed::add);
        handlers.engine().statuses().forEach(status -> changed.add(status.ref()));
        sampler = Thread.ofVirtual().name("zeroscale-series").start(this::sample);
    }

    private void sample() {
        try {
            while (!closed) {
                Thread.sleep(SAMPLE);
                for (TargetRef ref : List.copyOf(changed)) {
                    changed.remove(ref);
                    TargetStatus status = handlers.statusOf(ref);
                    if (status != null) {
                        record(status);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error("the dashboard's series sampler failed; charts stop until the daemon restarts", e);
        }
    }

    private void record(TargetStatus status) {
        Map<String, @Nullable Double> signals = new LinkedHashMap<>();
        status.signals().forEach((name, value) -> signals.put(name,
                value instanceof SignalValue.Known known && Double.isFinite(known.value()) ? known.value() : null));
        Point point = new Point(status.updatedAt().toString(), status.desiredReplicas(), status.observedReplicas(),
                status.readyReplicas(), status.requests().held(), status.requests().inFlight(), signals);
        ArrayDeque<Point> points = points(status.name());
        synchronized (points) {
            Point last = points.peekLast();
            if (last != null && last.sameAs(point)) {
                return;
            }
            if (points.size() >= MAX_POINTS) {
                points.removeFirst();
            }
            points.addLast(point);
        }
        // Written by the engine's next flush, off this thread; the newest copy wins.
        stored.changed(status.name(), () -> {
            synchronized (points) {
                return Json.write(List.copyOf(points));
            }
        });
    }

    /** {@code GET /targets/{name}/series}. */
    ApiResponse get(ApiRequest request) {
        String name = request.pathParameter("name");
        if (handlers.engine().status(name).isEmpty()) {
            throw ApiException.notFound("no target named '" + name + "'");
        }
        ArrayDeque<Point> points = points(name);
        List<Point> copy = new ArrayList<>();
        synchronized (points) {
            copy.addAll(points);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("target", name);
        out.put("maxPoints", MAX_POINTS);
        out.put("points", copy);
        return ApiResponse.ok(out);
    }

    @Override
    public synchronized void close() {
        closed = true;
        Subscription current = subscription;
        if (current != null) {
            current.close();
        }
        Thread thread = sampler;
        if (thread != null) {
            thread.interrupt();
        }
    }
}
