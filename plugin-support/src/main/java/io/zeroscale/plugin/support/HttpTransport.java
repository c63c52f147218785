package io.zeroscale.plugin.support;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.zeroscale.spi.Durations;
import io.zeroscale.spi.ZeroscaleException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLException;

/**
 * One HTTP client per source, with its auth, headers, TLS, timeout and retries. Retries (with
 * jittered exponential backoff) happen only where another attempt can help: no connection, a
 * broken connection, or HTTP 429/502/503/504. A timeout is not retried, and neither is any other
 * answer: the caller reads it.
 *
 * <p>A metric source creates one when it is created and closes it in its own {@code close()}. It
 * is safe for concurrent use, as {@code MetricSource.query} is called concurrently from virtual
 * threads. Requests block the calling thread (up to {@code max-attempts} × {@code timeout} plus
 * backoff), so never call it from a {@code Scheduler} task.
 * Failures are {@link ZeroscaleException}s with the source's own {@link HttpErrorCodes}, whose
 * message names the backend; a metric source turns them into an unknown signal.
 */
public final class HttpTransport implements AutoCloseable {
    private static final Set<Integer> RETRYABLE_STATUS = Set.of(429, 502, 503, 504);
    private static final double BACKOFF_MULTIPLIER = 2.0;
    private static final double BACKOFF_JITTER = 0.5;

    private final String backend;
    private final HttpSettings settings;
    private final HttpErrorCodes errors;
    private final HttpClient client;
    private final Retry retry;
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * Builds the client; no request is sent yet.
     *
     * @param kind names the backend in messages and the retry's name, e.g. {@code prometheus}
     * @param sourceName the source's name under {@code metrics:}
     * @param errors the source's error codes for the failures this class reports
     */
    public HttpTransport(String kind, String sourceName, HttpSettings settings, HttpErrorCodes errors) {
        this.settings = requireNonNull(settings, "settings is null");
        this.errors = requireNonNull(errors, "errors is null");
        this.backend = kind + " at " + settings.url();
        HttpClient.Builder builder = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(settings.timeout())
                .followRedirects(HttpClient.Redirect.NEVER);
        if (settings.sslContext() != null) {
            builder.sslContext(settings.sslContext());
        }
        this.client = builder.build();
        RetryConfig config = RetryConfig.custom()
                .maxAttempts(settings.maxAttempts())
                .intervalFunction(IntervalFunction.ofExponentialRandomBackoff(
                        settings.backoff(), BACKOFF_MULTIPLIER, BACKOFF_JITTER))
                .retryOnException(e -> e instanceof ZeroscaleException failure && isRetryable(failure))
                .retryOnResult(response -> response instanceof HttpResponse<?> answer
                        && RETRYABLE_STATUS.contains(answer.statusCode()))
                .build();
        this.retry = Retry.of(kind + "-" + sourceName, config);
    }

    /** "{@code kind} at {@code url}", e.g. "prometheus at http://127.0.0.1:9090", for messages. */
    public String backend() {
        return backend;
    }

    /**
     * {@code GET url + path ? query}, with retries; returns the last answer, whatever its status.
     *
     * @throws ZeroscaleException {@link HttpErrorCodes#unreachable()}, {@link HttpErrorCodes#timeout()} or
     *     {@link HttpErrorCodes#tlsFailed()}, naming the backend, when there is no answer
     */
    public HttpResponse<String> get(String path, Map<String, String> query) {
        return send(request(path + (query.isEmpty() ? "" : "?" + form(query))).GET());
    }

