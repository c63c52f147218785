@NullMarked
package io.zeroscale.spi.automaton;

import org.jspecify.annotations.NullMarked;
