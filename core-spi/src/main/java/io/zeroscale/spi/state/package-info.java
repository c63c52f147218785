/**
 * The state store: where the engine keeps what an operator set (automation pause, manual
 * overrides), the decision journal, and each target's arrival history and dashboard series, so
 * they survive a restart of the daemon and a change of leader. Files under the data directory for one process (the default); a plugin may back it with
 * a cluster (a new leader on another machine finds the state there).
 */
@NullMarked
package io.zeroscale.spi.state;

import org.jspecify.annotations.NullMarked;
