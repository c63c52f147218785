package io.zeroscale.testkit;

import java.time.Duration;
import java.util.List;

/**
 * The process {@link PodNetwork} runs for a pod: it must serve HTTP on {@link PodNetwork.PodProcess#ip()}
 * port {@link PodNetwork.PodProcess#port()} and answer 200 on {@code /} once ready. It runs inside the
 * pod network's namespace (the fixture prefixes {@code ip netns exec}); it is killed (with its
 * descendants) when the pod is deleted. Called on the fixture's own thread, once per pod.
 */
@FunctionalInterface
public interface PodCommand {
    /** The command line for {@code pod}; its working directory is {@link PodNetwork.PodProcess#directory()}. */
    List<String> command(PodNetwork.PodProcess pod);

    /**
     * busybox {@code httpd} serving {@code <pod name>\n} on {@code /} (the fixture writes it to
     * {@code index.html} in the pod's directory). Starts in about a millisecond.
     */
    static PodCommand httpd() {
        return pod -> List.of(busybox(), "httpd", "-f", "-p", pod.ip() + ":" + pod.port(), "-h", pod.directory().toString());
    }

    /** {@link #httpd()} after {@code delay}: a backend that takes that long to start. */
    static PodCommand httpdAfter(Duration delay) {
        if (delay.isNegative()) {
            throw new IllegalArgumentException("delay must not be negative, got " + delay);
        }
        String seconds = String.format(java.util.Locale.ROOT, "%.3f", delay.toNanos() / 1e9);
        return pod -> List.of(busybox(), "sh", "-c", "sleep " + seconds + " && exec " + busybox() + " httpd -f -p "
                + pod.ip() + ":" + pod.port() + " -h " + pod.directory());
    }

    private static String busybox() {
        return PodNetwork.executable("busybox", "apt-get install -y busybox-static");
    }
}
