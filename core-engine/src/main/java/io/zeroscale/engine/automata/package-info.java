@NullMarked
package io.zeroscale.engine.automata;

import org.jspecify.annotations.NullMarked;
