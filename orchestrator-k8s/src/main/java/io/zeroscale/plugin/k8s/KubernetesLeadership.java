package io.zeroscale.plugin.k8s;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectorBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaderElectionRecord;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.Lock;
import io.zeroscale.spi.Leadership;
import io.zeroscale.spi.Subscription;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leadership through a {@code coordination.k8s.io} Lease, with fabric8's {@link LeaderElector}: the
 * daemon whose identity holds the Lease leads; it renews the Lease every retry period and stops
 * leading when it could not renew within the renew deadline (before the Lease expires, so two never
 * lead at once while clocks agree); the others try to take it every retry period and take it once
 * it expired (lease duration after its last renewal). Losing the Lease is not the end: this daemon
 * stands again at once, as a follower. {@link #close()} releases the Lease (when held), so another
 * daemon takes over without waiting for it to expire.
 *
 * <p>{@link #isLeader()} also answers false once the renew deadline has passed since the start of
 * this daemon's last successful write of the Lease, without waiting for the elector to notice: a
 * leader that was stopped (SIGSTOP, a paused VM, a long GC) past its Lease's expiry must not write
 * on resume while another daemon may already lead.
 */
final class KubernetesLeadership implements Leadership {
    private static final Logger log = LoggerFactory.getLogger(KubernetesLeadership.class);

    private final KubernetesClient client;
    private final LeadershipSettings settings;
    private final Executor executor;
    private final InstantSource clock;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private volatile boolean leading;
    /** When this daemon's last successful write of the Lease naming it as holder started; null before. */
    private volatile @Nullable Instant renewed;
    private volatile @Nullable String holder;
    /** The last failed read or write of the Lease ("403 ..."), null while none failed. */
    private volatile @Nullable String lastFailure;
    private volatile boolean closed;
    private @Nullable CompletableFuture<?> running;
    private @Nullable LeaderElector elector;

    KubernetesLeadership(KubernetesClient client, LeadershipSettings settings, Executor executor,
            InstantSource clock) {
        this.client = client;
        this.settings = settings;
        this.executor = executor;
        this.clock = clock;
    }

    /** Starts taking part in the election (returns at once). */
    synchronized void start() {
        if (closed) {
            return;
        }
        LeaderElector elector = new LeaderElectorBuilder(client, executor).withConfig(new LeaderElectionConfigBuilder()
                .withName(settings.lease())
                .withLock(reporting(new LeaseLock(settings.namespace(), settings.lease(), settings.identity())))
                .withLeaseDuration(settings.leaseDuration())
                .withRenewDeadline(settings.renewDeadline())
                .withRetryPeriod(settings.retryPeriod())
                .withReleaseOnCancel(false) // released in close(), before the client closes
                .withLeaderCallbacks(new LeaderCallbacks(() -> changed(true), () -> changed(false), this::newLeader))
                .build()).build();
        this.elector = elector;
        CompletableFuture<?> future = elector.start();
        running = future;
        future.whenComplete((ok, failure) -> {
            // The elector ends when this daemon lost the Lease (or on close): stand again as a follower.
            changed(false);
            if (!closed) {
                log.info("leadership: lease {}/{} lost or not renewed{}; standing again in {}", settings.namespace(),
                        settings.lease(), failure == null ? "" : " (" + failure + ")", settings.retryPeriod());
                // After a retry period: an API server that refuses at once must not make this spin.
                CompletableFuture.runAsync(this::start, CompletableFuture.delayedExecutor(
                        settings.retryPeriod().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS, executor));
            }
        });
    }

    /** {@code lock} with its failures kept for {@link #lastFailure()} and its renewals for {@link #isLeader()}. */
    Lock reporting(Lock lock) {
        return new Reporting(lock);
    }

    void changed(boolean now) {
        if (leading == now) {
            return;
        }
        leading = now;
        log.info("leadership: {} {} lease {}/{}", settings.identity(), now ? "holds" : "no longer holds",
                settings.namespace(), settings.lease());
        listeners.forEach(listener -> {
            try {
                listener.run();
            } catch (RuntimeException e) {
                log.warn("leadership: a listener failed", e);
            }
        });
    }

    private void newLeader(String identity) {
        holder = identity;
        log.info("leadership: lease {}/{} is held by {}", settings.namespace(), settings.lease(), identity);
    }

    /**
     * The last read or write of the Lease that failed, as the API server's code and message
     * (e.g. 403 when this daemon's role lacks the {@code leases} rule); null while none failed. The
     * elector only retries such a failure, so it is kept (and logged once per change) here.
     */
    @Nullable String lastFailure() {
        return lastFailure;
    }

    private void failed(String operation, RuntimeException e) {
        String message = (e instanceof KubernetesClientException k ? k.getCode() + " " : "") + e.getMessage();
        if (!message.equals(lastFailure)) {
            log.warn("leadership: cannot {} lease {}/{}, trying again every {}: {}", operation, settings.namespace(),
                    settings.lease(), settings.retryPeriod(), message);
        }
        lastFailure = message;
    }

    /**
     * A write of the Lease that started at {@code start} succeeded: when it names this daemon, the
     * Lease is this daemon's until at least {@code start} plus its duration (the others count from
     * when they saw it, later).
     */
    private void written(LeaderElectionRecord record, Instant start) {
        if (settings.identity().equals(record.getHolderIdentity())) {
            renewed = start;
        }
    }

    /** The Lease lock, with its failures kept for {@link #lastFailure()}. */
    private final class Reporting implements Lock {
        private final Lock lock;

        Reporting(Lock lock) {
            this.lock = lock;
        }

        @Override
        public @Nullable LeaderElectionRecord get(KubernetesClient client) {
            try {
                return lock.get(client);
            } catch (RuntimeException e) {
                failed("read", e);
                throw e;
            }
        }

        @Override
        public void create(KubernetesClient client, LeaderElectionRecord record) {
            Instant start = clock.instant();
            try {
                lock.create(client, record);
                written(record, start);
            } catch (RuntimeException e) {
                failed("create", e);
                throw e;
            }
        }

        @Override
        public void update(KubernetesClient client, LeaderElectionRecord record) {
            Instant start = clock.instant();
            try {
                lock.update(client, record);
                written(record, start);
            } catch (RuntimeException e) {
                failed("update", e);
                throw e;
            }
        }

        @Override
        public String identity() {
            return lock.identity();
        }

        @Override
        public String describe() {
            return lock.describe();
        }
    }

    @Override
    public boolean isLeader() {
        Instant last = renewed;
        // The renew deadline, not the lease duration: the elector itself stops leading then, and the
        // difference leaves a write that was let through just before time to land before the Lease expires.
        return leading && !closed && last != null
                && clock.instant().isBefore(last.plus(settings.renewDeadline()));
    }

    /** The identity the Lease named as holder when this daemon last looked, or null before. */
    @Nullable String holder() {
        return holder;
    }

    @Override
    public Subscription subscribe(Runnable listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    @Override
    public void close() {
        CompletableFuture<?> future;
        LeaderElector current;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            future = running;
            current = elector;
        }
        if (future != null) {
            future.cancel(true);
        }
        changed(false);
        if (current != null) {
            try {
                // The next leader need not wait for the Lease to expire.
                current.release();
            } catch (RuntimeException e) {
                log.warn("leadership: could not release lease {}/{}; it expires by itself", settings.namespace(),
                        settings.lease(), e);
            }
        }
        client.close();
    }

    @Override
    public String toString() {
        return "kubernetes lease " + settings.namespace() + "/" + settings.lease() + " as " + settings.identity();
    }
}
