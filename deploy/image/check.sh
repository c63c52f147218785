#!/usr/bin/env bash
# Runs the image made by build.sh with podman and waits for the daemon's REST readiness
# (GET /ready answering 200 READY), then stops it. The container shares the host's network
# namespace and its API listens on 127.0.0.1 only (a free port), so the check stays on loopback.
# Usage: deploy/image/check.sh [TAG]   (default: the tag build.sh makes). Exit 0: ready.
set -euo pipefail
cd "$(dirname "$0")/../.."
tag=${1:-}
if [ -z "$tag" ]; then
  for d in assembly/target/zeroscale-*/zeroscale-*; do [ -d "$d/lib" ] && { v=${d##*/zeroscale-}; tag="zeroscale/daemon:${v%-SNAPSHOT}"; }; done
fi
[ -n "$tag" ] || { echo "zeroscale: give the image's tag" >&2; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
name=zeroscale-image-check-$$
podman run -d --name "$name" --network host "$tag" \
  run --config /etc/zeroscale/check.yaml --set "api.listen=127.0.0.1:$port" >/dev/null
trap 'podman rm -f -t 5 "$name" >/dev/null 2>&1 || true' EXIT
start=$(date +%s%N)
for _ in $(seq 1 240); do
  if body=$(curl -fsS --max-time 2 "http://127.0.0.1:$port/ready" 2>/dev/null); then
    echo "zeroscale: $tag ready after $((($(date +%s%N) - start) / 1000000)) ms: GET /ready -> $body"
    curl -fsS "http://127.0.0.1:$port/version"; echo
    exit 0
  fi
  [ "$(podman inspect --format '{{.State.Running}}' "$name")" = true ] || { echo "zeroscale: the container exited before it was ready; its log:" >&2; podman logs "$name" >&2; exit 1; }
  sleep 0.5
done
echo "zeroscale: $tag not ready within 120 s; its log:" >&2
podman logs "$name" >&2 || true
exit 1
