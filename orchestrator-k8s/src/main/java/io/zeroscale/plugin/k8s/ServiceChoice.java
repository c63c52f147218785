package io.zeroscale.plugin.k8s;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.ZeroscaleException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Which Service and port give a workload's endpoints: the configured {@code service}, else the one
 * Service in the namespace whose selector matches the workload's pod template; the configured
 * {@code port}, else the Service's only port. Anything ambiguous is refused with the candidates
 * named, never guessed at.
 *
 * @param service the Service's name
 * @param portName the Service port's name as EndpointSlices carry it ("" when unnamed)
 */
record ServiceChoice(String service, String portName) {
    /**
     * Chooses, or returns null when no Service fronts the workload (it then has no endpoints).
     *
     * @throws ZeroscaleException {@code CONFIG_INVALID} when several Services match, or the port is
     *     ambiguous or not the Service's
     */
    static @Nullable ServiceChoice choose(WorkloadSpec spec, Map<String, String> templateLabels,
            Collection<Service> services) {
        String where = "targets (" + spec.target() + ").workload";
        Service chosen = null;
        if (spec.service() != null) {
            for (Service s : services) {
                if (spec.service().equals(s.getMetadata().getName())) {
                    chosen = s;
                }
            }
            if (chosen == null) {
                return null;
            }
        } else {
            List<Service> matching = new ArrayList<>();
            for (Service s : services) {
                if (s.getSpec() != null && Selectors.serviceSelects(s.getSpec().getSelector(), templateLabels)) {
                    matching.add(s);
                }
            }
            if (matching.isEmpty()) {
                return null;
            }
            if (matching.size() > 1) {
                throw new ZeroscaleException(StandardErrorCode.CONFIG_INVALID, where + ".service: Services "
                        + matching.stream().map(s -> s.getMetadata().getName()).sorted().toList() + " in namespace "
                        + spec.namespace() + " all select the pods of " + spec.kind() + " " + spec.name()
                        + "; name the one the gateway should use, e.g. service: "
                        + matching.stream().map(s -> s.getMetadata().getName()).sorted().findFirst().orElse(""));
            }
            chosen = matching.get(0);
        }
        String name = chosen.getMetadata().getName();
        List<ServicePort> ports = chosen.getSpec() == null || chosen.getSpec().getPorts() == null
                ? List.of() : chosen.getSpec().getPorts();
        if (ports.isEmpty()) {
            return null;
        }
        if (spec.port() == null) {
            if (ports.size() > 1) {
                throw new ZeroscaleException(StandardErrorCode.CONFIG_INVALID, where + ".port: Service " + name
                        + " has " + ports.size() + " ports " + describe(ports) + "; name the one the gateway should use,"
                        + " e.g. port: " + label(ports.get(0)));
            }
            return new ServiceChoice(name, nameOf(ports.get(0)));
        }
        for (ServicePort p : ports) {
            if (spec.port().equals(p.getName()) || spec.port().equals(String.valueOf(p.getPort()))
                    || targetPortIs(p.getTargetPort(), spec.port())) {
                return new ServiceChoice(name, nameOf(p));
            }
        }
        throw new ZeroscaleException(StandardErrorCode.CONFIG_INVALID, where + ".port: Service " + name
                + " has no port '" + spec.port() + "'; its ports are " + describe(ports));
    }

    private static boolean targetPortIs(@Nullable IntOrString target, String port) {
        return target != null && target.getIntVal() != null && port.equals(String.valueOf(target.getIntVal()));
    }

    private static String nameOf(ServicePort p) {
        return p.getName() == null ? "" : p.getName();
    }

    private static String label(ServicePort p) {
        return p.getName() == null || p.getName().isEmpty() ? String.valueOf(p.getPort()) : p.getName();
    }

    private static String describe(List<ServicePort> ports) {
        return ports.stream().map(p -> label(p) + (p.getName() == null || p.getName().isEmpty() ? "" : " (" + p.getPort() + ")"))
                .toList().toString();
    }
}
