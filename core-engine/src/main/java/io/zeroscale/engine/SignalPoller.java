package io.zeroscale.engine;

import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.metrics.MetricSource;
import io.zeroscale.spi.metrics.PushMetricSource;
import io.zeroscale.spi.metrics.SignalValue;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;

/**
 * Fetches one target's signals: pull sources are queried on every tick from the blocking executor,
 * push sources are subscribed once. Every value (or a failure, as an unknown value: never a zero)
 * goes to {@code sink}, which posts it to the target's actor.
 */
final class SignalPoller {
    private final Collection<SignalSpec> signals;
    private final Map<String, MetricSource> sources;
    private final Scheduler scheduler;
    private final Executor blocking;
    private final BiConsumer<String, SignalValue> sink;
    private final boolean pulls;

    SignalPoller(Collection<SignalSpec> signals, Map<String, MetricSource> sources, Scheduler scheduler, Executor blocking,
            BiConsumer<String, SignalValue> sink) {
        this.signals = List.copyOf(signals);
        this.sources = Map.copyOf(sources);
        this.scheduler = scheduler;
        this.blocking = blocking;
        this.sink = sink;
        boolean any = false;
        for (SignalSpec signal : this.signals) {
            MetricSource source = this.sources.get(signal.source());
            any |= source != null && !(source instanceof PushMetricSource);
        }
        this.pulls = any;
    }

    /** Subscribes to every push source; closing the returned subscriptions stops them. */
    List<Subscription> subscribe() {
        List<Subscription> subscriptions = new ArrayList<>();
        for (SignalSpec signal : signals) {
            if (sources.get(signal.source()) instanceof PushMetricSource push) {
                subscriptions.add(push.subscribe(signal.query(), value -> sink.accept(signal.name(), value)));
            }
        }
        return subscriptions;
    }

    /** True when {@code signal} comes from a push source (its values arrive as they happen). */
    boolean pushed(String signal) {
        for (SignalSpec spec : signals) {
            if (spec.name().equals(signal)) {
                return sources.get(spec.source()) instanceof PushMetricSource;
            }
        }
        return false;
    }

    /** True when some signal comes from a pull source: only a tick queries it. */
    boolean pulls() {
        return pulls;
    }

    /** Queries every pull source once, each on its own blocking task. */
    void poll() {
        if (!pulls) {
            return; // every tick of every target: no iterator when no source is pulled
        }
        for (SignalSpec signal : signals) {
            MetricSource source = sources.get(signal.source());
            if (source == null || source instanceof PushMetricSource) {
                continue;
            }
            blocking.execute(() -> {
                SignalValue value;
                try {
                    value = source.query(signal.query(), signal.window());
                } catch (RuntimeException e) {
                    value = SignalValue.unknown("source '" + signal.source() + "' failed: " + e.getMessage(), scheduler.clock().instant());
                }
                sink.accept(signal.name(), value);
            });
        }
    }
}
