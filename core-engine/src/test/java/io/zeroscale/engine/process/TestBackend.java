package io.zeroscale.engine.process;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The backend the process orchestrator runs in tests: an HTTP server on 127.0.0.1:$PORT that
 * answers every path with 200 "hello from PORT", followed by its arguments and $GREETING if set.
 * $START_DELAY_MS delays listening, like a model load; $HANG_ON_STOP=true makes it ignore SIGTERM
 * (a shutdown hook that never returns), so only SIGKILL ends it.
 */
public final class TestBackend {
    private TestBackend() {}

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(System.getenv("PORT"));
        long startDelayMillis = Long.parseLong(System.getenv().getOrDefault("START_DELAY_MS", "0"));
        if (Boolean.parseBoolean(System.getenv("HANG_ON_STOP"))) {
            Runtime.getRuntime().addShutdownHook(new Thread(TestBackend::hangForever));
        }
        // A slow start (loading a model): the port opens only after the delay.
        ScheduledExecutorService starter = Executors.newSingleThreadScheduledExecutor();
        starter.schedule(() -> {
            listen(port, args);
            return null;
        }, startDelayMillis, TimeUnit.MILLISECONDS);
        starter.shutdown();
    }

    private static void listen(int port, String[] args) throws IOException {
        StringBuilder text = new StringBuilder("hello from ").append(port);
        for (String arg : args) {
            text.append(' ').append(arg);
        }
        String greeting = System.getenv("GREETING");
        if (greeting != null) {
            text.append(' ').append(greeting);
        }
        byte[] body = text.toString().getBytes(UTF_8);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        server.createContext("/", exchange -> {
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        System.out.println("listening on 127.0.0.1:" + port);
    }

    private static void hangForever() {
        try {
            new CountDownLatch(1).await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
