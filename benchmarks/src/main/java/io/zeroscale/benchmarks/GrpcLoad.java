package io.zeroscale.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The load client of the gateway's gRPC benchmark ({@code benchmarks/gateway/grpc.sh}): grpc-java
 * unary calls of {@link GrpcEcho#SAY}, closed loop, {@code --channels} connections with
 * {@code --calls} calls in flight on each, against each target in turn, the order rotated each
 * round, after a warm-up of each target. A call counts as succeeded only if it ends with status OK
 * and the backend's reply (a proxy's own error is a trailers-only status, HTTP 200: counting HTTP
 * statuses, as {@code h2load} does, would count it as served). Around each run it reads from
 * {@code /proc} the CPU time of the processes named by {@code --cpu}; before each round the load
 * average. Writes the rounds as JSON to {@code --out}.
 */
@Command(name = "GrpcLoad", mixinStandardHelpOptions = true,
        description = "Closed-loop gRPC unary load against several targets, rotated per round.")
public final class GrpcLoad implements Callable<Integer> {
    @Option(names = "--target", required = true, description = "NAME=PORT on 127.0.0.1, in order (repeat)")
    Map<String, Integer> targets = new LinkedHashMap<>();

    @Option(names = "--cpu", description = "NAME=PID[,PID...]: processes whose CPU time is read around each run")
    Map<String, String> cpu = new LinkedHashMap<>();

    @Option(names = "--seconds", defaultValue = "5") int seconds;
    @Option(names = "--channels", defaultValue = "16", description = "connections (one grpc-java channel each)") int channels;
    @Option(names = "--calls", defaultValue = "10", description = "calls in flight per connection") int calls;
    @Option(names = "--rounds", defaultValue = "5") int rounds;
    @Option(names = "--warmup-seconds", defaultValue = "60") int warmupSeconds;
    @Option(names = "--clock-ticks", defaultValue = "100", description = "getconf CLK_TCK") int clockTicks;
    @Option(names = "--commit", defaultValue = "unknown") String commit;
    @Option(names = "--out", required = true) Path out;

