package io.zeroscale.samples.redis;

import io.lettuce.core.RedisURI;
import io.zeroscale.spi.Config;
import java.time.Duration;
import java.util.Set;

/**
 * A {@code type: redis-queue} source's settings, read strictly.
 *
 * @param uri where Redis is (Lettuce parses the {@code url})
 * @param timeout the limit of one connect and of one command
 */
record RedisQueueConfig(RedisURI uri, Duration timeout) {
    static final Set<String> KEYS = Set.of("url", "timeout");
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);

    static RedisQueueConfig from(Config config) {
        config.requireOnlyKeys(KEYS);
        String url = config.requireString("url");
        if (!url.startsWith("redis://") && !url.startsWith("rediss://")) {
            throw config.invalid("url", "must start with redis:// (or rediss:// for TLS), e.g. redis://127.0.0.1:6379, got '" + url + "'");
        }
        RedisURI uri;
        try {
            uri = RedisURI.create(url);
        } catch (IllegalArgumentException e) {
            throw config.invalid("url", "is not a Redis URL (" + e.getMessage() + "); e.g. redis://127.0.0.1:6379/0");
        }
        Duration timeout = config.duration("timeout", DEFAULT_TIMEOUT);
        if (timeout.isZero() || timeout.isNegative()) {
            throw config.invalid("timeout", "must be longer than 0, e.g. 1s");
        }
        uri.setTimeout(timeout);
        return new RedisQueueConfig(uri, timeout);
    }

    /** host:port, as a user would recognise it in a reason. */
    String address() {
        return uri.getHost() + ":" + uri.getPort();
    }
}
