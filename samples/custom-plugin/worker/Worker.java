import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A queue worker for the sample: pops jobs from the Redis list QUEUE (default "jobs") on
 * REDIS_HOST:REDIS_PORT and "works" JOB_MILLIS (default 1000) on each. It talks to Redis through
 * redis-cli (Debian's redis-tools), so it runs as a single source file on any Java 17+: java Worker.java.
 *
 * <p>It listens on PORT (set by Zeroscale's process orchestrator) only so that the orchestrator's
 * TCP probe sees it ready; it serves nothing there. When Redis is unreachable it keeps running and
 * retries, as a real worker would.
 */
public class Worker {
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(System.getenv("PORT"));
        String host = System.getenv().getOrDefault("REDIS_HOST", "127.0.0.1");
        String redisPort = System.getenv().getOrDefault("REDIS_PORT", "6379");
        String queue = System.getenv().getOrDefault("QUEUE", "jobs");
        long jobMillis = Long.parseLong(System.getenv().getOrDefault("JOB_MILLIS", "1000"));
        long pid = ProcessHandle.current().pid();

        ServerSocket ready = new ServerSocket(port, 50, InetAddress.getLoopbackAddress());
        Thread prober = new Thread(() -> {
            while (true) {
                try (Socket probe = ready.accept()) {
                    // The probe only needs the connection to open.
                } catch (IOException e) {
                    return;
                }
            }
        });
        prober.setDaemon(true);
        prober.start();
        System.out.println("worker " + pid + ": ready on port " + port + ", popping " + queue + " from " + host + ":" + redisPort);
        while (true) {
            Process pop = new ProcessBuilder(List.of("redis-cli", "-h", host, "-p", redisPort, "--raw", "LPOP", queue))
                    .redirectErrorStream(true)
                    .start();
            String out = new String(pop.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!pop.waitFor(5, TimeUnit.SECONDS) || pop.exitValue() != 0 || out.startsWith("Could not connect")) {
                System.out.println("worker " + pid + ": Redis unreachable (" + out + "); retrying");
                Thread.sleep(500);
            } else if (out.isEmpty()) {
                Thread.sleep(200); // queue empty
            } else {
                System.out.println("worker " + pid + ": working on " + out);
                Thread.sleep(jobMillis);
            }
        }
    }
}
