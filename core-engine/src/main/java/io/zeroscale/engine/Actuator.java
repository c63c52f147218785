package io.zeroscale.engine;

import static io.zeroscale.spi.StandardErrorCode.ACTUATION_FAILED;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.RequestNotPermitted;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.zeroscale.spi.ErrorType;
import io.zeroscale.spi.ZeroscaleException;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Calls one orchestrator instance with retry (jittered exponential backoff), a circuit breaker and
 * a rate limiter, all from Resilience4j. Blocking: call it from a virtual thread. User errors
 * (bad config) are not retried and do not count against the breaker.
 */
final class Actuator {
    private final String orchestrator;
    private final Retry retry;
    private final CircuitBreaker breaker;
    private final RateLimiter limiter;
    private final Consumer<String> errors;

    Actuator(String orchestrator, ActuationSettings settings) {
        this(orchestrator, settings, code -> {});
    }

    /**
     * An actuator that hands the error code of every failed attempt (retried ones included) to
     * {@code errors}: an {@link io.zeroscale.spi.ErrorCode}'s name, e.g. {@code THROTTLED}, or the
     * exception's class name for anything else. Called on the calling thread; must not block.
     */
    Actuator(String orchestrator, ActuationSettings settings, Consumer<String> errors) {
        this.orchestrator = orchestrator;
        this.errors = errors;
        double multiplier = 2.0;
        IntervalFunction backoff = IntervalFunction.ofExponentialRandomBackoff(
                Math.max(1, settings.initialBackoff().toMillis()), multiplier, 0.5, Math.max(1, settings.maxBackoff().toMillis()));
        this.retry = Retry.of("orchestrator-" + orchestrator, RetryConfig.custom()
                .maxAttempts(settings.maxAttempts())
                .intervalFunction(backoff)
                .retryOnException(Actuator::retryable)
                .failAfterMaxAttempts(false)
                .build());
        this.breaker = CircuitBreaker.of("orchestrator-" + orchestrator, CircuitBreakerConfig.custom()
                .slidingWindowSize(20)
                .minimumNumberOfCalls(10)
                .failureRateThreshold(50)
                .waitDurationInOpenState(settings.breakerWaitInOpen())
                .recordException(Actuator::orchestratorFailure)
                .build());
        this.limiter = RateLimiter.of("orchestrator-" + orchestrator, RateLimiterConfig.custom()
                .limitForPeriod(settings.callsPerSecond())
                .limitRefreshPeriod(Duration.ofSeconds(1))
                .timeoutDuration(Duration.ofSeconds(30))
                .build());
    }

    /**
     * Runs {@code call}, describing it as {@code what} in errors.
     *
     * @throws ZeroscaleException {@code ACTUATION_FAILED} after the last attempt, when the breaker
     *     is open, or the rate limit wait timed out; a user error is rethrown as it is
     */
    <T> T call(String what, Supplier<T> call) {
        Supplier<T> counted = () -> {
            try {
                return call.get();
            } catch (ZeroscaleException e) {
                errors.accept(e.errorCode().toString());
                throw e;
            } catch (RuntimeException e) {
                errors.accept(e.getClass().getSimpleName());
                throw e;
            }
        };
        Supplier<T> guarded = Retry.decorateSupplier(retry,
                CircuitBreaker.decorateSupplier(breaker, RateLimiter.decorateSupplier(limiter, counted)));
        try {
            return guarded.get();
        } catch (CallNotPermittedException e) {
            throw new ZeroscaleException(ACTUATION_FAILED, what + ": orchestrator '" + orchestrator
                    + "' is failing, circuit breaker open; calls resume after a pause", e);
        } catch (RequestNotPermitted e) {
            throw new ZeroscaleException(ACTUATION_FAILED, what + ": orchestrator '" + orchestrator
                    + "' rate limit reached", e);
        } catch (ZeroscaleException e) {
            if (e.errorCode().type() == ErrorType.USER_ERROR) {
                throw e;
            }
            throw new ZeroscaleException(ACTUATION_FAILED, what + " failed after " + retry.getRetryConfig().getMaxAttempts()
                    + " attempts: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new ZeroscaleException(ACTUATION_FAILED, what + " failed after " + retry.getRetryConfig().getMaxAttempts()
                    + " attempts: " + e, e);
        }
    }

    void run(String what, Runnable call) {
        call(what, () -> {
            call.run();
            return null;
        });
    }

    CircuitBreaker.State breakerState() {
        return breaker.getState();
    }

    private static boolean retryable(Throwable error) {
        return !(error instanceof ZeroscaleException zeroscale && zeroscale.errorCode().type() == ErrorType.USER_ERROR)
                && !(error instanceof CallNotPermittedException);
    }

    /** Only the orchestrator's own failures open the breaker; our rate limit saying "wait" does not. */
    private static boolean orchestratorFailure(Throwable error) {
        return retryable(error) && !(error instanceof RequestNotPermitted);
    }
}
