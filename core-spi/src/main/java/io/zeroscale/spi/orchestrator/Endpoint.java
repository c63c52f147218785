package io.zeroscale.spi.orchestrator;

import static java.util.Objects.requireNonNull;

/**
 * A network address of one ready replica that the gateway may forward to.
 *
 * @param host an IP address or host name, e.g. {@code 127.0.0.1}
 * @param port the TCP port, 1 to 65535
 */
public record Endpoint(String host, int port) {
    public Endpoint {
        requireNonNull(host, "host is null");
        if (host.isBlank()) {
            throw new IllegalArgumentException("host is blank");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1..65535, got " + port);
        }
    }

    /** Parses {@code host:port}. */
    public static Endpoint parse(String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException("'" + text + "' is not host:port");
        }
        try {
            return new Endpoint(text.substring(0, colon), Integer.parseInt(text.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not host:port", e);
        }
    }

    @Override
    public String toString() {
        return host + ":" + port;
    }
}
