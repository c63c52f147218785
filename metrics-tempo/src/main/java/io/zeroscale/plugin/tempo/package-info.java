/**
 * The {@code tempo} metric source: request rates and latency quantiles of a service from Grafana
 * Tempo, through TraceQL metrics or, for Tempo without them, TraceQL search plus trace fetches.
 * Entry point: {@link io.zeroscale.plugin.tempo.TempoPlugin}.
 */
@NullMarked
package io.zeroscale.plugin.tempo;

import org.jspecify.annotations.NullMarked;
