@NullMarked
package io.zeroscale.engine;

import org.jspecify.annotations.NullMarked;
