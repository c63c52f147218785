package io.zeroscale.spi.traffic;

import io.zeroscale.spi.TargetRef;

/** Receives the engine's routing instructions. Implemented by the gateway. */
public interface RouteListener {
    /**
     * The route for {@code target} changed. Called from the target's actor thread, in decision
     * order; must not block.
     */
    void onRoute(TargetRef target, Route route);

    /**
     * Answer every request now held for {@code target} with {@code status} and the one-line
     * {@code reason} (e.g. 504 after a failed wake). Never drop them silently.
     */
    void onFailHeld(TargetRef target, int status, String reason);

    /**
     * {@code target} was removed from the engine (a config reload dropped it, a target source
     * removed it): answer its held requests at once with 503, {@code Retry-After} and the one-line
     * {@code reason}, let its requests in flight finish, and stop routing to it (a gateway answers
     * its routes 404 from now on). Called after the target's last {@link #onRoute}, never followed
     * by another call for it unless it is added again (then {@link #onRoute} comes first). Called on
     * the thread that removed the target; must not block. The default does nothing, for listeners
     * that keep nothing per target.
     */
    default void onRemoved(TargetRef target, String reason) {}
}
