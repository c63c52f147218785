/**
 * The HTTP/1.1 and HTTP/2 load balancer with service turn-off: it forwards requests to a target's ready
 * endpoints, holds them while the target wakes from zero, and drains in-flight work before
 * scale-down. Entry point: {@link io.zeroscale.gateway.Gateway}.
 */
@NullMarked
package io.zeroscale.gateway;

import org.jspecify.annotations.NullMarked;
