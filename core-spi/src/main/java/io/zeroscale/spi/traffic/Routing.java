package io.zeroscale.spi.traffic;

/** How the gateway treats new requests for a target. */
public enum Routing {
    /** No ready endpoint: hold requests (bounded) until one is ready or the wake times out. */
    HOLD,
    /** Forward to the ready endpoints. */
    FORWARD,
    /**
     * Send nothing new to the endpoints being drained, let their in-flight requests finish, then
     * report them drained. New requests are held (and wake the target again).
     */
    DRAIN,
}
