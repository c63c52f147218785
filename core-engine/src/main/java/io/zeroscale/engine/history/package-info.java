/**
 * Arrival history: per-target counts of request arrivals per minute, kept by the engine, stored
 * under the data directory, and the histogram of idle times the adaptive keep-alive and pre-wake
 * policy predicts from.
 */
@NullMarked
package io.zeroscale.engine.history;

import org.jspecify.annotations.NullMarked;
