/**
 * Code shared by the metric sources that query a backend over HTTP ({@code metrics-prometheus},
 * {@code metrics-tempo}): the connection keys of a source's config ({@link
 * io.zeroscale.plugin.support.HttpSettings}, {@link io.zeroscale.plugin.support.HttpSourceConfig}),
 * one HTTP client with auth, TLS, timeout and retries ({@link
 * io.zeroscale.plugin.support.HttpTransport}), and the {@code aggregation} and {@code reduce}
 * options of a signal; and what every orchestrator needs ({@link
 * io.zeroscale.plugin.support.SerialExecutor} for ordered event delivery). A library, not a plugin: it has no {@code Plugin} and no service file, so
 * depending on it keeps plugins independent of each other and of {@code core-engine}.
 */
@NullMarked
package io.zeroscale.plugin.support;

import org.jspecify.annotations.NullMarked;
