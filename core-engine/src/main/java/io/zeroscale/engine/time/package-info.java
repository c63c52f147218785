@NullMarked
package io.zeroscale.engine.time;

import org.jspecify.annotations.NullMarked;
