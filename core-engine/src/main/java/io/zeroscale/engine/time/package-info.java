/** Real-time implementations of the SPI's time abstractions. */
@NullMarked
package io.zeroscale.engine.time;

import org.jspecify.annotations.NullMarked;
