package io.zeroscale.gateway;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.Durations;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * TLS on the gateway's listener: the PEM certificate chain and private key, read again whenever
 * the files change (checked every {@code reloadCheck}), and the limits of a handshake.
 *
 * @param certificate PEM file with the server certificate first, then any intermediates
 * @param key PEM file with the unencrypted private key (PKCS#8 {@code BEGIN PRIVATE KEY})
 * @param handshakeTimeout how long a client may take to complete the TLS handshake; then the
 *     connection closes
 * @param reloadCheck how often the two files are checked for a change
 * @param protocols the TLS versions offered: {@code TLSv1.3} and/or {@code TLSv1.2}; older ones are
 *     refused (they are broken or deprecated, RFC 8996)
 */
public record TlsConfig(Path certificate, Path key, Duration handshakeTimeout, Duration reloadCheck,
        List<String> protocols) {

    /** The keys of a {@code gateway.tls} section. */
    public static final Set<String> KEYS = Set.of("certificate", "key", "handshake-timeout", "reload-check",
            "protocols");

    /** The versions a listener may offer; the default offers both. */
    public static final List<String> SUPPORTED_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    static final Duration DEFAULT_RELOAD_CHECK = Duration.ofSeconds(10);

    public TlsConfig {
        requireNonNull(certificate, "certificate is null");
        requireNonNull(key, "key is null");
        requireNonNull(handshakeTimeout, "handshakeTimeout is null");
        requireNonNull(reloadCheck, "reloadCheck is null");
        protocols = List.copyOf(requireNonNull(protocols, "protocols is null"));
        if (handshakeTimeout.isNegative() || handshakeTimeout.isZero()) {
            throw new IllegalArgumentException("handshakeTimeout must be positive, got "
                    + Durations.format(handshakeTimeout));
        }
        if (reloadCheck.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("reloadCheck must be at least 1s, got " + Durations.format(reloadCheck));
        }
        String problem = protocolProblem(protocols);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /** TLS from {@code certificate} and {@code key} with the default limits. */
    public static TlsConfig of(Path certificate, Path key) {
        return new TlsConfig(certificate, key, DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_RELOAD_CHECK, SUPPORTED_PROTOCOLS);
    }

    public TlsConfig withHandshakeTimeout(Duration value) {
        return new TlsConfig(certificate, key, value, reloadCheck, protocols);
    }

    public TlsConfig withReloadCheck(Duration value) {
        return new TlsConfig(certificate, key, handshakeTimeout, value, protocols);
    }

    public TlsConfig withProtocols(List<String> value) {
        return new TlsConfig(certificate, key, handshakeTimeout, reloadCheck, value);
    }

    private static @org.jspecify.annotations.Nullable String protocolProblem(List<String> protocols) {
        if (protocols.isEmpty()) {
            return "protocols must name at least one of " + SUPPORTED_PROTOCOLS;
        }
        for (String protocol : protocols) {
            if (!SUPPORTED_PROTOCOLS.contains(protocol)) {
                return "protocol '" + protocol + "' is not offered: only " + SUPPORTED_PROTOCOLS
                        + " are (TLS 1.1 and older are deprecated, RFC 8996)";
            }
        }
        return null;
    }

    /**
     * Reads a {@code gateway.tls} section; {@code certificate} and {@code key} are required.
     *
     * @throws io.zeroscale.spi.ZeroscaleException {@code CONFIG_INVALID} naming the key and the fix
     */
    static TlsConfig fromConfig(Config config) {
        config.requireOnlyKeys(KEYS);
        if (!config.has("certificate") || !config.has("key")) {
            throw config.invalid("needs both 'certificate' and 'key': the paths of the PEM certificate chain and"
                    + " of its PEM private key");
        }
        TlsConfig tls = of(Path.of(config.requireString("certificate")), Path.of(config.requireString("key")));
        java.util.Optional<Duration> handshake = config.duration("handshake-timeout");
        if (handshake.isPresent()) {
            if (handshake.get().isZero()) {
                throw config.invalid("handshake-timeout", "must be longer than 0s");
            }
            tls = tls.withHandshakeTimeout(handshake.get());
        }
        java.util.Optional<Duration> reload = config.duration("reload-check");
        if (reload.isPresent()) {
            if (reload.get().compareTo(Duration.ofSeconds(1)) < 0) {
                throw config.invalid("reload-check", "must be at least 1s, got " + Durations.format(reload.get()));
            }
            tls = tls.withReloadCheck(reload.get());
        }
        if (config.has("protocols")) {
            List<String> protocols = config.stringList("protocols");
            String problem = protocolProblem(protocols);
            if (problem != null) {
                throw config.invalid("protocols", problem);
            }
            tls = tls.withProtocols(protocols);
        }
        return tls;
    }
}
