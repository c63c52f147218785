/** Time for the engine: the wall clock in production, virtual time in tests and simulations. */
@NullMarked
package io.zeroscale.engine.time;

import org.jspecify.annotations.NullMarked;
