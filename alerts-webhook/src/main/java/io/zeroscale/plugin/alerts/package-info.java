/**
 * The {@code webhook} and {@code alertmanager} alert sinks: the engine's alerts as an HTTP POST of
 * JSON (generic or Slack-compatible), or as Alertmanager API v2 alerts.
 */
@NullMarked
package io.zeroscale.plugin.alerts;

import org.jspecify.annotations.NullMarked;
