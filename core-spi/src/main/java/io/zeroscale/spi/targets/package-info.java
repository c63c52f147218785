/**
 * Where targets come from while the engine runs: a {@link io.zeroscale.spi.targets.TargetSource}
 * delivers {@link io.zeroscale.spi.targets.TargetChange}s (targets added, updated, removed) to a
 * {@link io.zeroscale.spi.targets.TargetListener}. The daemon's config file is one such source.
 */
@NullMarked
package io.zeroscale.spi.targets;

import org.jspecify.annotations.NullMarked;
