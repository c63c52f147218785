package io.zeroscale.gateway;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.Durations;
import java.time.Duration;
import java.util.Set;

/**
 * HTTP/2 from clients: offered with ALPN under TLS and taken with prior knowledge on a cleartext
 * listener, and the limits that keep one client from exhausting the gateway.
 *
 * @param enabled whether HTTP/2 is served at all (off: HTTP/1.1 only, ALPN offers only http/1.1)
 * @param cleartext whether a cleartext listener takes HTTP/2 with prior knowledge (a connection
 *     that starts with the HTTP/2 preface, as gRPC clients without TLS send); the {@code Upgrade:
 *     h2c} dance is never done
 * @param maxConcurrentStreams streams one connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS)
 * @param maxHeaderListSize the largest header list of a request, in bytes as HTTP/2 counts them
 *     (name + value + 32 per field; SETTINGS_MAX_HEADER_LIST_SIZE); larger gets 431
 * @param streamWindow the flow-control window of each stream: how much request body a client may
 *     send ahead of what the gateway read (SETTINGS_INITIAL_WINDOW_SIZE)
 * @param connectionWindow the flow-control window of the whole connection, across its streams
 * @param maxResets stream resets a client may send per {@code floodWindow} (CVE-2023-44487, rapid
 *     reset); one more ends the connection with GOAWAY ENHANCE_YOUR_CALM
 * @param maxControlFrames PING and SETTINGS frames a client may send per {@code floodWindow}; one
 *     more ends the connection the same way
 * @param floodWindow the window both counts above are taken over
 * @param maxQueuedControlFrames answers to control frames (PING and SETTINGS acks, resets) queued for
 *     a client that does not read them; one more ends the connection
 * @param maxContinuationFrames CONTINUATION frames of a header block that carry almost nothing (a
 *     CONTINUATION flood, CVE-2024-27316); one more ends the connection
 */
