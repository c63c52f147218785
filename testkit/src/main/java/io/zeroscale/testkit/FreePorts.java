package io.zeroscale.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free TCP ports on 127.0.0.1 for tests that start servers. Ports are drawn at random below the
 * kernel's ephemeral range ({@code /proc/sys/net/ipv4/ip_local_port_range}), so parallel test runs
 * do not collide on a fixed number and no outgoing connection can take the port before the server
 * binds it: a port from the ephemeral range (what binding port 0 gives) can be handed to any
 * process's next {@code connect}, which once made a kube-apiserver fail with "address already in
 * use" on the port chosen for it. The port is released before it is returned, so use it promptly.
 */
public final class FreePorts {
    /** The lowest port drawn: above the registered ports most local services use. */
    private static final int LOWEST = 10000;

    private FreePorts() {}

    /** A port that nothing listened on at 127.0.0.1 a moment ago. */
    public static int next() {
        int below = ephemeralRangeStart();
        if (below - LOWEST >= 1000) {
            for (int attempt = 0; attempt < 100; attempt++) {
                int port = LOWEST + ThreadLocalRandom.current().nextInt(below - LOWEST);
                if (isFree(port)) {
                    return port;
                }
            }
        }
        return kernelsChoice();
    }

    /** The first port of the kernel's ephemeral range (32768 when it cannot be read). */
    private static int ephemeralRangeStart() {
        // Read as lines: Files.readString trusts the size procfs reports and returned one character here.
        try (BufferedReader in = Files.newBufferedReader(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
            String range = in.readLine();
            return range == null ? 32768 : Integer.parseInt(range.trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 32768;
        }
    }

    private static int kernelsChoice() {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("could not bind a free port on 127.0.0.1", e);
        }
    }

    /**
     * The first of {@code count} consecutive ports that were all free a moment ago, for backends
     * configured with a port range.
     */
    public static int nextRange(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("count must be positive, got " + count);
        }
        for (int attempt = 0; attempt < 100; attempt++) {
            int first = next();
            if (first + count - 1 <= 65535 && allFree(first, count)) {
                return first;
            }
        }
        throw new IllegalStateException("found no " + count + " consecutive free ports on 127.0.0.1 in 100 tries");
    }

    /** True when nothing listens on {@code port} at 127.0.0.1. */
    public static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean allFree(int first, int count) {
        for (int port = first; port < first + count; port++) {
            if (!isFree(port)) {
                return false;
            }
        }
        return true;
    }
}
