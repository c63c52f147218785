package io.zeroscale.engine;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.Durations;
import java.time.Duration;
import java.util.Set;

/**
 * How the engine treats gateways that report traffic (see {@link io.zeroscale.spi.traffic.TrafficHub}).
 *
 * @param reporterTtl how long a gateway may go unheard (no report, no heartbeat) before its
 *     requests count as unknown: no target it routes scales to zero until it is heard from again.
 *     The gateway module heartbeats every 5 s by default, so 15 s tolerates two lost heartbeats
 * @param forgetAfter how long a silent gateway is kept as unknown before it is forgotten (a
 *     gateway that crashed and never said goodbye); its last counters stop blocking scale to zero
 *     then. Longer than {@code reporterTtl}
 */
public record TrafficSettings(Duration reporterTtl, Duration forgetAfter) {
    /** The keys of a {@code traffic:} node the engine reads; {@code hub} is the hub plugin's. */
    public static final Set<String> KEYS = Set.of("reporter-ttl", "forget-after", "hub");

    public static final TrafficSettings DEFAULT = new TrafficSettings(Duration.ofSeconds(15), Duration.ofMinutes(10));

    public TrafficSettings {
        requireNonNull(reporterTtl, "reporterTtl is null");
        requireNonNull(forgetAfter, "forgetAfter is null");
        if (reporterTtl.isZero() || reporterTtl.isNegative()) {
            throw new IllegalArgumentException("reporterTtl must be positive, got " + reporterTtl);
        }
        if (forgetAfter.compareTo(reporterTtl) <= 0) {
            throw new IllegalArgumentException("forgetAfter (" + Durations.format(forgetAfter) + ") must be longer than reporterTtl ("
                    + Durations.format(reporterTtl) + ")");
        }
    }

    /**
     * Reads a {@code traffic:} node; absent keys keep the defaults.
     *
     * @throws io.zeroscale.spi.ZeroscaleException {@code CONFIG_INVALID} naming the key and the fix
     */
    public static TrafficSettings fromConfig(Config traffic) {
        traffic.requireOnlyKeys(KEYS);
        Duration ttl = traffic.duration("reporter-ttl", DEFAULT.reporterTtl);
        if (ttl.isZero()) {
            throw traffic.invalid("reporter-ttl", "must be longer than 0s, e.g. 15s (three times the gateways' heartbeat)");
        }
        Duration forget = traffic.duration("forget-after", ttl.compareTo(DEFAULT.forgetAfter) < 0 ? DEFAULT.forgetAfter : ttl.multipliedBy(2));
        if (forget.compareTo(ttl) <= 0) {
            throw traffic.invalid("forget-after", "must be longer than reporter-ttl (" + Durations.format(ttl) + "), got "
                    + Durations.format(forget));
        }
        return new TrafficSettings(ttl, forget);
    }
}
