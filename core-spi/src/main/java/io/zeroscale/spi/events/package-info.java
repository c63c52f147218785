/**
 * Engine events a plugin can follow through {@link io.zeroscale.spi.PluginContext#subscribe}: every
 * journal entry and every decision that changed something, for Kubernetes Events and resource
 * status, lifecycle hooks, alert sinks and dashboards of your own, without depending on the engine.
 */
@NullMarked
package io.zeroscale.spi.events;

import org.jspecify.annotations.NullMarked;
