package io.zeroscale.testkit;

import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.metrics.MetricQuery;
import io.zeroscale.spi.metrics.MetricSource;
import io.zeroscale.spi.metrics.SignalValue;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A metric source whose answers the test sets per query expression; {@link #setFailing} makes
 * every query unknown, like a Prometheus server that went away.
 */
public final class FakeMetricSource implements MetricSource {
    private final Scheduler scheduler;
    private final Map<String, Double> values = new ConcurrentHashMap<>();
    private volatile boolean failing;

    public FakeMetricSource(Scheduler scheduler) {
        this.scheduler = scheduler;
    }

    public void set(String expression, double value) {
        values.put(expression, value);
    }

    public void setFailing(boolean failing) {
        this.failing = failing;
    }

    @Override
    public SignalValue query(MetricQuery query, Duration window) {
        if (failing) {
            return SignalValue.unknown("fake source is down (as the test asked)", scheduler.clock().instant());
        }
        Double value = values.get(query.expression());
        if (value == null) {
            return SignalValue.unknown("no series matched " + query.expression(), scheduler.clock().instant());
        }
        return SignalValue.known(value, scheduler.clock().instant());
    }

    @Override
    public void close() {}
}
