package io.zeroscale.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class FreePortsTest {
    @Test
    void portsAreDrawnBelowTheEphemeralRangeSoNoOutgoingConnectionCanTakeThem() throws IOException {
        int ephemeralStart = Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).trim().split("\\s+")[0]);
        for (int i = 0; i < 50; i++) {
            int port = FreePorts.next();
            assertThat(port).isBetween(10000, ephemeralStart - 1);
            try (ServerSocket socket = new ServerSocket()) {
                socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                assertThat(socket.getLocalPort()).isEqualTo(port);
            }
        }
    }

    @Test
    void aRangeIsConsecutiveAndFree() {
        int first = FreePorts.nextRange(5);
        for (int port = first; port < first + 5; port++) {
            assertThat(FreePorts.isFree(port)).as("port %d", port).isTrue();
        }
    }
}
