# Peer: Podman serving the Docker Engine API on a unix socket, for orchestrator-docker and
# Testcontainers. Docker's own engine does not run on these machines; Podman does.
# Idempotent: installs only what is missing, starts the service only when the socket does not
# answer, imports the test image only when it is absent. Sourced by scripts/peers.sh.

ZS_PODMAN_SOCKET=/run/podman/podman.sock
ZS_PODMAN_IMAGE=localhost/zeroscale/busybox:test

zs_podman_answers() {
  curl -fsS --max-time 2 --unix-socket "$ZS_PODMAN_SOCKET" http://d/_ping >/dev/null 2>&1
}

zs_podman_conf() {
  # No setrlimit and no cgroup v2 here: an empty ulimit list and runc instead of crun.
  local want
  want=$(printf '[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\n')
  mkdir -p /etc/containers
  if [ ! -f /etc/containers/containers.conf ] || [ "$(cat /etc/containers/containers.conf)" != "$want" ]; then
    printf '%s\n' "$want" > /etc/containers/containers.conf
  fi
}

zs_podman_stale_service() {
  # A service whose working directory was deleted (a removed checkout it was started from) still
  # answers, but conmon fails to start any container in it ("Failed to get working directory").
  local pid
  for pid in $(pgrep -f "podman system service" 2>/dev/null); do
    case "$(readlink "/proc/$pid/cwd" 2>/dev/null)" in
      *"(deleted)") echo "$pid" ;;
    esac
  done
}

zs_podman_service() {
  local stale
  stale=$(zs_podman_stale_service)
  if [ -n "$stale" ]; then
    echo "zeroscale: restarting podman system service: its working directory was deleted"
    kill $stale 2>/dev/null || true
    sleep 1
  fi
  zs_podman_answers && return 0
  mkdir -p /run/podman
  # A socket file left by a service that died would make the new one fail to bind.
  rm -f "$ZS_PODMAN_SOCKET"
  echo "zeroscale: starting podman system service on unix://$ZS_PODMAN_SOCKET (log /var/log/zeroscale-podman.log)"
  # Started from / so that deleting the checkout that started it cannot break it.
  (cd / && setsid nohup podman system service -t 0 "unix://$ZS_PODMAN_SOCKET" >/var/log/zeroscale-podman.log 2>&1 < /dev/null &)
  local i
  for i in $(seq 1 60); do
    zs_podman_answers && return 0
    sleep 0.5
  done
  echo "zeroscale: podman did not answer on $ZS_PODMAN_SOCKET within 30 s; see /var/log/zeroscale-podman.log" >&2
  return 1
}

zs_podman_image() {
  podman image exists "$ZS_PODMAN_IMAGE" && return 0
  # No image can be pulled here: build a busybox root filesystem and import it.
  local dir tool
  dir=$(mktemp -d)
  mkdir -p "$dir/rootfs/bin" "$dir/rootfs/www" "$dir/rootfs/tmp"
  cp /bin/busybox "$dir/rootfs/bin/busybox"
  for tool in sh httpd sleep wget nc cat echo true false kill ls env; do
    ln -s busybox "$dir/rootfs/bin/$tool"
  done
  echo 'zeroscale test page' > "$dir/rootfs/www/index.html"
  tar -C "$dir/rootfs" -cf "$dir/rootfs.tar" .
  podman import --change 'CMD ["/bin/httpd", "-f", "-p", "80", "-h", "/www"]' --change 'EXPOSE 80' \
    "$dir/rootfs.tar" "$ZS_PODMAN_IMAGE" >"$dir/import.log" 2>&1 \
    || { cat "$dir/import.log" >&2; rm -rf "$dir"; return 1; }
  rm -rf "$dir"
  echo "zeroscale: imported $ZS_PODMAN_IMAGE"
}

zs_peer_podman() {
  zs_apt_install podman runc busybox-static curl
  zs_podman_conf
  zs_podman_service
  zs_podman_image
  export DOCKER_HOST="unix://$ZS_PODMAN_SOCKET"
  export TESTCONTAINERS_RYUK_DISABLED=true
  # Without it Testcontainers reports the bridge gateway (10.88.x) as the host.
  export TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1
}
