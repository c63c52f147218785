#!/usr/bin/env bash
# gRPC warm path of the gateway next to nginx's grpc_pass, side by side in one run, with one client:
#   backend directly | gateway (h2c) -> backend (h2c) | nginx grpc_pass (h2c) -> backend (h2c)
# The backend is a grpc-java service (GrpcEchoServer: one unary method answering a fixed line from
# memory). The client is GrpcLoad (grpc-java, in the benchmarks jar), not h2load: a proxy's own
# error is a trailers-only gRPC status with HTTP 200, which h2load would count as served; GrpcLoad
# counts a call only when it ends with OK and the backend's reply. Each target is first warmed up
# for WARMUP_SECONDS (default 60; see h2.sh for why so long); then each round runs the client
# against the three targets in a rotated order: CONNECTIONS connections, CALLS calls in flight on
# each, SECONDS seconds (closed loop: throughput and mean time per call). Around each run the CPU
# time of the gateway JVM, of nginx and of the backend JVM is read from /proc, for the CPU each
# proxy spends per call. The load average before each round and the commit are recorded; the
# machine is shared, so read the medians.
#
# Writes benchmarks/results/gateway-grpc.json (RESULTS_FILE= to change);
# benchmarks/run gateway-grpc stamps it and writes the README's tables.
#
# Usage: benchmarks/gateway/grpc.sh [seconds] [connections] [calls] [rounds]   (defaults 5, 16, 10, 5)
#   env: WARMUP_SECONDS (default 60), RESULTS_FILE (output JSON path), JAR (the benchmarks jar)
# Every load is bounded in time and sent to 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_RUN="${1:-5}"
CONNECTIONS="${2:-16}"
CALLS="${3:-10}"
ROUNDS="${4:-5}"
WARMUP_SECONDS="${WARMUP_SECONDS:-60}"
RESULTS_FILE="${RESULTS_FILE:-benchmarks/results/gateway-grpc.json}"

source scripts/jdk.sh
if ! command -v nginx >/dev/null 2>&1; then
  echo "zeroscale: nginx is missing; installing it (apt-get install -y nginx-light)" >&2
  apt-get install -y nginx-light >/dev/null
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
BACKEND_PORT=$(free_port); NGINX_PORT=$(free_port); GATEWAY_PORT=$(free_port)
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
# Stopped by benchmarks/run's timeout: still clean up (bash runs the EXIT trap on exit).
trap 'exit 143' TERM INT

mkdir -p "$WORK/logs"
sed -e "s|@BACKEND_PORT@|$BACKEND_PORT|g" -e "s|@NGINX_PORT@|$NGINX_PORT|g" -e "s|@WORK@|$WORK|g" \
  benchmarks/gateway/nginx-grpc.conf.template > "$WORK/nginx.conf"

# The benchmarks jar holds the gateway, grpc-java and their dependencies; built in the reactor
# (never `mvn install`: that would overwrite the shared local repository's snapshots).
JAR="${JAR:-benchmarks/target/benchmarks.jar}"
if [ ! -f "$JAR" ]; then
  mvn -B -q -ntp -o package -DskipTests -pl benchmarks -am
fi
java -Xmx512m --enable-native-access=ALL-UNNAMED -cp "$JAR" io.zeroscale.benchmarks.GrpcEchoServer "$BACKEND_PORT" > "$WORK/backend.log" 2>&1 &
PIDS+=($!)
BACKEND_PID=$!
java -Xmx512m --enable-native-access=ALL-UNNAMED -cp "$JAR" benchmarks/gateway/GatewayBench.java "$GATEWAY_PORT" "127.0.0.1:$BACKEND_PORT" \
  > "$WORK/gateway.log" 2>&1 &
PIDS+=($!)
GATEWAY_PID=$!
nginx -p "$WORK" -c "$WORK/nginx.conf"
for log in backend gateway; do
  for _ in $(seq 300); do grep -q ready "$WORK/$log.log" && break; sleep 0.2; done
  grep -q ready "$WORK/$log.log" || { echo "grpc.sh: the $log did not start:" >&2; cat "$WORK/$log.log" >&2; exit 1; }
done
NGINX_PIDS=$(ps -o pid= --ppid "$(cat "$WORK/nginx.pid")" | tr -s ' \n' ',' | sed 's/^,//; s/,$//')
NGINX_PIDS="$(cat "$WORK/nginx.pid")${NGINX_PIDS:+,$NGINX_PIDS}"

java -Xmx512m --enable-native-access=ALL-UNNAMED -cp "$JAR" io.zeroscale.benchmarks.GrpcLoad \
  --target "direct=$BACKEND_PORT" --target "gateway=$GATEWAY_PORT" --target "nginx=$NGINX_PORT" \
  --cpu "gateway=$GATEWAY_PID" --cpu "nginx=$NGINX_PIDS" --cpu "backend=$BACKEND_PID" \
  --seconds "$SECONDS_PER_RUN" --channels "$CONNECTIONS" --calls "$CALLS" --rounds "$ROUNDS" \
  --warmup-seconds "$WARMUP_SECONDS" --clock-ticks "$(getconf CLK_TCK)" --commit "$(git rev-parse --short HEAD)" \
  --out "$RESULTS_FILE"

python3 - "$RESULTS_FILE" <<'PY'
import json, statistics, sys
data = json.load(open(sys.argv[1]))
per_call = lambda run, who: run["cpu_ms"][who] * 1000 / run["succeeded"] if run["succeeded"] else None
for r in data["rounds"]:
    r["cpu_us_per_request"] = {"gateway": per_call(r["gateway"], "gateway"), "nginx_proxy": per_call(r["nginx"], "nginx")}
json.dump(data, open(sys.argv[1], "w"), indent=1)
print(f"commit {data['commit']}, warm-up {data['warmup_seconds']} s per target, {len(data['rounds'])} rounds, "
      f"GrpcLoad --seconds {data['seconds']} --channels {data['connections']} --calls {data['streams']}")
print("| round | load | calls/s direct / gateway / nginx | CPU µs/call gateway / nginx | mean ms direct / gateway / nginx | failed gateway / nginx |")
print("|---|---|---|---|---|---|")
for r in data["rounds"]:
    d, g, n, c = r["direct"], r["gateway"], r["nginx"], r["cpu_us_per_request"]
    cpu = " / ".join("—" if v is None else f"{v:.0f}" for v in (c["gateway"], c["nginx_proxy"]))
    print(f"| {r['round']} | {r['load']} | {d['rps']:.0f} / {g['rps']:.0f} / {n['rps']:.0f} | {cpu} | "
          f"{d['mean_ms']} / {g['mean_ms']} / {n['mean_ms']} | {g['failed']} / {n['failed']} |")
med = lambda name: statistics.median(r[name]["rps"] for r in data["rounds"])
print(f"median calls/s: direct {med('direct'):.0f}, gateway {med('gateway'):.0f}, nginx {med('nginx'):.0f}")
PY
