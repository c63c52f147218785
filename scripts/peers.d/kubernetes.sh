# Kubernetes control plane for orchestrator-k8s and testkit's KubernetesPeer: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler built from source through the Go module proxy, and kwok
# (fake nodes) with its stages. Only installs the binaries: every test starts its own control
# plane on free loopback ports (testkit's KubernetesPeer).
# Idempotent: each binary is built once into a versioned directory and skipped when present.
# Cold cost on 2 idle cores: about 11 minutes and 2.4 GB of memory; the Go build cache under
# $ZS_GO_CACHE grows by about 4.5 GB (safe to delete once the binaries are installed).
# Sourced by scripts/peers.sh. The fixture that runs them: testkit/README.md (KubernetesPeer).

ZS_K8S_VERSION=v1.36.3
ZS_K8S_STAGING_VERSION=v0.36.3
ZS_ETCD_VERSION=v3.6.17
ZS_KWOK_VERSION=v0.8.0
ZS_PEERS_ROOT=${ZS_PEERS_ROOT:-/opt/zeroscale-peers}
ZS_K8S_HOME=${ZS_K8S_HOME:-$ZS_PEERS_ROOT/kubernetes-$ZS_K8S_VERSION}
ZS_GO_CACHE=${ZS_GO_CACHE:-$ZS_PEERS_ROOT/go-cache}
# Oldest Go that builds Kubernetes $ZS_K8S_VERSION; a newer one found on the machine is used as is.
ZS_GO_MIN_MINOR=25
ZS_GO_FALLBACK=go1.26.8

zs_k8s_installed() {
  local b
  for b in etcd kube-apiserver kube-controller-manager kube-scheduler kwok; do
    [ -x "$ZS_K8S_HOME/bin/$b" ] || return 1
  done
  [ -f "$ZS_K8S_HOME/stages/kwok-stages.yaml" ]
}

zs_go_minor() {
  # Prints the minor version of the Go toolchain at $1 (go1.26.8 -> 26), or nothing.
  "$1" env GOVERSION 2>/dev/null | sed -n 's/^go1\.\([0-9]*\).*/\1/p'
}

