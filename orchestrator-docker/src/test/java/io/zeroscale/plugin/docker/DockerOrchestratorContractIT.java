package io.zeroscale.plugin.docker;

import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ContainerPort;
import com.github.dockerjava.api.model.HostConfig;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.ResourceProfile;
import io.zeroscale.spi.orchestrator.Workload;
import io.zeroscale.testkit.EndpointsContract;
import io.zeroscale.testkit.FreePorts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** The shared orchestrator contract, against the real engine (Podman's Docker API). */
class DockerOrchestratorContractIT extends EndpointsContract {
    @Override
    protected void setUpBackend() {
        Podman.require();
    }

    @Override
    protected Orchestrator newOrchestrator() {
        return Podman.orchestrator(Map.of());
    }

    @Override
    protected Workload newWorkload() {
        return Podman.httpd(Podman.uniqueName("contract"), Map.of());
    }

    @Override
    protected BadWorkload badWorkload() {
        return new BadWorkload(Podman.httpd(Podman.uniqueName("bad"), Map.of("memory", "2m")), "memory");
    }

    /** Below the engine's minimum of 6 MiB, as at attach. */
    @Override
    protected BadProfile badProfile() {
        return new BadProfile(new ResourceProfile("tiny", null, 2L * 1024 * 1024, null), "memory");
    }

    /**
     * The limits the kernel enforces on the container published at {@code endpoint}, read from its
     * cgroup: Podman 4.3 applies an update to the cgroup but its inspect keeps the limits the
     * container was created with. Falls back to inspect when the cgroup cannot be read.
     */
    @Override
    protected @Nullable ResourceProfile resourcesOf(Endpoint endpoint) {
        for (Container container : Podman.containersOf(target())) {
            for (ContainerPort port : container.getPorts()) {
                Integer published = port.getPublicPort();
                if (published != null && published == endpoint.port()) {
                    InspectContainerResponse inspected = Podman.client().inspectContainerCmd(container.getId()).exec();
                    Long pid = inspected.getState().getPidLong();
                    ResourceProfile enforced = pid == null ? null : fromCgroup(pid);
                    if (enforced != null) {
                        return enforced;
                    }
                    HostConfig host = inspected.getHostConfig();
                    return new ResourceProfile("inspected", cpus(host), positive(host.getMemory()), null);
                }
            }
        }
        throw new AssertionError("no container of " + target() + " is published at " + endpoint);
    }

    /** cgroup v1 ({@code memory.limit_in_bytes}, {@code cpu.cfs_quota_us}) or v2 ({@code memory.max}, {@code cpu.max}). */
    private static @Nullable ResourceProfile fromCgroup(long pid) {
        try {
            Map<String, Path> dirs = new HashMap<>();
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "cgroup"))) {
                String[] parts = line.split(":", 3);
                for (String controller : parts[1].isEmpty() ? new String[] {""} : parts[1].split(",")) {
                    Path root = controller.isEmpty() ? Path.of("/sys/fs/cgroup/unified") : Path.of("/sys/fs/cgroup", controller);
                    if (controller.isEmpty() && !Files.isDirectory(root)) {
                        root = Path.of("/sys/fs/cgroup");
                    }
                    dirs.put(controller, Path.of(root + parts[2]));
                }
            }
            Path memory = dirs.get("memory");
            Path cpu = dirs.get("cpu");
            if (memory != null && cpu != null && Files.exists(memory.resolve("memory.limit_in_bytes"))) {
                long limit = Long.parseLong(Files.readString(memory.resolve("memory.limit_in_bytes")).strip());
                long quota = Long.parseLong(Files.readString(cpu.resolve("cpu.cfs_quota_us")).strip());
                long period = Long.parseLong(Files.readString(cpu.resolve("cpu.cfs_period_us")).strip());
                return new ResourceProfile("cgroup", quota <= 0 ? null : (double) quota / period,
                        limit >= Long.MAX_VALUE / 2 ? null : limit, null);
            }
            Path unified = dirs.get("");
            if (unified != null && Files.exists(unified.resolve("memory.max"))) {
                String max = Files.readString(unified.resolve("memory.max")).strip();
                String[] cpuMax = Files.readString(unified.resolve("cpu.max")).strip().split(" ");
                return new ResourceProfile("cgroup", cpuMax[0].equals("max") ? null : Double.parseDouble(cpuMax[0]) / Long.parseLong(cpuMax[1]),
                        max.equals("max") ? null : Long.parseLong(max), null);
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return null; // not on this host's /proc: inspect is all there is
        }
    }

    private static @Nullable Double cpus(HostConfig host) {
        Long nano = positive(host.getNanoCPUs());
        if (nano != null) {
            return nano / 1e9;
        }
        Long quota = positive(host.getCpuQuota());
        Long period = positive(host.getCpuPeriod());
        return quota == null || period == null ? null : (double) quota / period;
    }

    private static @Nullable Long positive(@Nullable Long value) {
        return value == null || value <= 0 ? null : value;
    }

    /** A TCP host where nothing listens: the outage, without touching the engine other tests share. */
    @Override
    protected Orchestrator newOrchestratorWithBackendDown() {
        return Podman.orchestrator(Map.of("host", "tcp://127.0.0.1:" + FreePorts.next(), "timeout", "2s"));
    }

    @Override
    protected Duration readinessTimeout() {
        return Duration.ofSeconds(30);
    }

    @Override
    protected void tearDownBackend() {
        try {
            // Scale-down stops in the background; the containers must be gone, not just unlisted.
            await("containers of " + target() + " removed")
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> Podman.containersOf(target()).isEmpty());
        } finally {
            Podman.removeAll(target());
        }
    }
}