    /**
     * {@code POST url + path} with {@code form} as an url-encoded body, with retries; returns the
     * last answer, whatever its status.
     *
     * @throws ZeroscaleException {@link HttpErrorCodes#unreachable()}, {@link HttpErrorCodes#timeout()} or
     *     {@link HttpErrorCodes#tlsFailed()}, naming the backend, when there is no answer
     */
    public HttpResponse<String> postForm(String path, Map<String, String> form) {
        return send(request(path)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form(form), UTF_8)));
    }

    /**
     * {@code POST url + path} with {@code json} as an {@code application/json} body, with retries;
     * returns the last answer, whatever its status. For plugins that push (alert sinks).
     *
     * @throws ZeroscaleException {@link HttpErrorCodes#unreachable()}, {@link HttpErrorCodes#timeout()} or
     *     {@link HttpErrorCodes#tlsFailed()}, naming the backend, when there is no answer
     */
    public HttpResponse<String> postJson(String path, String json) {
        return send(request(path)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json, UTF_8)));
    }

    /**
     * Sends with retries and returns the last answer, whatever its status.
     *
     * @throws ZeroscaleException unreachable, timeout or TLS failed, naming the backend
     */
    private HttpResponse<String> send(HttpRequest.Builder builder) {
        if (closed.get()) {
            throw new ZeroscaleException(errors.unreachable(), backend + ": the source is closed");
        }
        HttpRequest request = builder.build();
        try {
            return Retry.decorateCheckedSupplier(retry, () -> sendOnce(request)).get();
        } catch (ZeroscaleException e) {
            throw e;
        } catch (Throwable e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            if (e instanceof Error error) {
                throw error;
            }
            throw new ZeroscaleException(errors.unreachable(), backend + ": request failed: " + summary(e), e);
        }
    }

    private HttpResponse<String> sendOnce(HttpRequest request) throws InterruptedException {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString(UTF_8));
        } catch (HttpConnectTimeoutException e) {
            throw new ZeroscaleException(errors.unreachable(),
                    backend + " is unreachable: no connection within " + Durations.format(settings.timeout()), e);
        } catch (HttpTimeoutException e) {
            throw new ZeroscaleException(errors.timeout(),
                    backend + " did not answer within the timeout of " + Durations.format(settings.timeout()), e);
        } catch (ConnectException e) {
            throw new ZeroscaleException(errors.unreachable(),
                    backend + " is unreachable: could not connect (" + summary(e) + ")", e);
        } catch (SSLException e) {
            throw new ZeroscaleException(errors.tlsFailed(),
                    backend + ": TLS handshake failed (" + summary(e) + "); check tls.ca-file", e);
        } catch (IOException e) {
            if (hasCause(e, SSLException.class)) {
                throw new ZeroscaleException(errors.tlsFailed(),
                        backend + ": TLS handshake failed (" + summary(e) + "); check tls.ca-file", e);
            }
            if (closed.get()) {
                throw new ZeroscaleException(errors.unreachable(), backend + ": the source is closed", e);
            }
            throw new ZeroscaleException(errors.unreachable(),
                    backend + ": connection failed: " + summary(e), e);
        }
    }

    private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (type.isInstance(cause)) {
                return true;
            }
            if (cause.getCause() == cause) {
                break;
            }
        }
        return false;
    }

    /** A closed source's failures are not worth another attempt. */
    private boolean isRetryable(ZeroscaleException failure) {
        return !closed.get() && failure.errorCode() == errors.unreachable();
    }

    private HttpRequest.Builder request(String pathAndQuery) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(settings.url() + pathAndQuery))
                .timeout(settings.timeout())
                .header("Accept", "application/json");
        for (Map.Entry<String, String> header : settings.headers().entrySet()) {
            builder.header(header.getKey(), header.getValue());
        }
        if (settings.bearerToken() != null) {
            builder.header("Authorization", "Bearer " + settings.bearerToken());
        } else if (settings.basicUsername() != null) {
            String pair = settings.basicUsername() + ":" + settings.basicPassword();
            builder.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(UTF_8)));
        }
        return builder;
    }

    /** {@code values} as {@code application/x-www-form-urlencoded}, which is also a URL's query. */
    public static String form(Map<String, String> values) {
        StringJoiner out = new StringJoiner("&");
        for (Map.Entry<String, String> entry : values.entrySet()) {
            out.add(URLEncoder.encode(entry.getKey(), UTF_8) + "=" + URLEncoder.encode(entry.getValue(), UTF_8));
        }
        return out.toString();
    }

    /** The innermost cause's type and message: JDK client exceptions often carry no message of their own. */
    public static String summary(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return root.getClass().getSimpleName() + (message == null || message.isBlank() ? "" : ": " + message);
    }

    /** The start of a body (300 characters), on one line, for messages. */
    public static String snippet(String body) {
        String line = body.strip().replaceAll("\\s+", " ");
        return line.length() <= 300 ? line : line.substring(0, 300) + "...";
    }

    /**
     * Stops the client. Idempotent and safe from any thread; in-flight and later requests fail
     * with {@link HttpErrorCodes#unreachable()} ("the source is closed") and are not retried.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            client.shutdownNow();
        }
    }
}
