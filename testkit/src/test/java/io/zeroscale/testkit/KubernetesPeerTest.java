package io.zeroscale.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fails, never skips, without the binaries; the pod network's address and port choices. */
class KubernetesPeerTest {
    @Test
    void missingBinariesFailWithThePeerScript(@TempDir Path empty) {
        assertThatThrownBy(() -> KubernetesPeer.requireBinaries(empty))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("not installed in " + empty)
                .hasMessageContaining("kube-apiserver")
                .hasMessageContaining("stages/kwok-stages.yaml")
                .hasMessageContaining("./scripts/test")
                .hasMessageContaining("scripts/peers.d/kubernetes.sh");
    }

    @Test
    void aPodNetworkAvoidsEveryRouteAndAddressItOverlaps() {
        assertThat(PodNetwork.overlaps("10.200.0.0/16 dev zsh-abc proto kernel scope link src 10.200.255.254", 200)).isTrue();
        assertThat(PodNetwork.overlaps("10.0.0.0/8 via 192.0.2.1 dev eth0", 230)).isTrue();
        assertThat(PodNetwork.overlaps("local 10.230.4.5 dev lo table local", 230)).isTrue();
        assertThat(PodNetwork.overlaps("4: eth0    inet 10.230.9.1/24 brd 10.230.9.255 scope global eth0", 230)).isTrue();
        assertThat(PodNetwork.overlaps("10.201.0.0/16 dev zsh-abc", 200)).isFalse();
        assertThat(PodNetwork.overlaps("192.0.2.0/24 dev eth0 proto kernel scope link src 192.0.2.2", 200)).isFalse();
        // The default route names no network of its own, only its gateway.
        assertThat(PodNetwork.overlaps("default via 192.0.2.1 dev eth0", 200)).isFalse();
    }

    @Test
    void thePodsPortIsItsFirstDeclaredContainerPortElse8080() {
        Pod declared = new PodBuilder().withNewSpec()
                .addNewContainer().withName("sidecar").endContainer()
                .addNewContainer().withName("app").addNewPort().withContainerPort(9000).endPort().endContainer()
                .endSpec().build();
        Pod undeclared = new PodBuilder().withNewSpec().addNewContainer().withName("app").endContainer().endSpec().build();
        assertThat(PodNetwork.port(declared)).isEqualTo(9000);
        assertThat(PodNetwork.port(undeclared)).isEqualTo(8080);
    }
}
