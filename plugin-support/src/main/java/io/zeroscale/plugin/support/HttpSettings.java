package io.zeroscale.plugin.support;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.Durations;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.jspecify.annotations.Nullable;

/**
 * How to reach an HTTP backend: the keys {@code url}, {@code timeout}, {@code bearer-token},
 * {@code basic-auth}, {@code headers}, {@code tls} and {@code retries} of a source's config (see
 * this module's README). A metric source's config class reads them once with {@link #read} while
 * the engine validates the config, and gives them to its {@link HttpTransport}. Immutable, so safe
 * to share between threads; {@link #toString()} hides the secrets.
 *
 * @param url the base URL without a trailing slash, query or fragment; API paths are appended to it
 * @param timeout the limit for one HTTP attempt, connection included
 * @param bearerToken sent as {@code Authorization: Bearer}, if set
 * @param basicUsername the basic-auth user, if basic auth is set (then {@code basicPassword} is too)
 * @param basicPassword the basic-auth password, if basic auth is set
 * @param headers extra headers for every request
 * @param caFile the PEM file of the CAs to trust instead of the JDK's, if set
 * @param insecureSkipVerify whether any certificate and host name is accepted
 * @param sslContext the TLS context {@code caFile} or {@code insecureSkipVerify} asks for; null for the JDK's default
 * @param maxAttempts attempts per request, the first included, at least 1
 * @param backoff the wait before the first retry; later waits double, with jitter
 */
