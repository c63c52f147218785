package io.zeroscale.plugin.k8s;

import io.fabric8.kubernetes.api.model.Pod;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Orders pods oldest first, as {@code ObservedState.readyEndpoints} must. A pod's {@code
 * creationTimestamp} has one-second resolution, and pods a scale-up creates usually share a second,
 * so ties are broken by the order in which this orchestrator first saw each pod (a sequence
 * number), then by name. The sequence numbers are kept in the plugin's data directory, so a
 * restarted daemon lists adopted pods in the order the previous run did; pods it never saw before
 * are numbered in the order it meets them. Thread-safe.
 */
final class PodOrder {
    private static final Logger log = LoggerFactory.getLogger(PodOrder.class);
    static final String FILE = "pod-order.properties";

    private final @Nullable Path file;
    private final Map<String, Long> sequence = new HashMap<>();
    private long next;
    private boolean dirty;

    private PodOrder(@Nullable Path file) {
        this.file = file;
    }

    /** Loads the numbers a previous run kept in {@code directory}, or starts empty; null keeps nothing. */
    static PodOrder load(@Nullable Path directory) {
        PodOrder order = new PodOrder(directory == null ? null : directory.resolve(FILE));
        if (order.file != null && Files.isRegularFile(order.file)) {
            Properties saved = new Properties();
            try (InputStream in = Files.newInputStream(order.file)) {
                saved.load(in);
                for (String uid : saved.stringPropertyNames()) {
                    long n = Long.parseLong(saved.getProperty(uid));
                    order.sequence.put(uid, n);
                    order.next = Math.max(order.next, n + 1);
                }
            } catch (IOException | NumberFormatException e) {
                // Only the order of ties is lost: pods are numbered again as they are met.
                log.warn("could not read {}; pods created in the same second are ordered as met from now on", order.file, e);
            }
        }
        return order;
    }

    /** Numbers {@code pod} if it has no number yet. */
    synchronized void see(Pod pod) {
        String uid = pod.getMetadata().getUid();
        if (uid != null && !sequence.containsKey(uid)) {
            sequence.put(uid, next++);
            dirty = true;
        }
    }

    /** Forgets pods that are gone. */
    synchronized void forget(String uid) {
        if (sequence.remove(uid) != null) {
            dirty = true;
        }
    }

    /** Oldest first: creation time, then first seen, then name. */
    Comparator<Pod> comparator() {
        return Comparator.comparing((Pod p) -> created(p))
                .thenComparingLong(this::sequenceOf)
                .thenComparing(p -> p.getMetadata().getName());
    }

    private synchronized long sequenceOf(Pod pod) {
        Long n = sequence.get(pod.getMetadata().getUid());
        return n == null ? Long.MAX_VALUE : n;
    }

    private static Instant created(Pod pod) {
        String text = pod.getMetadata().getCreationTimestamp();
        if (text == null) {
            return Instant.MAX;
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            return Instant.MAX;
        }
    }

    /** Writes the numbers when they changed since the last save (write-then-rename). */
    void save() {
        Properties copy = new Properties();
        synchronized (this) {
            if (!dirty || file == null) {
                return;
            }
            sequence.forEach((uid, n) -> copy.setProperty(uid, Long.toString(n)));
            dirty = false;
        }
        Path target = file;
        try {
            Files.createDirectories(target.getParent());
            // A file of its own per write: two instances over one data directory never mix their writes.
            Path tmp = Files.createTempFile(target.getParent(), FILE, ".tmp");
            try (OutputStream out = Files.newOutputStream(tmp)) {
                copy.store(out, "zeroscale kubernetes orchestrator: the order pods were first seen in");
            }
            try {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            log.warn("could not write {}; a restarted daemon may order pods created in the same second differently",
                    target, e);
        }
    }
}
