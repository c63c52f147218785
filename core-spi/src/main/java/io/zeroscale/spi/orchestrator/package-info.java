@NullMarked
package io.zeroscale.spi.orchestrator;

import org.jspecify.annotations.NullMarked;
