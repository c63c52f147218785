package io.zeroscale.plugin.aws;

import io.zeroscale.spi.Config;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The settings of one {@code aws-autoscaling} or {@code aws-ecs} orchestrator ({@code orchestrators.<name>}), checked
 * strictly. Immutable.
 *
 * @param region the AWS region, or null to take it from the SDK's default chain ({@code
 *     AWS_REGION}, the profile)
 * @param endpoint an endpoint override for every client (moto, a VPC endpoint), or null for AWS's
 * @param pollInterval how often the state of every watched group is read, in one batched call
 * @param timeout longest time one API call may take
 */
public record AwsConfig(@Nullable String region, @Nullable URI endpoint, Duration pollInterval, Duration timeout) {
    /** Keys of {@code orchestrators.<name>}. */
    static final Set<String> KEYS = Set.of("type", "region", "endpoint", "poll-interval", "timeout");
    static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(5);
    static final Duration MIN_POLL_INTERVAL = Duration.ofMillis(100);
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    /**
     * Reads and checks {@code config}.
     *
     * @throws io.zeroscale.spi.ZeroscaleException {@code CONFIG_INVALID} naming the bad key
     */
    public static AwsConfig parse(Config config) {
        config.requireOnlyKeys(KEYS);
        Optional<String> region = config.string("region");
        if (region.isPresent() && !region.get().matches("[a-z]{2}(-[a-z]+)+-\\d+")) {
            throw config.invalid("region", "'" + region.get() + "' is not an AWS region name; use one such as us-east-1");
        }
        URI endpoint = null;
        Optional<String> text = config.string("endpoint");
        if (text.isPresent()) {
            String notUrl = "'" + text.get() + "' is not an http(s) URL with a host; use e.g. http://127.0.0.1:5000";
            try {
                endpoint = new URI(text.get());
            } catch (URISyntaxException e) {
                throw config.invalid("endpoint", notUrl);
            }
            if (!("http".equals(endpoint.getScheme()) || "https".equals(endpoint.getScheme())) || endpoint.getHost() == null) {
                throw config.invalid("endpoint", notUrl);
            }
        }
        Duration poll = config.duration("poll-interval", DEFAULT_POLL_INTERVAL);
        if (poll.compareTo(MIN_POLL_INTERVAL) < 0) {
            throw config.invalid("poll-interval", "must be at least 100ms, got " + poll.toMillis() + "ms");
        }
        Duration timeout = config.duration("timeout", DEFAULT_TIMEOUT);
        if (timeout.isZero()) {
            throw config.invalid("timeout", "must be more than 0");
        }
        return new AwsConfig(region.orElse(null), endpoint, poll, timeout);
    }
}
