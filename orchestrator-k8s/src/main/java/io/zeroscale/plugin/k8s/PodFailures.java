package io.zeroscale.plugin.k8s;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStateWaiting;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Start failures that Kubernetes shows in a pod's container statuses, turned into {@link
 * WorkloadEvent.ReplicaFailed} for the engine's crash-loop backoff: a container that exited with an
 * error or was OOM-killed (then restarted with {@code CrashLoopBackOff}), an image that cannot be
 * pulled ({@code ErrImagePull}, {@code ImagePullBackOff}, {@code InvalidImageName}), a container
 * that cannot be created ({@code CreateContainerConfigError}, {@code CreateContainerError}, {@code
 * RunContainerError}). Only pods that are not ready count (a failure during start; a ready pod's
 * container serves): a crash makes its pod not ready, so a pod that crashes later counts too.
 *
 * <p>Each failure is reported once: an exit by the terminated container's ID (else its finish
 * time, else the restart count), so the exit, the {@code CrashLoopBackOff} that follows and the
 * restart after it are one failure, and the next crash is another; a waiting reason each time the
 * container enters it (the kubelet alternates {@code ErrImagePull} and {@code ImagePullBackOff} on
 * every pull attempt, and each attempt is a failure). One instance per listener; not thread-safe
 * (used on the target's serial executor).
 */
final class PodFailures {
    /** Waiting reasons that mean the container cannot start. */
    static final Set<String> FAILING_WAITING = Set.of("CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull",
            "InvalidImageName", "CreateContainerConfigError", "CreateContainerError", "RunContainerError");
    /** Lines of a container's output kept for the engine (it quotes the last few). */
    static final int OUTPUT_LINES = 5;

    /** Reads the last lines a container wrote; empty when the cluster has none (no kubelet, logs rotated). */
    @FunctionalInterface
    interface Logs {
        /** The last {@code lines} of a container's log; {@code previous}: of the instance before a restart. */
        List<String> tail(String namespace, String pod, String container, boolean previous, int lines);
    }

    /** Keys of exits already reported, per pod UID (kept while the pod exists). */
    private final Map<String, Set<String>> exits = new HashMap<>();
    /** Keys of waiting reasons the containers are in now (a key that leaves and comes back is a new failure). */
    private Set<String> waiting = new HashSet<>();

    /** The failures among {@code pods} (a workload's pods, not finished) not reported before. */
    List<WorkloadEvent.ReplicaFailed> newFailures(List<Pod> pods, Logs logs) {
        List<WorkloadEvent.ReplicaFailed> out = new ArrayList<>();
        Set<String> present = new HashSet<>();
        Set<String> waitingNow = new HashSet<>();
        for (Pod pod : pods) {
            String uid = pod.getMetadata().getUid();
            present.add(uid);
            if (pod.getStatus() == null || States.isReady(pod) || PodRemoval.leaving(pod)) {
                continue;
            }
            List<ContainerStatus> statuses = new ArrayList<>();
            if (pod.getStatus().getInitContainerStatuses() != null) {
                statuses.addAll(pod.getStatus().getInitContainerStatuses());
            }
            if (pod.getStatus().getContainerStatuses() != null) {
                statuses.addAll(pod.getStatus().getContainerStatuses());
            }
            int containers = pod.getSpec() == null || pod.getSpec().getContainers() == null ? 1 : pod.getSpec().getContainers().size();
            for (ContainerStatus status : statuses) {
                WorkloadEvent.ReplicaFailed failed = check(pod, status, containers, logs, waitingNow);
                if (failed != null) {
                    out.add(failed);
                }
            }
        }
        exits.keySet().retainAll(present);
        waiting = waitingNow;
        return out;
    }

    private WorkloadEvent.@Nullable ReplicaFailed check(Pod pod, ContainerStatus status, int containers, Logs logs,
            Set<String> waitingNow) {
        String uid = pod.getMetadata().getUid();
        String podName = pod.getMetadata().getName();
        String container = status.getName();
        String replica = containers > 1 ? podName + "/" + container : podName;
        ContainerStateWaiting wait = status.getState() == null ? null : status.getState().getWaiting();
        ContainerStateTerminated now = status.getState() == null ? null : status.getState().getTerminated();
        ContainerStateTerminated last = status.getLastState() == null ? null : status.getLastState().getTerminated();
        ContainerStateTerminated exit = now != null ? now : last;
        int restarts = status.getRestartCount() == null ? 0 : status.getRestartCount();
        if (exit != null && failed(exit)) {
            String key = container + "/" + exitKey(exit, restarts);
            if (!exits.computeIfAbsent(uid, u -> new HashSet<>()).add(key)) {
                return null;
            }
            String waitingReason = wait == null ? null : wait.getReason();
            String reason = "pod " + podName + " container " + container + " " + describe(exit)
                    + ("CrashLoopBackOff".equals(waitingReason)
                            ? "; Kubernetes restarts it with backoff (CrashLoopBackOff, " + restarts + " restarts)"
                            : restarts > 0 ? " (" + restarts + " restarts)" : "");
            return new WorkloadEvent.ReplicaFailed(replica, reason, output(pod, container, exit, now == null, logs));
        }
        if (wait != null && wait.getReason() != null && FAILING_WAITING.contains(wait.getReason())) {
            String key = uid + "/" + container + "/" + wait.getReason();
            waitingNow.add(key);
            if (waiting.contains(key)) {
                return null;
            }
            String reason = "pod " + podName + " container " + container + " cannot start: " + wait.getReason()
                    + (isImage(wait.getReason()) ? " (image " + status.getImage() + ")" : "")
                    + (wait.getMessage() == null || wait.getMessage().isBlank() ? "" : ": " + wait.getMessage().strip());
            return new WorkloadEvent.ReplicaFailed(replica, reason);
        }
        return null;
    }

    private static boolean failed(ContainerStateTerminated exit) {
        return "OOMKilled".equals(exit.getReason()) || exit.getExitCode() == null || exit.getExitCode() != 0;
    }

    private static boolean isImage(String reason) {
        return reason.contains("Image");
    }

    private static String exitKey(ContainerStateTerminated exit, int restarts) {
        if (exit.getContainerID() != null && !exit.getContainerID().isBlank()) {
            return exit.getContainerID();
        }
        if (exit.getFinishedAt() != null && !exit.getFinishedAt().isBlank()) {
            return "finished " + exit.getFinishedAt();
        }
        return "restart " + restarts;
    }

    /** The exit in a user's words: OOM-killed, or the status and the runtime's reason. */
    static String describe(ContainerStateTerminated exit) {
        if ("OOMKilled".equals(exit.getReason())) {
            return "was killed for exceeding its memory limit (OOMKilled" + (exit.getExitCode() == null ? "" : ", exit status "
                    + exit.getExitCode()) + ")";
        }
        return "exited with status " + exit.getExitCode() + (exit.getReason() == null ? "" : " (" + exit.getReason() + ")")
                + (exit.getSignal() == null || exit.getSignal() == 0 ? "" : " on signal " + exit.getSignal());
    }

    /**
     * The container's last lines: its termination message (with {@code terminationMessagePolicy:
     * FallbackToLogsOnError} the kubelet puts the log's tail there), else the log of the exited
     * instance read from the API server (empty where it has none).
     */
    private static List<String> output(Pod pod, String container, ContainerStateTerminated exit, boolean previous, Logs logs) {
        String message = exit.getMessage();
        List<String> lines = message == null || message.isBlank() ? logs.tail(pod.getMetadata().getNamespace(),
                pod.getMetadata().getName(), container, previous, OUTPUT_LINES) : lines(message);
        return lines.subList(Math.max(0, lines.size() - OUTPUT_LINES), lines.size());
    }

    static List<String> lines(String text) {
        return Arrays.stream(text.split("\\R")).map(String::strip).filter(line -> !line.isEmpty()).toList();
    }
}