zs_k8s_go() {
  # Prints a Go toolchain new enough to build Kubernetes: /usr/local/go, the one on PATH, or the
  # toolchain module golang.org/toolchain fetched from the Go module proxy into $ZS_PEERS_ROOT.
  local candidate minor
  for candidate in /usr/local/go/bin/go "$(command -v go 2>/dev/null)" "$ZS_PEERS_ROOT/$ZS_GO_FALLBACK/bin/go"; do
    [ -n "$candidate" ] && [ -x "$candidate" ] || continue
    minor=$(zs_go_minor "$candidate")
    if [ -n "$minor" ] && [ "$minor" -ge "$ZS_GO_MIN_MINOR" ]; then echo "$candidate"; return 0; fi
  done
  local proxy=${GOPROXY:-https://proxy.golang.org}
  proxy=${proxy%%,*}
  local zip="$ZS_PEERS_ROOT/$ZS_GO_FALLBACK.zip" unpack="$ZS_PEERS_ROOT/$ZS_GO_FALLBACK.tmp"
  echo "zeroscale: no Go >= 1.$ZS_GO_MIN_MINOR found; fetching golang.org/toolchain $ZS_GO_FALLBACK from $proxy" >&2
  zs_apt_install unzip >&2 || return 1
  curl -fsSL "$proxy/golang.org/toolchain/@v/v0.0.1-$ZS_GO_FALLBACK.linux-amd64.zip" -o "$zip" || return 1
  rm -rf "$unpack" && mkdir -p "$unpack" && unzip -q "$zip" -d "$unpack" || return 1
  rm -rf "$ZS_PEERS_ROOT/$ZS_GO_FALLBACK"
  mv "$unpack/golang.org/toolchain@v0.0.1-$ZS_GO_FALLBACK.linux-amd64" "$ZS_PEERS_ROOT/$ZS_GO_FALLBACK"
  rm -rf "$unpack" "$zip"
  chmod +x "$ZS_PEERS_ROOT/$ZS_GO_FALLBACK"/bin/* "$ZS_PEERS_ROOT/$ZS_GO_FALLBACK"/pkg/tool/*/* 2>/dev/null
  echo "$ZS_PEERS_ROOT/$ZS_GO_FALLBACK/bin/go"
}

zs_k8s_module_copy() {
  # Copies module $1 out of the (read-only) module cache into the fresh directory $2.
  local dir
  dir=$("$ZS_K8S_GOBIN" mod download -json "$1" | sed -n 's/^\s*"Dir": "\(.*\)",\?$/\1/p')
  [ -n "$dir" ] && [ -d "$dir" ] || { echo "zeroscale: go mod download $1 failed" >&2; return 1; }
  rm -rf "$2" && mkdir -p "$(dirname "$2")" && cp -r "$dir" "$2" && chmod -R u+w "$2"
}

zs_k8s_drop_replaces() {
  # Removes every replace directive (single lines and blocks) from the go.mod at $1: they point at
  # sibling directories of the upstream repositories that a module download does not contain.
  sed -i -e '/^replace (/,/^)/d' -e '/^replace /d' "$1"
}

zs_k8s_build_etcd() {
  [ -x "$ZS_K8S_HOME/bin/etcd" ] && return 0
  local src="$ZS_K8S_WORK/etcd"
  echo "zeroscale: building etcd $ZS_ETCD_VERSION"
  zs_k8s_module_copy "go.etcd.io/etcd/server/v3@$ZS_ETCD_VERSION" "$src" || return 1
  zs_k8s_drop_replaces "$src/go.mod"
  (cd "$src" && "$ZS_K8S_GOBIN" mod tidy && nice -n 10 "$ZS_K8S_GOBIN" build -o "$ZS_K8S_HOME/bin/etcd.tmp" .) || return 1
  mv "$ZS_K8S_HOME/bin/etcd.tmp" "$ZS_K8S_HOME/bin/etcd"
}

zs_k8s_build_kubernetes() {
  local b missing=0
  for b in kube-apiserver kube-controller-manager kube-scheduler; do
    [ -x "$ZS_K8S_HOME/bin/$b" ] || missing=1
  done
  [ "$missing" -eq 0 ] && return 0
  local src="$ZS_K8S_WORK/kubernetes" out="$ZS_K8S_WORK/kubernetes-out"
  echo "zeroscale: building kube-apiserver, kube-controller-manager, kube-scheduler $ZS_K8S_VERSION (the long part)"
  zs_k8s_module_copy "k8s.io/kubernetes@$ZS_K8S_VERSION" "$src" || return 1
  rm -rf "$src/vendor" "$src"/go.work*
  zs_k8s_drop_replaces "$src/go.mod"
  # The staging modules are required as v0.0.0 (served by the replace block upstream); the proxy
  # serves each of them as v0.<minor>.<patch>.
  sed -i -E "s#^(\s*k8s\.io/[a-z0-9-]+) v0\.0\.0\$#\1 $ZS_K8S_STAGING_VERSION#" "$src/go.mod"
  mkdir -p "$out"
  (cd "$src" && GOFLAGS="$GOFLAGS -mod=mod" nice -n 10 "$ZS_K8S_GOBIN" build \
      -ldflags "-X k8s.io/component-base/version.gitVersion=$ZS_K8S_VERSION" -o "$out/" \
      ./cmd/kube-apiserver ./cmd/kube-controller-manager ./cmd/kube-scheduler) || return 1
  for b in kube-apiserver kube-controller-manager kube-scheduler; do
    mv "$out/$b" "$ZS_K8S_HOME/bin/$b"
  done
}

zs_k8s_build_kwok() {
  if [ ! -x "$ZS_K8S_HOME/bin/kwok" ]; then
    echo "zeroscale: building kwok $ZS_KWOK_VERSION"
    GOBIN="$ZS_K8S_WORK/kwok-bin" nice -n 10 "$ZS_K8S_GOBIN" install "sigs.k8s.io/kwok/cmd/kwok@$ZS_KWOK_VERSION" || return 1
    mv "$ZS_K8S_WORK/kwok-bin/kwok" "$ZS_K8S_HOME/bin/kwok"
  fi
  [ -f "$ZS_K8S_HOME/stages/kwok-stages.yaml" ] && return 0
  # The kwok binary has no built-in stages: take the upstream ones from the module, one file per
  # stage, plus kwok-stages.yaml with all of them (pods become ready as soon as they are bound).
  # testkit's PodNetwork combines the node and pod-complete/pod-delete stages with its own
  # pod-running stage instead, so that readiness comes from a real process answering.
  local dir stages="$ZS_K8S_HOME/stages" f
  dir=$("$ZS_K8S_GOBIN" mod download -json "sigs.k8s.io/kwok@$ZS_KWOK_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",\?$/\1/p')
  [ -n "$dir" ] || { echo "zeroscale: go mod download sigs.k8s.io/kwok@$ZS_KWOK_VERSION failed" >&2; return 1; }
  mkdir -p "$stages"
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
           pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    cp "$dir/kustomize/stage/$f" "$stages/$(basename "$f")" || return 1
  done
  chmod u+w "$stages"/*.yaml
  {
    for f in node-initialize node-heartbeat-with-lease pod-ready pod-complete pod-delete; do
      echo "---"
      cat "$stages/$f.yaml"
    done
  } > "$stages/kwok-stages.yaml.tmp" && mv "$stages/kwok-stages.yaml.tmp" "$stages/kwok-stages.yaml"
}

zs_k8s_build() {
  local go
  go=$(zs_k8s_go) || { echo "zeroscale: no Go toolchain; install Go >= 1.$ZS_GO_MIN_MINOR (https://go.dev/dl) into /usr/local/go" >&2; return 1; }
  ZS_K8S_GOBIN=$go
  ZS_K8S_WORK="$ZS_PEERS_ROOT/build-kubernetes-$ZS_K8S_VERSION"
  mkdir -p "$ZS_K8S_HOME/bin" "$ZS_K8S_WORK" "$ZS_GO_CACHE"
  # Caches in a stable place (not $HOME), shared by every checkout that runs this script.
  export GOPATH="$ZS_GO_CACHE/gopath" GOMODCACHE="$ZS_GO_CACHE/gopath/pkg/mod" GOCACHE="$ZS_GO_CACHE/build"
  export GOFLAGS="-buildvcs=false"
  export CGO_ENABLED=0
  zs_k8s_build_etcd && zs_k8s_build_kwok && zs_k8s_build_kubernetes || return 1
  rm -rf "$ZS_K8S_WORK"
}

zs_peer_kubernetes() {
  # openssl: certificates; iproute2: the pod network; busybox: the default pod process (httpd).
  zs_apt_install openssl iproute2 curl busybox-static
  zs_k8s_installed && return 0
  echo "zeroscale: Kubernetes control plane $ZS_K8S_VERSION not in $ZS_K8S_HOME; building it from source" \
       "(about 11 minutes on 2 idle cores, 2.4 GB of memory, 4.5 GB of Go build cache in $ZS_GO_CACHE)"
  mkdir -p "$ZS_PEERS_ROOT"
  # One build at a time even when several checkouts run their tests at once; the others wait.
  (
    flock 9
    zs_k8s_installed && exit 0
    zs_k8s_build
  ) 9>"$ZS_PEERS_ROOT/.kubernetes-$ZS_K8S_VERSION.lock" || {
    echo "zeroscale: building the Kubernetes control plane failed; rerun: source scripts/peers.sh && source scripts/peers.d/kubernetes.sh && zs_peer_kubernetes" >&2
    return 1
  }
  zs_k8s_installed
}
