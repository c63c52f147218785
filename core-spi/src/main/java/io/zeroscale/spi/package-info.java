@NullMarked
package io.zeroscale.spi;

import org.jspecify.annotations.NullMarked;