    public static void main(String[] args) {
        System.exit(new CommandLine(new GrpcLoad()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        List<String> names = new ArrayList<>(targets.keySet());
        for (String name : names) {
            System.err.printf(Locale.ROOT, "warming up %s for %d s%n", name, warmupSeconds);
            Map<String, Object> warm = run(targets.getOrDefault(name, 0), warmupSeconds);
            System.err.printf(Locale.ROOT, "  %s%n", warm);
        }
        List<Map<String, Object>> results = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("round", round);
            row.put("load", Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]));
            for (int i = 0; i < names.size(); i++) {
                String name = names.get((i + round) % names.size());
                Map<String, Object> result = run(targets.getOrDefault(name, 0), seconds);
                System.err.printf(Locale.ROOT, "round %d %s: %s%n", round, name, result);
                row.put(name, result);
            }
            results.add(row);
        }
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("commit", commit);
        data.put("seconds", seconds);
        data.put("connections", channels);
        data.put("streams", calls);
        data.put("warmup_seconds", warmupSeconds);
        data.put("client", "grpc-java " + io.grpc.Grpc.class.getPackage().getImplementationVersion());
        data.put("rounds", results);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), data);
        return 0;
    }

    /** One closed-loop run against 127.0.0.1:{@code port}: throughput, mean latency, failures, CPU. */
    private Map<String, Object> run(int port, int runSeconds) throws IOException, InterruptedException {
        List<ManagedChannel> open = new ArrayList<>();
        for (int i = 0; i < channels; i++) {
            open.add(NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().directExecutor().build());
        }
        LongAdder succeeded = new LongAdder();
        LongAdder nanos = new LongAdder();
        Map<String, LongAdder> failures = new ConcurrentHashMap<>();
        Map<String, Long> cpuBefore = cpuMillis();
        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(runSeconds);
        CountDownLatch loops = new CountDownLatch(channels * calls);
        for (ManagedChannel channel : open) {
            for (int i = 0; i < calls; i++) {
                new Loop(channel, end, succeeded, nanos, failures, loops).next();
            }
        }
        if (!loops.await(runSeconds + 30L, TimeUnit.SECONDS)) {
            failures.computeIfAbsent("calls still open 30 s after the end", k -> new LongAdder()).add(loops.getCount());
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        Map<String, Long> cpuAfter = cpuMillis();
        for (ManagedChannel channel : open) {
            channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }
        Map<String, Object> result = new LinkedHashMap<>();
        long ok = succeeded.sum();
        long failed = failures.values().stream().mapToLong(LongAdder::sum).sum();
        result.put("rps", Math.round(ok / elapsed * 10) / 10.0);
        result.put("succeeded", ok);
        result.put("failed", failed);
        Map<String, Long> byReason = new LinkedHashMap<>();
        failures.forEach((reason, count) -> byReason.put(reason, count.sum()));
        result.put("failures", byReason);
        result.put("mean_ms", ok == 0 ? null : Math.round(nanos.sum() / (double) ok / 1e4) / 100.0);
        Map<String, Long> cpuUsed = new LinkedHashMap<>();
        cpuAfter.forEach((name, ms) -> cpuUsed.put(name, ms - cpuBefore.getOrDefault(name, 0L)));
        result.put("cpu_ms", cpuUsed);
        return result;
    }

    /** CPU time (user + system, ms) each {@code --cpu} group of processes used so far. */
    private Map<String, Long> cpuMillis() throws IOException {
        Map<String, Long> used = new LinkedHashMap<>();
        for (Map.Entry<String, String> group : cpu.entrySet()) {
            long ticks = 0;
            for (String pid : group.getValue().split(",")) {
                String stat = Files.readString(Path.of("/proc", pid.strip(), "stat"));
                // After the command name in parentheses: field 3 (state) onward; utime and stime are fields 14 and 15.
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
            }
            used.put(group.getKey(), ticks * 1000 / clockTicks);
        }
        return used;
    }

    /** One call in flight: when it ends, the next starts, until the run's end. */
    private static final class Loop implements StreamObserver<String> {
        private final ManagedChannel channel;
        private final long end;
        private final LongAdder succeeded;
        private final LongAdder nanos;
        private final Map<String, LongAdder> failures;
        private final CountDownLatch done;
        private final AtomicLong started = new AtomicLong();
        private volatile boolean replied;

        Loop(ManagedChannel channel, long end, LongAdder succeeded, LongAdder nanos, Map<String, LongAdder> failures,
                CountDownLatch done) {
            this.channel = channel;
            this.end = end;
            this.succeeded = succeeded;
            this.nanos = nanos;
            this.failures = failures;
            this.done = done;
        }

        void next() {
            long now = System.nanoTime();
            if (now - end >= 0) {
                done.countDown();
                return;
            }
            started.set(now);
            replied = false;
            ClientCalls.asyncUnaryCall(channel.newCall(GrpcEcho.SAY, CallOptions.DEFAULT.withDeadlineAfter(30,
                    TimeUnit.SECONDS)), "ping", this);
        }

        @Override
        public void onNext(String value) {
            replied = GrpcEcho.REPLY.equals(value);
        }

        @Override
        public void onError(Throwable t) {
            Status status = Status.fromThrowable(t);
            failures.computeIfAbsent(status.getCode() + ": " + status.getDescription(), k -> new LongAdder())
                    .increment();
            next();
        }

        @Override
        public void onCompleted() {
            if (replied) {
                succeeded.increment();
                nanos.add(System.nanoTime() - started.get());
            } else {
                failures.computeIfAbsent("OK without the backend's reply", k -> new LongAdder()).increment();
            }
            next();
        }
    }
}
