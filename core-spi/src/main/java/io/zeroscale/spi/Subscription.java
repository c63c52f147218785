package io.zeroscale.spi;

/**
 * A registration that can be cancelled: a listener, a watch, a scheduled task. Closing is
 * idempotent and never throws.
 */
@FunctionalInterface
public interface Subscription extends AutoCloseable {
    /** A subscription with nothing to cancel. */
    Subscription NONE = () -> {};

    /** Cancels the registration; later calls do nothing. Safe from any thread. */
    @Override
    void close();
}
