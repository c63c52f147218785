package io.zeroscale.gateway;

import java.util.Locale;

/** How the gateway speaks to a target's endpoints. */
public enum BackendProtocol {
    /** gRPC calls ({@code content-type: application/grpc...}) over HTTP/2 cleartext, everything else HTTP/1.1. */
    AUTO("auto"),
    /** HTTP/1.1 for every request (a gRPC call then cannot get its trailers: use it for HTTP-only backends). */
    HTTP1("http1"),
    /** HTTP/2 with prior knowledge (h2c) for every request: the endpoint must speak it. */
    H2C("h2c");

    private final String configName;

    BackendProtocol(String configName) {
        this.configName = configName;
    }

    /** The value in a config file. */
    public String configName() {
        return configName;
    }

    /** Whether a request goes out over HTTP/2. */
    boolean http2For(boolean grpc) {
        return this == H2C || (this == AUTO && grpc);
    }

    static BackendProtocol parse(String text) {
        String normalized = text.trim().toLowerCase(Locale.ROOT);
        for (BackendProtocol value : values()) {
            if (value.configName.equals(normalized)) {
                return value;
            }
        }
        throw new IllegalArgumentException("unknown value '" + text + "'; valid values are auto, http1, h2c");
    }
}
