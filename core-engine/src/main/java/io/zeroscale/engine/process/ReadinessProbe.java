package io.zeroscale.engine.process;

import static java.util.Objects.requireNonNull;

import io.zeroscale.engine.process.ProcessWorkloadSpec.Probe;
import io.zeroscale.engine.process.ProcessWorkloadSpec.Readiness;
import io.zeroscale.plugin.support.EndpointProbe;
import java.util.concurrent.Executor;

/** Checks once, blocking, whether a replica is ready. Call it from the blocking executor. */
final class ReadinessProbe implements AutoCloseable {
    private final String host;
    private final EndpointProbe probe;

    ReadinessProbe(String host, Executor executor) {
        this.host = requireNonNull(host, "host is null");
        this.probe = new EndpointProbe(executor);
    }

    /** Probes the replica on {@code port}; never throws for a replica that is down. */
    Result check(Readiness readiness, int port) {
        EndpointProbe.Result result = switch (readiness.probe()) {
            case Probe.Http http -> probe.http(host, port, http.path(), readiness.timeout());
            case Probe.Tcp tcp -> probe.tcp(host, port, readiness.timeout());
        };
        return new Result(result.ready(), result.detail());
    }

    @Override
    public void close() {
        probe.close();
    }

    /** The outcome of one probe; {@code detail} says why it failed. */
    record Result(boolean ready, String detail) {
        Result {
            requireNonNull(detail, "detail is null");
        }
    }
}
