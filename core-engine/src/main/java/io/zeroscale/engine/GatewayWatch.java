package io.zeroscale.engine;

import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.Subscription;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * One timer per gateway for its reporter TTL, instead of one per target it reports for: with
 * 100,000 quiet targets and a TTL of 15 s, each target waking once per TTL to find its gateway
 * still heard from was about 6,700 ticks a second on one core. The timer fires when the gateway
 * was last heard from more than {@code traffic.reporter-ttl} ago, and then {@code silent} is told
 * (the engine has every target check its reporters, as their own TTL wake-up did); a gateway heard
 * from meanwhile only moves the timer. Targets still keep a wake-up of their own for a reporter
 * whose gateway the engine does not know (see {@link TrafficReports#nextCheck()}).
 */
final class GatewayWatch implements AutoCloseable {
    private final Scheduler scheduler;
    private final Duration ttl;
    private final Function<String, @Nullable Instant> lastHeard;
    private final Consumer<String> silent;
    /** The pending timer of each gateway heard from and not silent since. */
    private final Map<String, Subscription> timers = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * @param lastHeard when each gateway was last heard from, null when never or since it left
     * @param silent told (on the scheduler's thread) a gateway's name once it is silent past the TTL
     */
    GatewayWatch(Scheduler scheduler, Duration ttl, Function<String, @Nullable Instant> lastHeard, Consumer<String> silent) {
        this.scheduler = scheduler;
        this.ttl = ttl;
        this.lastHeard = lastHeard;
        this.silent = silent;
    }

    /** {@code gateway} was heard from (after its last-heard time was set): watched from now on. Any thread. */
    void heard(String gateway) {
        if (!closed && !timers.containsKey(gateway)) {
            timers.computeIfAbsent(gateway, g -> schedule(g, scheduler.clock().instant()));
        }
    }

    /** {@code gateway} left: nothing to watch. */
    void left(String gateway) {
        Subscription timer = timers.remove(gateway);
        if (timer != null) {
            timer.close();
        }
    }

    /** True while {@code gateway}'s timer is pending (for tests). */
    boolean watching(String gateway) {
        return timers.containsKey(gateway);
    }

    @Override
    public void close() {
        closed = true;
        timers.values().forEach(Subscription::close);
        timers.clear();
    }

    private Subscription schedule(String gateway, Instant heard) {
        Duration after = Duration.between(scheduler.clock().instant(), due(heard));
        return scheduler.schedule(after.isNegative() ? Duration.ZERO : after, () -> fire(gateway));
    }

    /** Silent only past the TTL, as {@link TrafficReports#refresh} judges it. */
    private Instant due(Instant heard) {
        return heard.plus(ttl).plusNanos(1);
    }

    private void fire(String gateway) {
        if (closed) {
            return;
        }
        Instant heard = lastHeard.apply(gateway);
        if (heard == null) {
            timers.remove(gateway); // it left
            return;
        }
        if (scheduler.clock().instant().isBefore(due(heard))) {
            timers.put(gateway, schedule(gateway, heard)); // heard from meanwhile: check again at its new due time
            return;
        }
        timers.remove(gateway);
        // A report that came after the read above found the old timer and set none: read again,
        // so a gateway heard from again is never left unwatched.
        Instant again = lastHeard.apply(gateway);
        if (again != null && !again.equals(heard)) {
            heard(gateway);
        }
        silent.accept(gateway);
    }
}
