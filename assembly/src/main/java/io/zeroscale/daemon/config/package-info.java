/** The daemon's config file: ${ENV} substitution, JSON Schema validation with path-and-fix messages, typed settings. */
@NullMarked
package io.zeroscale.daemon.config;

import org.jspecify.annotations.NullMarked;
