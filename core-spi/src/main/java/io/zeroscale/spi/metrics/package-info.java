@NullMarked
package io.zeroscale.spi.metrics;

import org.jspecify.annotations.NullMarked;
