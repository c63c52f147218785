@NullMarked
package io.zeroscale.spi.traffic;

import org.jspecify.annotations.NullMarked;
