package io.zeroscale.plugin.k8s;

import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.ZeroscaleException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Out of the data path when warm ({@code data-path: bypass-when-warm}): the target's Service has
 * no selector, and this orchestrator writes its one EndpointSlice ({@value #SLICE_SUFFIX} after the
 * Service's name, labelled {@value #MANAGED_BY_LABEL}: {@value #MANAGED_BY}), which lists the
 * ready pods while the engine forwards to them and the gateway's ready endpoints otherwise. Clients
 * of the Service (kube-proxy, a mesh, DNS of a headless Service) then reach the pods with no extra
 * hop while the target is warm, and the gateway, which holds their requests and wakes the target,
 * at zero. The pure parts are here; the writes are {@link KubernetesOrchestrator}'s.
 */
final class DataPath {
    /** The label the EndpointSlice controllers read to leave a slice alone. */
    static final String MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by";
    /** This orchestrator's controller name in {@link #MANAGED_BY_LABEL}. */
    static final String MANAGED_BY = "orchestrator-k8s.zeroscale.io";
    /** The label that says what the slice lists now: {@code pods} or {@code gateway}. */
    static final String PATH_LABEL = "zeroscale.io/data-path";
    static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
    static final String SLICE_SUFFIX = "-zeroscale";

    /** Where a target's clients are sent: the ready pods, or the gateway. */
    enum Path {
        PODS("pods"),
        GATEWAY("gateway");

        final String label;

        Path(String label) {
            this.label = label;
        }
    }

    /** What the slice holds: its label, address type, port number and addresses (each with its pod, or none). */
    record Contents(Path path, String addressType, int port, List<Address> addresses) {}

    /** One address of the slice; {@code pod} null for the gateway's. */
    record Address(String ip, @Nullable Pod pod) {}

    private DataPath() {}

    /** The name of the EndpointSlice this orchestrator writes for {@code service}. */
    static String sliceName(String service) {
        String name = service + SLICE_SUFFIX;
        return name.length() <= 253 ? name : name.substring(0, 253);
    }

    /**
     * Refuses a Service that a bypassing target cannot use: one with a selector (the cluster's
     * EndpointSlice controller would list the pods in a slice of its own even at zero, and clients
     * would never reach the gateway).
     */
    static void check(WorkloadSpec spec, Service service) {
        Map<String, String> selector = service.getSpec() == null ? null : service.getSpec().getSelector();
        if (selector != null && !selector.isEmpty()) {
            throw new ZeroscaleException(StandardErrorCode.CONFIG_INVALID, "targets (" + spec.target()
                    + ").workload.service: Service " + spec.namespace() + "/" + service.getMetadata().getName()
                    + " has a selector " + selector + ", so the cluster lists its pods even at zero; with data-path: "
                    + WorkloadSpec.BYPASS_WHEN_WARM + " the Service must have none (remove spec.selector): zeroscale"
                    + " writes its EndpointSlice " + sliceName(service.getMetadata().getName()));
        }
        if (service.getSpec() != null && "ExternalName".equals(service.getSpec().getType())) {
            throw new ZeroscaleException(StandardErrorCode.CONFIG_INVALID, "targets (" + spec.target()
                    + ").workload.service: Service " + service.getMetadata().getName() + " is of type ExternalName,"
                    + " which has no endpoints; use a ClusterIP Service without a selector");
        }
    }

    /** The Service port {@code portName} names ("" for an unnamed one), or null when it has none. */
    static @Nullable ServicePort servicePort(Service service, String portName) {
        List<ServicePort> ports = service.getSpec() == null || service.getSpec().getPorts() == null ? List.of()
                : service.getSpec().getPorts();
        for (ServicePort p : ports) {
            if (portName.equals(p.getName() == null ? "" : p.getName())) {
                return p;
            }
        }
        return null;
    }

    /**
     * The port the pods serve {@code port} on: its {@code targetPort} (a number, or the name of a
     * container port of the pod), else its {@code port}; null when a named target port is not the
     * pod's.
     */
    static @Nullable Integer podPort(ServicePort port, Pod pod) {
        IntOrString target = port.getTargetPort();
        if (target == null || (target.getIntVal() == null && target.getStrVal() == null)) {
            return port.getPort();
        }
        if (target.getIntVal() != null) {
            return target.getIntVal();
        }
        String name = target.getStrVal();
        if (pod.getSpec() == null || pod.getSpec().getContainers() == null) {
            return null;
        }
        for (var container : pod.getSpec().getContainers()) {
            for (ContainerPort p : container.getPorts() == null ? List.<ContainerPort>of() : container.getPorts()) {
                if (name.equals(p.getName()) && p.getContainerPort() != null) {
                    return p.getContainerPort();
                }
            }
        }
        return null;
    }

    /**
     * The contents listing {@code pods} that are ready (and not terminating), at their port for
     * {@code port}, oldest first as given; empty when none is ready (or none has the port).
     */
    static @Nullable Contents pods(List<Pod> pods, ServicePort port) {
        List<Address> addresses = new ArrayList<>();
        Integer number = null;
        for (Pod pod : pods) {
            String ip = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
            Integer podPort = podPort(port, pod);
            if (ip == null || ip.isEmpty() || podPort == null || !States.isReady(pod)
                    || pod.getMetadata().getDeletionTimestamp() != null) {
                continue;
            }
            if (number == null) {
                number = podPort;
            } else if (!number.equals(podPort)) {
                continue; // one slice has one port number; pods of a rollout that renamed it wait for the next push
            }
            addresses.add(new Address(ip, pod));
        }
        if (number == null) {
            return null;
        }
        return new Contents(Path.PODS, addressType(addresses), number, addresses);
    }

    /**
     * The contents listing the gateway's ready endpoints in {@code gatewaySlices} at the port named
     * {@code gatewayPort} (a port name, or a number; null: the slices' only port); null when none is
     * ready.
     */
    static @Nullable Contents gateway(Collection<EndpointSlice> gatewaySlices, @Nullable String gatewayPort) {
        Map<String, Address> addresses = new LinkedHashMap<>();
        Integer number = null;
        for (EndpointSlice slice : gatewaySlices) {
            if ("FQDN".equals(slice.getAddressType()) || slice.getEndpoints() == null) {
                continue;
            }
            Integer port = gatewayPortOf(slice, gatewayPort);
            if (port == null) {
                continue;
            }
            for (var e : slice.getEndpoints()) {
                var conditions = e.getConditions();
                boolean ready = conditions == null || !Boolean.FALSE.equals(conditions.getReady());
                boolean terminating = conditions != null && Boolean.TRUE.equals(conditions.getTerminating());
                if (!ready || terminating || e.getAddresses() == null || e.getAddresses().isEmpty()) {
                    continue;
                }
                if (number == null) {
                    number = port;
                } else if (!number.equals(port)) {
                    continue;
                }
                String ip = e.getAddresses().get(0);
                addresses.putIfAbsent(ip, new Address(ip, null));
            }
        }
        if (number == null || addresses.isEmpty()) {
            return null;
        }
        List<Address> list = new ArrayList<>(addresses.values());
        list.sort((a, b) -> a.ip().compareTo(b.ip()));
        return new Contents(Path.GATEWAY, addressType(list), number, list);
    }

    private static @Nullable Integer gatewayPortOf(EndpointSlice slice, @Nullable String wanted) {
        List<EndpointPort> ports = slice.getPorts() == null ? List.of() : slice.getPorts();
        List<EndpointPort> tcp = ports.stream().filter(p -> p.getPort() != null && (p.getProtocol() == null
                || "TCP".equals(p.getProtocol()))).toList();
        if (wanted == null) {
            return tcp.size() == 1 ? tcp.get(0).getPort() : null;
        }
        for (EndpointPort p : tcp) {
            if (wanted.equals(p.getName()) || wanted.equals(String.valueOf(p.getPort()))) {
                return p.getPort();
            }
        }
        return null;
    }

    private static String addressType(List<Address> addresses) {
        return !addresses.isEmpty() && addresses.get(0).ip().contains(":") ? "IPv6" : "IPv4";
    }

    /**
     * The EndpointSlice of {@code service} (named {@code portName} on the Service, "" unnamed) with
     * {@code contents}, owned by the Service (deleted with it) when its UID is known.
     */
    static EndpointSlice slice(Service service, String portName, Contents contents) {
        String namespace = service.getMetadata().getNamespace();
        String name = service.getMetadata().getName();
        List<io.fabric8.kubernetes.api.model.discovery.v1.Endpoint> endpoints = new ArrayList<>();
        for (Address a : contents.addresses()) {
            if (a.ip().contains(":") != "IPv6".equals(contents.addressType())) {
                continue; // one slice has one address family
            }
            EndpointBuilder e = new EndpointBuilder().withAddresses(a.ip())
                    .withNewConditions().withReady(true).withServing(true).withTerminating(false).endConditions();
            Pod pod = a.pod();
            if (pod != null) {
                e.withTargetRef(new ObjectReferenceBuilder().withKind("Pod").withNamespace(namespace)
                        .withName(pod.getMetadata().getName()).withUid(pod.getMetadata().getUid()).build());
                if (pod.getSpec() != null && pod.getSpec().getNodeName() != null) {
                    e.withNodeName(pod.getSpec().getNodeName());
                }
            }
            endpoints.add(e.build());
        }
        EndpointSliceBuilder builder = new EndpointSliceBuilder()
                .withNewMetadata().withName(sliceName(name)).withNamespace(namespace)
                .addToLabels(SERVICE_NAME_LABEL, name)
                .addToLabels(MANAGED_BY_LABEL, MANAGED_BY)
                .addToLabels(PATH_LABEL, contents.path().label)
                .endMetadata()
                .withAddressType(contents.addressType())
                .addNewPort().withName(portName).withPort(contents.port()).withProtocol("TCP").endPort()
                .withEndpoints(endpoints);
        String uid = service.getMetadata().getUid();
        if (uid != null) {
            builder.editMetadata().withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("v1").withKind("Service")
                    .withName(name).withUid(uid).build()).endMetadata();
        }
        return builder.build();
    }

    /** True when {@code current} (the slice in the cluster, or null) already lists what {@code wanted} does. */
    static boolean same(@Nullable EndpointSlice current, EndpointSlice wanted) {
        if (current == null) {
            return false;
        }
        Map<String, String> labels = current.getMetadata().getLabels();
        return labels != null && Objects.equals(labels.get(PATH_LABEL), wanted.getMetadata().getLabels().get(PATH_LABEL))
                && Objects.equals(current.getAddressType(), wanted.getAddressType())
                && Objects.equals(ports(current), ports(wanted))
                && Objects.equals(addresses(current), addresses(wanted));
    }

    private static List<String> ports(EndpointSlice slice) {
        return slice.getPorts() == null ? List.of() : slice.getPorts().stream()
                .map(p -> (p.getName() == null ? "" : p.getName()) + "=" + p.getPort()).toList();
    }

    /** The addresses a slice lists, in order. */
    static List<String> addresses(EndpointSlice slice) {
        return slice.getEndpoints() == null ? List.of() : slice.getEndpoints().stream()
                .flatMap(e -> e.getAddresses() == null ? java.util.stream.Stream.<String>empty() : e.getAddresses().stream())
                .toList();
    }

    /**
     * The orchestrator's {@code gateway:} block: the Service in front of the daemons' gateway, whose
     * ready endpoints a bypassing target's slice lists while it is not warm.
     *
     * @param service the gateway Service's name
     * @param namespace its namespace
     * @param port its port (a port name, or the gateway's port number), or null for its only port
     */
    record Gateway(String service, String namespace, @Nullable String port) {
        static final Set<String> KEYS = Set.of("service", "namespace", "port");

        /**
         * Reads {@code gateway:}.
         *
         * @param defaultNamespace the orchestrator's namespace
         * @throws ZeroscaleException {@code CONFIG_INVALID} naming the key and the fix
         */
        static Gateway parse(Config gateway, String defaultNamespace) {
            gateway.requireOnlyKeys(KEYS);
            if (!gateway.has("service")) {
                throw gateway.invalid("service", "required: name the Service in front of the daemons' gateway (the"
                        + " shipped manifests call it zeroscale-gateway)");
            }
            String service = gateway.requireString("service").trim();
            if (!KubernetesConfig.validName(service)) {
                throw gateway.invalid("service", "'" + service + "' is not a Service name (lower-case letters, digits"
                        + " and '-', at most 63)");
            }
            String namespace = gateway.string("namespace").map(String::trim).orElse(defaultNamespace);
            if (!KubernetesConfig.validName(namespace)) {
                throw gateway.invalid("namespace", "'" + namespace + "' is not a namespace name (lower-case letters,"
                        + " digits and '-', at most 63)");
            }
            String port = null;
            if (gateway.has("port")) {
                Object raw = gateway.asMap().get("port");
                port = String.valueOf(raw).trim();
                if (raw instanceof Number n ? n.intValue() < 1 || n.intValue() > 65535 : port.isEmpty()) {
                    throw gateway.invalid("port", "must be the gateway Service's port name or the gateway's port"
                            + " number 1..65535, got '" + raw + "'");
                }
            }
            return new Gateway(service, namespace, port);
        }
    }
}
