package io.zeroscale.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * Free TCP ports on 127.0.0.1 for tests that start servers. The operating system picks the port,
 * so parallel test runs do not collide on a fixed number; the port is released before it is
 * returned, so use it promptly.
 */
public final class FreePorts {
    private FreePorts() {}

    /** A port that nothing listened on at 127.0.0.1 a moment ago. */
    public static int next() {
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