public record HttpSettings(
        URI url,
        Duration timeout,
        @Nullable String bearerToken,
        @Nullable String basicUsername,
        @Nullable String basicPassword,
        Map<String, String> headers,
        @Nullable Path caFile,
        boolean insecureSkipVerify,
        @Nullable SSLContext sslContext,
        int maxAttempts,
        Duration backoff) {

    /** The top-level keys {@link #read} reads; a config class allows these plus its own. */
    public static final Set<String> KEYS = Set.of("url", "timeout", "bearer-token", "basic-auth", "headers", "tls", "retries");
    /** {@code timeout} when the key is absent. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    /** {@code retries.max-attempts} when the key is absent. */
    public static final int DEFAULT_MAX_ATTEMPTS = 3;
    /** {@code retries.backoff} when the key is absent. */
    public static final Duration DEFAULT_BACKOFF = Duration.ofMillis(200);

    /**
     * Checks the components and copies {@code headers}; {@link #read} is the usual way in.
     *
     * @throws NullPointerException when {@code url}, {@code timeout}, {@code headers} or {@code backoff} is null
     */
    public HttpSettings {
        requireNonNull(url, "url is null");
        requireNonNull(timeout, "timeout is null");
        headers = Map.copyOf(headers);
        requireNonNull(backoff, "backoff is null");
    }

    /**
     * Reads the shared keys of {@code config} strictly; the caller checks for unknown top-level
     * keys (allowing {@link #KEYS}). A {@code ca-file} is read here, so a missing or bad file stops
     * startup.
     *
     * @param reservedHeaders headers (lower case) the source sets itself from other keys, which
     *     {@code headers} must not set
     * @param exampleUrl a URL of the backend's usual form, shown when {@code url} is not a URL
     * @throws io.zeroscale.spi.ZeroscaleException {@code CONFIG_INVALID} naming the bad key and the fix
     */
    public static HttpSettings read(Config config, Set<String> reservedHeaders, String exampleUrl) {
        URI url = url(config, exampleUrl);
        Duration timeout = config.duration("timeout", DEFAULT_TIMEOUT);
        if (timeout.isZero()) {
            throw config.invalid("timeout", "must be more than 0, e.g. 5s");
        }

        String bearerToken = config.string("bearer-token").orElse(null);
        if (bearerToken != null && bearerToken.isBlank()) {
            throw config.invalid("bearer-token", "is empty; remove the key or set the token");
        }
        String username = null;
        String password = null;
        if (config.has("basic-auth")) {
            Config basic = config.requireChild("basic-auth").requireOnlyKeys(Set.of("username", "password"));
            username = basic.requireString("username");
            password = basic.requireString("password");
            if (bearerToken != null) {
                throw config.invalid("basic-auth", "set either bearer-token or basic-auth, not both");
            }
        }

        Map<String, String> headers = config.stringMap("headers");
        Config headersNode = config.child("headers");
        for (Map.Entry<String, String> header : headers.entrySet()) {
            String lower = header.getKey().toLowerCase(Locale.ROOT);
            if (lower.equals("authorization") && (bearerToken != null || username != null)) {
                throw headersNode.invalid(header.getKey(), "conflicts with bearer-token/basic-auth; set only one of them");
            }
            if (reservedHeaders.contains(lower)) {
                throw headersNode.invalid(header.getKey(), "is set by the source itself from another key; remove it here");
            }
            try {
                HttpRequest.newBuilder(url).header(header.getKey(), header.getValue());
            } catch (IllegalArgumentException e) {
                throw headersNode.invalid(header.getKey(), "cannot be sent: " + e.getMessage());
            }
        }

        Path caFile = null;
        boolean insecure = false;
        SSLContext sslContext = null;
        if (config.has("tls")) {
            Config tls = config.requireChild("tls").requireOnlyKeys(Set.of("ca-file", "insecure-skip-verify"));
            if (!url.getScheme().equals("https")) {
                throw tls.invalid("is set but url " + url + " is not https; use an https:// url or remove tls");
            }
            insecure = tls.bool("insecure-skip-verify", false);
            if (tls.has("ca-file")) {
                if (insecure) {
                    throw tls.invalid("insecure-skip-verify", "set either ca-file or insecure-skip-verify, not both");
                }
                caFile = Path.of(tls.requireString("ca-file"));
                sslContext = trusting(tls, caFile);
            } else if (insecure) {
                sslContext = trustingAnything();
            }
        }

        Config retries = config.child("retries").requireOnlyKeys(Set.of("max-attempts", "backoff"));
        int maxAttempts = retries.integer("max-attempts", DEFAULT_MAX_ATTEMPTS);
        if (maxAttempts < 1) {
            throw retries.invalid("max-attempts", "must be at least 1 (1 means no retry), got " + maxAttempts);
        }
        Duration backoff = retries.duration("backoff", DEFAULT_BACKOFF);
        if (backoff.toMillis() < 1) {
            throw retries.invalid("backoff", "must be at least 1ms, got " + Durations.format(backoff));
        }
        return new HttpSettings(url, timeout, bearerToken, username, password, headers, caFile, insecure, sslContext,
                maxAttempts, backoff);
    }

    private static URI url(Config config, String exampleUrl) {
        String text = config.requireString("url").trim();
        URI url;
        try {
            url = new URI(text);
        } catch (URISyntaxException e) {
            throw config.invalid("url", "'" + text + "' is not a URL: " + e.getMessage());
        }
        if (url.getScheme() == null || !(url.getScheme().equals("http") || url.getScheme().equals("https"))
                || url.getHost() == null) {
            throw config.invalid("url", "'" + text + "' must be an absolute http:// or https:// URL, e.g. " + exampleUrl);
        }
        if (url.getRawQuery() != null || url.getRawFragment() != null) {
            throw config.invalid("url", "'" + text + "' must not have a query or fragment");
        }
        String path = url.getRawPath() == null ? "" : url.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        return URI.create(url.getScheme() + "://" + url.getRawAuthority() + path);
    }

    /** An SSL context trusting only the certificates in the PEM file {@code caFile}. */
    private static SSLContext trusting(Config tls, Path caFile) {
        Collection<? extends Certificate> certificates;
        try (InputStream in = Files.newInputStream(caFile)) {
            certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
        } catch (IOException | GeneralSecurityException e) {
            throw tls.invalid("ca-file", "cannot read PEM certificates from " + caFile + ": " + e);
        }
        if (certificates.isEmpty()) {
            throw tls.invalid("ca-file", caFile + " holds no certificate; give a PEM file with the CA certificate");
        }
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (Certificate certificate : certificates) {
                store.setCertificateEntry("ca-" + i++, certificate);
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, factory.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw tls.invalid("ca-file", "cannot build a trust store from " + caFile + ": " + e);
        }
    }

    /**
     * An SSL context that accepts any certificate for any host. An X509ExtendedTrustManager is used
     * on purpose: with it, JSSE leaves hostname checks to the trust manager, so none is made.
     */
    private static SSLContext trustingAnything() {
        TrustManager acceptAll = new X509ExtendedTrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {acceptAll}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK offers no TLS context", e);
        }
    }

    /**
     * These settings with {@code name: value} added to every request's headers, for a header a
     * source derives from its own key (e.g. a tenant id). The caller checks the value.
     */
    public HttpSettings withHeader(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new HttpSettings(url, timeout, bearerToken, basicUsername, basicPassword, more, caFile, insecureSkipVerify,
                sslContext, maxAttempts, backoff);
    }

    /** Secrets stay out of logs and error messages. */
    @Override
    public String toString() {
        return "HttpSettings[url=" + url + ", timeout=" + Durations.format(timeout)
                + ", bearerToken=" + (bearerToken == null ? "none" : "***")
                + ", basicAuth=" + (basicUsername == null ? "none" : basicUsername + ":***")
                + ", headers=" + headers.keySet() + ", caFile=" + caFile + ", insecureSkipVerify=" + insecureSkipVerify
                + ", maxAttempts=" + maxAttempts + ", backoff=" + Durations.format(backoff) + "]";
    }
}
