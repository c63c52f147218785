/**
 * Alert sinks: where the engine's alerts go (a webhook, Alertmanager, a pager of your own). The
 * engine decides when something is wrong and when it is over, deduplicates and rate-limits; a sink
 * only delivers one {@link io.zeroscale.spi.alert.Alert} at a time.
 */
@NullMarked
package io.zeroscale.spi.alert;

import org.jspecify.annotations.NullMarked;
