package io.zeroscale.daemon;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/** Whether the daemon serves traffic: false while it starts and once it begins shutting down. */
final class Readiness implements BooleanSupplier {
    private final AtomicBoolean ready = new AtomicBoolean();

    void set(boolean value) {
        ready.set(value);
    }

    @Override
    public boolean getAsBoolean() {
        return ready.get();
    }
}
