@NullMarked
package io.zeroscale.testkit;

import org.jspecify.annotations.NullMarked;
