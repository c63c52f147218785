/** The {@code zeroscale} command line: run, validate, simulate, status. */
@NullMarked
package io.zeroscale.daemon.cli;

import org.jspecify.annotations.NullMarked;
