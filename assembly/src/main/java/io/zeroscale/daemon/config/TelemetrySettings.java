package io.zeroscale.daemon.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The {@code telemetry:} section.
 *
 * @param serviceName the {@code service.name} resource attribute of everything exported
 * @param jsonLogs true for one JSON object per log line
 * @param otlp where traces and metrics are pushed, or null for nowhere (metrics are still served
 *     at the API's {@code /metrics})
 */
public record TelemetrySettings(String serviceName, boolean jsonLogs, @Nullable Otlp otlp) {
    public TelemetrySettings {
        requireNonNull(serviceName, "serviceName is null");
    }

    /**
     * The {@code telemetry.otlp:} section.
     *
     * @param endpoint the collector's base URL, e.g. {@code http://127.0.0.1:4318}
     * @param grpc true for OTLP/gRPC, false for OTLP/HTTP with protobuf
     * @param interval how often metrics are pushed
     * @param headers sent with every export, e.g. an authorization header
     */
    public record Otlp(String endpoint, boolean grpc, Duration interval, Map<String, String> headers) {
        public Otlp {
            requireNonNull(endpoint, "endpoint is null");
            requireNonNull(interval, "interval is null");
            headers = Map.copyOf(headers);
        }

        @Override
        public String toString() {
            return "Otlp[" + endpoint + (grpc ? " grpc" : " http/protobuf") + ", every " + interval + ", headers " + headers.keySet() + "]";
        }
    }
}
