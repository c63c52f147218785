/**
 * The {@code prometheus} metric source: PromQL instant and range queries over Prometheus's HTTP
 * API. Entry point: {@link io.zeroscale.plugin.prometheus.PrometheusPlugin}.
 */
@NullMarked
package io.zeroscale.plugin.prometheus;

import org.jspecify.annotations.NullMarked;
