/**
 * State stores of the engine's own: {@link io.zeroscale.engine.state.FileStateStore} (files under
 * the data directory, the default for one process), {@link
 * io.zeroscale.engine.state.MemoryStateStore} (tests and simulations), and {@link
 * io.zeroscale.engine.state.DataDirectoryLock}, which keeps a second daemon off a data directory
 * that is in use.
 */
@NullMarked
package io.zeroscale.engine.state;

import org.jspecify.annotations.NullMarked;
