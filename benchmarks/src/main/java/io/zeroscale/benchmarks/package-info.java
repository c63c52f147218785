@NullMarked
package io.zeroscale.benchmarks;

import org.jspecify.annotations.NullMarked;
