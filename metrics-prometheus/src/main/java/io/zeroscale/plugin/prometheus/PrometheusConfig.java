package io.zeroscale.plugin.prometheus;

import io.zeroscale.plugin.support.HttpSettings;
import io.zeroscale.plugin.support.HttpSourceConfig;
import io.zeroscale.spi.Config;
import java.util.Set;

/**
 * The settings of one {@code type: prometheus} source under {@code metrics:}. Keys: {@code url}
 * (required), {@code timeout} (5s), {@code bearer-token}, {@code basic-auth: {username, password}},
 * {@code headers}, {@code tls: {ca-file, insecure-skip-verify}}, {@code retries: {max-attempts,
 * backoff}}. See the module README for their meaning.
 */
public final class PrometheusConfig extends HttpSourceConfig {
    private static final Set<String> KEYS = keysWith();

    private PrometheusConfig(HttpSettings http) {
        super(http);
    }

    /**
     * Reads and checks {@code config} strictly.
     *
     * @throws io.zeroscale.spi.ZeroscaleException {@code CONFIG_INVALID} naming the bad key and the fix
     */
    public static PrometheusConfig from(Config config) {
        config.requireOnlyKeys(KEYS);
        return new PrometheusConfig(HttpSettings.read(config, Set.of(), "http://127.0.0.1:9090"));
    }

    @Override
    public String toString() {
        return "PrometheusConfig" + http().toString().substring("HttpSettings".length());
    }
}
