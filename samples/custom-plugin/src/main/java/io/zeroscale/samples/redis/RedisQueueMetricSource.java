package io.zeroscale.samples.redis;

import static io.zeroscale.spi.StandardErrorCode.CONFIG_INVALID;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.netty.util.Version;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.metrics.MetricQuery;
import io.zeroscale.spi.metrics.MetricSource;
import io.zeroscale.spi.metrics.SignalValue;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The length of a Redis list, read with {@code LLEN}: a signal's {@code query} is the list's key.
 *
 * <p>Unknown is not zero. A failed connection, a timeout or a key of another type is {@link
 * SignalValue.Unknown} naming the Redis address. A missing key is unknown as well, unless the
 * signal sets {@code empty-as-zero: true}: Redis deletes a list when its last element is popped, so
 * for a work queue "no key" means "no jobs", but only the user can tell that from a mistyped key.
 *
 * <p>One connection, opened on the first query and shared by concurrent queries (Lettuce
 * multiplexes them); when a query fails the connection is dropped and the next query opens a new
 * one, so a Redis that comes back is read again without a restart.
 */
final class RedisQueueMetricSource implements MetricSource {
    private static final Logger log = LoggerFactory.getLogger(RedisQueueMetricSource.class);
    private static final Set<String> OPTION_KEYS = Set.of("empty-as-zero");

    private final String name;
    private final RedisQueueConfig config;
    private final InstantSource clock;
    private final ClientResources resources;
    private final RedisClient client;
    private final ReentrantLock lock = new ReentrantLock();
    private @Nullable StatefulRedisConnection<String, String> connection;
    private volatile boolean closed;

    RedisQueueMetricSource(String name, RedisQueueConfig config, InstantSource clock) {
        this.name = name;
        this.config = config;
        this.clock = clock;
        ClientResources createdResources = null;
        RedisClient createdClient = null;
        try {
            createdResources = withOwnClassLoader(() -> DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2).build());
            ClientResources forClient = createdResources;
            createdClient = withOwnClassLoader(() -> RedisClient.create(forClient, config.uri()));
            createdClient.setOptions(ClientOptions.builder()
                    // No background reconnects: the next query reconnects, so a query never waits on a queue of retries.
                    .autoReconnect(false)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .socketOptions(SocketOptions.builder().connectTimeout(config.timeout()).build())
                    .timeoutOptions(TimeoutOptions.enabled(config.timeout()))
                    .build());
        } catch (RuntimeException e) {
            if (createdResources != null) {
                createdResources.shutdown(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2_000);
            }
            throw e;
        }
        this.resources = createdResources;
        this.client = createdClient;
        // Which Netty this plugin runs on: its own (from its folder), whatever version the daemon has.
        String netty = Version.identify(RedisQueueMetricSource.class.getClassLoader()).entrySet().stream()
                .filter(entry -> entry.getKey().equals("netty-common"))
                .map(entry -> entry.getValue().artifactVersion())
                .findFirst()
                .orElse("unknown");
        log.info("redis-queue source {}: Redis at {}, Lettuce {} on Netty {}", name, config.address(),
                RedisClient.class.getPackage().getImplementationVersion(), netty);
    }

    @Override
    public void validate(MetricQuery query) {
        query.options().requireOnlyKeys(OPTION_KEYS);
        query.options().bool("empty-as-zero", false);
        String key = query.expression();
        if (key.isBlank() || !key.strip().equals(key)) {
            throw new ZeroscaleException(CONFIG_INVALID, query.options().path() + ".query: must be the key of a Redis list, e.g. jobs, got '"
                    + key + "'");
        }
    }

    @Override
    public SignalValue query(MetricQuery query, Duration window) {
        // The window does not apply: a list's length is a value now, not a rate over time.
        if (closed) {
            return SignalValue.unknown("redis-queue source " + name + " is closed", clock.instant());
        }
        String key = query.expression();
        boolean emptyAsZero = query.options().bool("empty-as-zero", false);
        try {
            long length = withOwnClassLoader(() -> connection().sync().llen(key));
            if (length > 0) {
                return SignalValue.known((double) length, clock.instant());
            }
            // LLEN is 0 only for a missing key: Redis removes a list with its last element.
            return emptyAsZero
                    ? SignalValue.known(0, clock.instant())
                    : SignalValue.unknown("no list at key '" + key + "' in Redis at " + config.address()
                            + " (set empty-as-zero: true on the signal if that means an empty queue)", clock.instant());
        } catch (RedisException | IllegalStateException e) {
            dropConnection();
            return SignalValue.unknown("Redis at " + config.address() + " failed: " + describe(e), clock.instant());
        }
    }

    private StatefulRedisConnection<String, String> connection() {
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("closed");
            }
            StatefulRedisConnection<String, String> current = connection;
            if (current == null || !current.isOpen()) {
                current = client.connect(StringCodec.UTF8);
                connection = current;
            }
            return current;
        } finally {
            lock.unlock();
        }
    }

    private void dropConnection() {
        lock.lock();
        try {
            StatefulRedisConnection<String, String> broken = connection;
            connection = null;
            if (broken != null) {
                broken.close(); // its channel is already dead or dying: returns at once
            }
        } finally {
            lock.unlock();
        }
    }

    private static String describe(Throwable e) {
        // Lettuce wraps the socket's error ("Connection refused"): name both, once each.
        StringBuilder out = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            String message = cause.getMessage();
            if (message != null && !out.toString().contains(message)) {
                out.append(": ").append(message);
            }
        }
        return out.toString();
    }

    /**
     * Runs {@code action} with this plugin's class loader as the thread's context class loader:
     * Lettuce and Netty look up optional classes (native transports, codecs) through it, and on the
     * daemon's threads it would find the daemon's copies (another Netty) instead of the plugin's.
     */
    private static <T> T withOwnClassLoader(Supplier<T> action) {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(RedisQueueMetricSource.class.getClassLoader());
        try {
            return action.get();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            StatefulRedisConnection<String, String> open = connection;
            connection = null;
            if (open != null) {
                open.close();
            }
        } finally {
            lock.unlock();
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(3_000);
    }
}
