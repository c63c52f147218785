# Helm 4 for the chart test of deploy/helm/zeroscale (orchestrator-k8s's DeployManifestsIT runs
# `helm template` and applies its output to the real API server with a server-side dry run).
# Built from source through the Go module proxy (helm.sh/helm/v4), with the Go toolchain that
# scripts/peers.d/kubernetes.sh chooses, into $ZS_PEERS_ROOT/helm-$ZS_HELM_VERSION/bin/helm.
# Idempotent: skipped when the binary is there; the module and build caches are kubernetes.sh's
# ($ZS_GO_CACHE), so a second build is quick. Cold cost on 2 idle cores: a few minutes.
# Sourced by scripts/peers.sh.

ZS_HELM_VERSION=v4.3.2
ZS_HELM_HOME=${ZS_HELM_HOME:-${ZS_PEERS_ROOT:-/opt/zeroscale-peers}/helm-$ZS_HELM_VERSION}

zs_helm_installed() {
  [ -x "$ZS_HELM_HOME/bin/helm" ] && "$ZS_HELM_HOME/bin/helm" version --short >/dev/null 2>&1
}

zs_peer_helm() {
  zs_helm_installed && return 0
  # zs_k8s_go (the toolchain) comes from kubernetes.sh, sourced beside this file by scripts/peers.sh.
  if ! declare -F zs_k8s_go >/dev/null; then
    # shellcheck disable=SC1091
    source "$(dirname "${BASH_SOURCE[0]}")/kubernetes.sh"
  fi
  local root=${ZS_PEERS_ROOT:-/opt/zeroscale-peers}
  mkdir -p "$root"
  echo "zeroscale: building helm $ZS_HELM_VERSION from the Go module proxy into $ZS_HELM_HOME"
  (
    flock 9
    zs_helm_installed && exit 0
    go=$(zs_k8s_go) || { echo "zeroscale: no Go toolchain for helm; install Go >= 1.$ZS_GO_MIN_MINOR into /usr/local/go" >&2; exit 1; }
    cache=${ZS_GO_CACHE:-$root/go-cache}
    mkdir -p "$ZS_HELM_HOME/bin.tmp" "$cache"
    GOPATH="$cache/gopath" GOMODCACHE="$cache/gopath/pkg/mod" GOCACHE="$cache/build" \
      GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 GOBIN="$ZS_HELM_HOME/bin.tmp" \
      nice -n 10 "$go" install "helm.sh/helm/v4/cmd/helm@$ZS_HELM_VERSION" || exit 1
    rm -rf "$ZS_HELM_HOME/bin" && mv "$ZS_HELM_HOME/bin.tmp" "$ZS_HELM_HOME/bin"
  ) 9>"$root/.helm-$ZS_HELM_VERSION.lock" || {
    echo "zeroscale: building helm failed; rerun: source scripts/peers.sh && source scripts/peers.d/helm.sh && zs_peer_helm" >&2
    return 1
  }
  zs_helm_installed
}
