/**
 * A third-party Zeroscale plugin: the {@code redis-queue} metric source, the length of a Redis list
 * used as a work queue. Depends on the SPI only; its Redis client (Lettuce) is bundled in its plugin
 * folder.
 */
@NullMarked
package io.zeroscale.samples.redis;

import org.jspecify.annotations.NullMarked;
