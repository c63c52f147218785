/** End-to-end tests of the built distribution, its plugins and samples against real peers. */
@NullMarked
package io.zeroscale.daemon.it;

import org.jspecify.annotations.NullMarked;
