/**
 * The {@code docker} orchestrator: container groups on one or more Docker-API hosts (Docker's
 * engine or Podman's compatible API), with a pause tier. See the module README for its config.
 */
@NullMarked
package io.zeroscale.plugin.docker;

import org.jspecify.annotations.NullMarked;
