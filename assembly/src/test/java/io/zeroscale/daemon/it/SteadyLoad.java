package io.zeroscale.daemon.it;

import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Steady load for a transition test (a drain, a reload): a few clients, each sending one request
 * at a time, counting the 200s and keeping every other answer and every exception. Bounded: each
 * client stops after {@code perClient} requests, or when {@link #stop()} is called.
 */
public final class SteadyLoad {
    /** Sends the {@code n}th request of one client. */
    @FunctionalInterface
    public interface Request {
        HttpResponse<String> send(int n) throws Exception;
    }

    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicInteger ok = new AtomicInteger();
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    private final List<Future<?>> clients = new ArrayList<>();
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    private SteadyLoad() {}

    public static SteadyLoad start(int clients, int perClient, Request request) {
        SteadyLoad load = new SteadyLoad();
        for (int i = 0; i < clients; i++) {
            load.clients.add(load.threads.submit(() -> {
                for (int n = 0; n < perClient && load.running.get(); n++) {
                    try {
                        HttpResponse<String> response = request.send(n);
                        if (response.statusCode() == 200) {
                            load.ok.incrementAndGet();
                        } else {
                            load.failures.add(response.statusCode() + " " + response.body());
                        }
                    } catch (Exception e) {
                        load.failures.add(e.toString());
                    }
                }
                return null;
            }));
        }
        return load;
    }

    /** Requests answered 200 so far. */
    public int ok() {
        return ok.get();
    }

    /** Waits until {@code count} more requests than now were answered 200. */
    public void awaitMore(int count, Duration atMost) {
        int from = ok.get();
        await(count + " more requests answered").atMost(atMost).until(() -> ok.get() >= from + count);
    }

    /** Stops the clients, waits for their last requests, and returns what failed. */
    public List<String> stop() throws Exception {
        running.set(false);
        try {
            for (Future<?> client : clients) {
                client.get();
            }
        } finally {
            threads.close();
        }
        return List.copyOf(failures);
    }
}
