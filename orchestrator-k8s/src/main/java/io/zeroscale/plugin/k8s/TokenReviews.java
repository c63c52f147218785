package io.zeroscale.plugin.k8s;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Who a bearer token belongs to, asked of the API server with a {@code TokenReview}
 * ({@code authentication.k8s.io/v1}, create). A token the API server authenticated is remembered
 * (by its SHA-256, never the token itself) for {@link #REMEMBER}, so a follower's steady reports
 * cost one review a minute, not one per call; a refused one is asked again next time.
 */
final class TokenReviews {
    static final Duration REMEMBER = Duration.ofMinutes(1);
    private static final int MAX_REMEMBERED = 1024;

    /** The answer for one token: the user it authenticates as, or why not. */
    sealed interface Result {
        /** Authenticated as {@code user}. */
        record User(String user) implements Result {}

        /** The API server did not authenticate the token. */
        record Unauthenticated(String reason) implements Result {}

        /** The review itself failed (API server unreachable, or this daemon may not create TokenReviews). */
        record Failed(String reason) implements Result {}
    }

    private record Remembered(String user, Instant until) {}

    private final KubernetesClient client;
    private final InstantSource clock;
    private final Map<String, Remembered> remembered = new ConcurrentHashMap<>();
    private volatile @Nullable String lastFailure;

    TokenReviews(KubernetesClient client, InstantSource clock) {
        this.client = client;
        this.clock = clock;
    }

    Result review(String token) {
        String key = sha256(token);
        Instant now = clock.instant();
        Remembered known = remembered.get(key);
        if (known != null && now.isBefore(known.until())) {
            return new Result.User(known.user());
        }
        TokenReview review;
        try {
            review = client.tokenReviews().create(new TokenReviewBuilder().withNewSpec().withToken(token).endSpec().build());
        } catch (KubernetesClientException e) {
            String message = e.getCode() + " " + e.getMessage();
            lastFailure = message;
            return new Result.Failed("cannot review the caller's token: " + message);
        }
        lastFailure = null;
        if (review.getStatus() == null || !Boolean.TRUE.equals(review.getStatus().getAuthenticated())
                || review.getStatus().getUser() == null || review.getStatus().getUser().getUsername() == null) {
            String error = review.getStatus() == null ? null : review.getStatus().getError();
            return new Result.Unauthenticated(error == null || error.isBlank() ? "the token is not authenticated" : error);
        }
        String user = review.getStatus().getUser().getUsername();
        if (remembered.size() >= MAX_REMEMBERED) {
            remembered.clear();
        }
        remembered.put(key, new Remembered(user, now.plus(REMEMBER)));
        return new Result.User(user);
    }

    /** The last failed review ("403 ..."), null once one succeeded again. */
    @Nullable String lastFailure() {
        return lastFailure;
    }

    private static String sha256(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
