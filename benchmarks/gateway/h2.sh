#!/usr/bin/env bash
# HTTP/2 warm path of the gateway next to nginx, side by side in one run, with h2load (Debian's
# nghttp2-client), HTTP/2 cleartext with prior knowledge from the client:
#   backend directly over h2c | gateway (h2c) -> backend (HTTP/1.1) | nginx (h2c) -> backend (HTTP/1.1)
# The backend is nginx answering a fixed 200 from memory. Each round runs h2load against the three
# targets in a rotated order: CONNECTIONS connections, STREAMS concurrent streams each, SECONDS
# seconds (closed loop: throughput, and h2load's mean time per request). The load average before
# each round and the commit are recorded; the machine is shared, so read the medians.
# Writes benchmarks/results/gateway-h2.json and prints a Markdown table for the README.
#
# Usage: benchmarks/gateway/h2.sh [seconds] [connections] [streams] [rounds]   (defaults 5, 16, 10, 5)
# Every load is bounded in time and sent to 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_RUN="${1:-5}"
CONNECTIONS="${2:-16}"
STREAMS="${3:-10}"
ROUNDS="${4:-5}"
RESULTS="${RESULTS:-benchmarks/results/gateway-h2.json}"

source scripts/jdk.sh
for tool in h2load:nghttp2-client nginx:nginx-light; do
  if ! command -v "${tool%%:*}" >/dev/null 2>&1; then
    echo "zeroscale: ${tool%%:*} is missing; installing it (apt-get install -y ${tool##*:})" >&2
    apt-get install -y "${tool##*:}" >/dev/null
  fi
done

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
BACKEND_PORT=$(free_port); DIRECT_PORT=$(free_port); NGINX_PORT=$(free_port); GATEWAY_PORT=$(free_port)
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$WORK/logs"
sed -e "s|@BACKEND_PORT@|$BACKEND_PORT|g" -e "s|@DIRECT_PORT@|$DIRECT_PORT|g" -e "s|@NGINX_PORT@|$NGINX_PORT|g" \
  -e "s|@WORK@|$WORK|g" benchmarks/gateway/nginx-h2.conf.template > "$WORK/nginx.conf"
nginx -p "$WORK" -c "$WORK/nginx.conf"

# Built in the reactor (nothing installed into ~/.m2); the gateway serves h2c with prior knowledge by default.
mvn -B -q -ntp -o package dependency:build-classpath -DskipTests -pl gateway -am -DincludeScope=runtime \
  -Dmdep.outputFile="$WORK/cp.txt" >/dev/null
CP="gateway/target/classes:core-spi/target/classes:$(cat "$WORK/cp.txt")"
java -cp "$CP" benchmarks/gateway/GatewayBench.java "$GATEWAY_PORT" "127.0.0.1:$BACKEND_PORT" \
  > "$WORK/gateway.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 150); do
  h2load -n 1 -c 1 "http://127.0.0.1:$GATEWAY_PORT/" 2>/dev/null | grep -q "1 succeeded" && break
  sleep 0.2
done

run() { # name port round
  h2load -D "$SECONDS_PER_RUN" -c "$CONNECTIONS" -m "$STREAMS" -t 2 "http://127.0.0.1:$2/" > "$WORK/r$3.$1.txt" 2>&1 || true
}
COMMIT=$(git rev-parse --short HEAD)
for target in direct:$DIRECT_PORT gateway:$GATEWAY_PORT nginx:$NGINX_PORT; do run "${target%%:*}" "${target##*:}" 0; done
for round in $(seq 1 "$ROUNDS"); do
  cut -d' ' -f1 /proc/loadavg > "$WORK/r$round.load"
  order=(direct:$DIRECT_PORT gateway:$GATEWAY_PORT nginx:$NGINX_PORT)
  for i in $(seq 0 2); do
    target=${order[$(( (i + round) % 3 ))]}
    run "${target%%:*}" "${target##*:}" "$round"
  done
done

python3 - "$WORK" "$ROUNDS" "$RESULTS" "$COMMIT" "$SECONDS_PER_RUN" "$CONNECTIONS" "$STREAMS" <<'PY'
import json, pathlib, re, statistics, sys
w, rounds, out = pathlib.Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
commit, seconds, connections, streams = sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7]
def parse(text):
    rps = re.search(r"finished in [^,]+, ([\d.]+) req/s", text)
    ok = re.search(r"requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored", text)
    mean = re.search(r"time for request:\s+\S+\s+\S+\s+(\S+)", text)
    def ms(v):
        return float(v[:-2]) / 1000 if v.endswith("us") else float(v[:-2]) if v.endswith("ms") else float(v[:-1]) * 1000
    return {"rps": float(rps.group(1)) if rps else 0.0,
            "succeeded": int(ok.group(2)) if ok else 0, "failed": int(ok.group(3)) + int(ok.group(4)) if ok else -1,
            "mean_ms": ms(mean.group(1)) if mean else None}
data = {"commit": commit, "seconds": int(seconds), "connections": int(connections), "streams": int(streams),
        "rounds": []}
for r in range(1, rounds + 1):
    row = {"round": r, "load": float((w / f"r{r}.load").read_text())}
    for name in ("direct", "gateway", "nginx"):
        row[name] = parse((w / f"r{r}.{name}.txt").read_text())
    data["rounds"].append(row)
pathlib.Path(out).write_text(json.dumps(data, indent=1) + "\n")
med = lambda key, name: statistics.median(r[name][key] for r in data["rounds"])
print(f"commit {commit}, {rounds} rounds, h2load -D {seconds} -c {connections} -m {streams} -t 2")
print("| round | load | req/s direct / gateway / nginx | gateway / nginx | mean ms direct / gateway / nginx | failed gateway / nginx |")
print("|---|---|---|---|---|---|")
for r in data["rounds"]:
    d, g, n = r["direct"], r["gateway"], r["nginx"]
    ratio = g["rps"] / n["rps"] if n["rps"] else 0
    print(f"| {r['round']} | {r['load']} | {d['rps']:.0f} / {g['rps']:.0f} / {n['rps']:.0f} | {ratio:.2f} | "
          f"{d['mean_ms']} / {g['mean_ms']} / {n['mean_ms']} | {g['failed']} / {n['failed']} |")
print(f"median req/s: direct {med('rps','direct'):.0f}, gateway {med('rps','gateway'):.0f}, nginx {med('rps','nginx'):.0f}")
PY
