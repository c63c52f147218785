/** The REST API: JSON routes, bearer-token auth, the OpenAPI document and Prometheus metrics. */
@NullMarked
package io.zeroscale.daemon.api;

import org.jspecify.annotations.NullMarked;
