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
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Orders pods oldest first, as {@code ObservedState.readyEndpoints} must. A pod's {@code
 * creationTimestamp} has one-second resolution, and pods a scale-up creates usually share a second,
 * so ties are broken by the order in which this orchestrator first saw each pod (a sequence
 * number), then by name. The sequence numbers are kept in the plugin's data directory, so a
 * restarted daemon lists adopted pods in the order the previous run did; pods it never saw before
 * are numbered in the order it meets them.
 *
 * <p>Each entry ({@code uid=number namespace}) remembers its pod's namespace, so that once the
 * informer of a namespace has listed every pod there, {@link #prune} drops the entries of pods that
 * were deleted while no daemon watched (the informer's own delete events cover the rest). Entries
 * of namespaces no target uses any more stay until a target there is attached again. Thread-safe.
 */
final class PodOrder {
    private static final Logger log = LoggerFactory.getLogger(PodOrder.class);
    static final String FILE = "pod-order.properties";

    private final @Nullable Path file;
    private final Map<String, Long> sequence = new HashMap<>();
    /** The namespace of each numbered pod; absent for entries written before namespaces were kept. */
    private final Map<String, String> namespaces = new HashMap<>();
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
                    String[] value = saved.getProperty(uid).trim().split(" ", 2);
                    long n = Long.parseLong(value[0]);
                    order.sequence.put(uid, n);
                    if (value.length == 2) {
                        order.namespaces.put(uid, value[1]);
                    }
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
        if (uid == null) {
            return;
        }
        if (!sequence.containsKey(uid)) {
            sequence.put(uid, next++);
            dirty = true;
        }
        String namespace = pod.getMetadata().getNamespace();
        if (namespace != null && !namespace.equals(namespaces.put(uid, namespace))) {
            dirty = true;
        }
    }

    /** Forgets pods that are gone. */
    synchronized void forget(String uid) {
        namespaces.remove(uid);
        if (sequence.remove(uid) != null) {
            dirty = true;
        }
    }

    /**
     * Forgets every pod of {@code namespace} that is not in {@code existing}, the UIDs of all pods
     * that exist there now (a full listing: an informer that has synced).
     *
     * @return how many entries were dropped
     */
    synchronized int prune(String namespace, Set<String> existing) {
        int before = sequence.size();
        namespaces.entrySet().removeIf(e -> {
            if (e.getValue().equals(namespace) && !existing.contains(e.getKey())) {
                sequence.remove(e.getKey());
                return true;
            }
            return false;
        });
        int dropped = before - sequence.size();
        if (dropped > 0) {
            dirty = true;
        }
        return dropped;
    }

    /** How many pods are numbered (for tests and logs). */
    synchronized int size() {
        return sequence.size();
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
            sequence.forEach((uid, n) -> {
                String namespace = namespaces.get(uid);
                copy.setProperty(uid, namespace == null ? Long.toString(n) : n + " " + namespace);
            });
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
