/**
 * The {@code process} orchestrator: runs replicas of a local command, one port per replica,
 * with HTTP or TCP readiness probes, and adopts the processes a previous run left behind.
 */
@NullMarked
package io.zeroscale.engine.process;

import org.jspecify.annotations.NullMarked;
