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
}