public record Http2Config(
        boolean enabled,
        boolean cleartext,
        int maxConcurrentStreams,
        int maxHeaderListSize,
        int streamWindow,
        int connectionWindow,
        int maxResets,
        int maxControlFrames,
        Duration floodWindow,
        int maxQueuedControlFrames,
        int maxContinuationFrames) {

    /** The keys of a {@code gateway.http2} section. */
    public static final Set<String> KEYS = Set.of("enabled", "cleartext", "max-concurrent-streams",
            "max-header-list-size", "stream-window", "connection-window", "max-resets", "max-control-frames",
            "flood-window", "max-queued-control-frames", "max-continuation-frames");

    private static final Http2Config DEFAULTS = new Http2Config(true, true, 100, 16 * 1024, 64 * 1024, 1024 * 1024,
            200, 1000, Duration.ofSeconds(30), 10_000, 16);

    public Http2Config {
        requireNonNull(floodWindow, "floodWindow is null");
        atLeast(maxConcurrentStreams, 1, "maxConcurrentStreams");
        atLeast(maxHeaderListSize, 1024, "maxHeaderListSize");
        atLeast(streamWindow, 1024, "streamWindow");
        atLeast(connectionWindow, 64 * 1024 - 1, "connectionWindow");
        atLeast(maxResets, 1, "maxResets");
        atLeast(maxControlFrames, 1, "maxControlFrames");
        atLeast(maxQueuedControlFrames, 1, "maxQueuedControlFrames");
        atLeast(maxContinuationFrames, 1, "maxContinuationFrames");
        if (floodWindow.compareTo(Duration.ofSeconds(1)) < 0 || floodWindow.toNanosPart() != 0) {
            throw new IllegalArgumentException("floodWindow must be a whole number of seconds, at least 1s, got "
                    + Durations.format(floodWindow));
        }
    }

    private static void atLeast(int value, int minimum, String name) {
        if (value < minimum) {
            throw new IllegalArgumentException(name + " must be at least " + minimum + ", got " + value);
        }
    }

    /** HTTP/2 on, with prior knowledge on cleartext, 100 streams, 16KiB headers, 64KiB/1MiB windows. */
    public static Http2Config defaults() {
        return DEFAULTS;
    }

    /** These settings with HTTP/2 off or on. */
    public Http2Config withEnabled(boolean value) {
        return new Http2Config(value, cleartext, maxConcurrentStreams, maxHeaderListSize, streamWindow,
                connectionWindow, maxResets, maxControlFrames, floodWindow, maxQueuedControlFrames,
                maxContinuationFrames);
    }

    public Http2Config withMaxConcurrentStreams(int value) {
        return new Http2Config(enabled, cleartext, value, maxHeaderListSize, streamWindow, connectionWindow,
                maxResets, maxControlFrames, floodWindow, maxQueuedControlFrames, maxContinuationFrames);
    }

    public Http2Config withMaxHeaderListSize(int value) {
        return new Http2Config(enabled, cleartext, maxConcurrentStreams, value, streamWindow, connectionWindow,
                maxResets, maxControlFrames, floodWindow, maxQueuedControlFrames, maxContinuationFrames);
    }

    public Http2Config withWindows(int stream, int connection) {
        return new Http2Config(enabled, cleartext, maxConcurrentStreams, maxHeaderListSize, stream, connection,
                maxResets, maxControlFrames, floodWindow, maxQueuedControlFrames, maxContinuationFrames);
    }

    public Http2Config withFloodLimits(int resets, int controlFrames, Duration window) {
        return new Http2Config(enabled, cleartext, maxConcurrentStreams, maxHeaderListSize, streamWindow,
                connectionWindow, resets, controlFrames, window, maxQueuedControlFrames, maxContinuationFrames);
    }

    /** Reads a {@code gateway.http2} section over {@link #defaults()}. */
    static Http2Config fromConfig(Config config) {
        config.requireOnlyKeys(KEYS);
        Http2Config d = DEFAULTS;
        try {
            Duration window = config.duration("flood-window").orElse(d.floodWindow());
            if (window.compareTo(Duration.ofSeconds(1)) < 0 || window.toNanosPart() != 0) {
                throw config.invalid("flood-window", "must be a whole number of seconds, at least 1s, got "
                        + Durations.format(window));
            }
            return new Http2Config(
                    config.bool("enabled", d.enabled()),
                    config.bool("cleartext", d.cleartext()),
                    count(config, "max-concurrent-streams", d.maxConcurrentStreams(), 1),
                    size(config, "max-header-list-size", d.maxHeaderListSize(), 1024),
                    size(config, "stream-window", d.streamWindow(), 1024),
                    size(config, "connection-window", d.connectionWindow(), 64 * 1024 - 1),
                    count(config, "max-resets", d.maxResets(), 1),
                    count(config, "max-control-frames", d.maxControlFrames(), 1),
                    window,
                    count(config, "max-queued-control-frames", d.maxQueuedControlFrames(), 1),
                    count(config, "max-continuation-frames", d.maxContinuationFrames(), 1));
        } catch (IllegalArgumentException e) {
            throw config.invalid(String.valueOf(e.getMessage()));
        }
    }

    private static int count(Config config, String key, int fallback, int minimum) {
        long value = config.longValue(key).orElse((long) fallback);
        if (value < minimum || value > Integer.MAX_VALUE) {
            throw config.invalid(key, "must be a whole number of at least " + minimum + ", got " + value);
        }
        return (int) value;
    }

    private static int size(Config config, String key, int fallback, int minimum) {
        java.util.Optional<String> given = config.string(key);
        if (given.isEmpty()) {
            return fallback;
        }
        String text = given.get();
        long value;
        try {
            value = ByteSizes.parse(text);
        } catch (IllegalArgumentException e) {
            throw config.invalid(key, String.valueOf(e.getMessage()));
        }
        // 2^31-1 is the largest window HTTP/2 allows (RFC 9113 section 6.9.1).
        if (value < minimum || value > Integer.MAX_VALUE) {
            throw config.invalid(key, "must be between " + ByteSizes.format(minimum) + " and 2GiB, got " + text);
        }
        return (int) value;
    }
}
