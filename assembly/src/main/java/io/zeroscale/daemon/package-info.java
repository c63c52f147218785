/** The zeroscale daemon: Guice wiring, plugin loading, lifecycle and shutdown. */
@NullMarked
package io.zeroscale.daemon;

import org.jspecify.annotations.NullMarked;
