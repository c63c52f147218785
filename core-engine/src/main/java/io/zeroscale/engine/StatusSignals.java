package io.zeroscale.engine;

import io.zeroscale.spi.automaton.ReservedSignals;
import io.zeroscale.spi.metrics.SignalValue;
import io.zeroscale.spi.traffic.RequestStats;
import java.time.Instant;
import java.util.AbstractMap;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The signals of a {@link TargetStatus}: the configured ones as they were when the status was
 * taken, and the reserved ones ({@code inflight}, {@code held}, {@code arrival-rate}) computed from
 * the gateway counters of that moment, only when read. A status is taken after every event of
 * every target and mostly never read; copying every signal into a new map each time was the
 * largest allocation per decision. Immutable, so safe from any thread.
 */
final class StatusSignals extends AbstractMap<String, SignalValue> {
    private final Map<String, SignalValue> configured;
    private final RequestStats requests;
    private final double arrivalRate;
    private final @Nullable String requestsUnknown;
    private final Instant at;
    /** Built on the first read that needs every entry; a race builds it twice, alike. */
    private volatile @Nullable Set<Entry<String, SignalValue>> entries;

    /**
     * @param configured the configured signals' values, an unmodifiable map not changed afterwards
     *     (shared between statuses until a signal changes)
     */
    StatusSignals(Map<String, SignalValue> configured, RequestStats requests, double arrivalRate,
            @Nullable String requestsUnknown, Instant at) {
        this.configured = configured;
        this.requests = requests;
        this.arrivalRate = arrivalRate;
        this.requestsUnknown = requestsUnknown;
        this.at = at;
    }

    @Override
    public @Nullable SignalValue get(@Nullable Object key) {
        SignalValue value = configured.get(key);
        if (value != null || !(key instanceof String name) || !ReservedSignals.ALL.contains(name)) {
            return value;
        }
        return reserved(name);
    }

    @Override
    public boolean containsKey(@Nullable Object key) {
        return configured.containsKey(key) || (key instanceof String name && ReservedSignals.ALL.contains(name));
    }

    @Override
    public int size() {
        int size = configured.size();
        for (String name : ReservedSignals.ALL) {
            if (!configured.containsKey(name)) {
                size++;
            }
        }
        return size;
    }

    @Override
    public Set<Entry<String, SignalValue>> entrySet() {
        Set<Entry<String, SignalValue>> out = entries;
        if (out == null) {
            Map<String, SignalValue> all = new LinkedHashMap<>(configured);
            for (String name : ReservedSignals.ALL) {
                all.putIfAbsent(name, reserved(name));
            }
            out = Collections.unmodifiableMap(all).entrySet();
            entries = out;
        }
        return out;
    }

    private SignalValue reserved(String name) {
        return ReservedSignals.valueOf(name, requests, () -> arrivalRate, requestsUnknown, at);
    }
}
