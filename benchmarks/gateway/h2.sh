#!/usr/bin/env bash
# HTTP/2 warm path of the gateway next to nginx, side by side in one run, with h2load (Debian's
# nghttp2-client), HTTP/2 cleartext with prior knowledge from the client:
#   backend directly over h2c | gateway (h2c) -> backend (HTTP/1.1) | nginx (h2c) -> backend (HTTP/1.1)
# The backend is nginx answering a fixed 200 from memory. First each target is warmed up for
# WARMUP_SECONDS (default 60) with the same load; then each round runs h2load against the three
# targets in a rotated order: CONNECTIONS connections, STREAMS concurrent streams each, SECONDS
# seconds (closed loop: throughput, and h2load's mean time per request). Around each run the CPU
# time of the gateway JVM and of nginx is read from /proc, for the CPU each proxy spends per request
# (nginx's as a proxy: its CPU in its own run minus what it spends as the backend alone, in the
# gateway's run). The load average before each round and the commit are recorded; the machine is
# shared, so read the medians.
#
# Why the long warm-up: a fresh gateway JVM on this project's 2-core machine at load 20+ served
# 72 req/s in its first 5 s (3.2 ms of CPU per request, JIT compiling) and 3,600 req/s after 40 s
# (0.13 ms per request); a 5 s warm-up measured the JIT, not the proxy (results at commit 4902d8b),
# and after 30 s the first two rounds still were (243 and 168 us per request, then 75-83).
#
# Writes benchmarks/results/gateway-h2.json (RESULTS_FILE= to change) and prints a Markdown table;
# benchmarks/run gateway-h2 stamps it and writes the README's tables.
#
# Usage: benchmarks/gateway/h2.sh [seconds] [connections] [streams] [rounds]   (defaults 5, 16, 10, 5)
#   env: WARMUP_SECONDS (default 60), RESULTS_FILE (output JSON path), JAR (the benchmarks jar)
# Every load is bounded in time and sent to 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_RUN="${1:-5}"
CONNECTIONS="${2:-16}"
STREAMS="${3:-10}"
ROUNDS="${4:-5}"
WARMUP_SECONDS="${WARMUP_SECONDS:-60}"
RESULTS_FILE="${RESULTS_FILE:-benchmarks/results/gateway-h2.json}"

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
# Stopped by benchmarks/run's timeout: still clean up (bash runs the EXIT trap on exit).
trap 'exit 143' TERM INT

mkdir -p "$WORK/logs"
sed -e "s|@BACKEND_PORT@|$BACKEND_PORT|g" -e "s|@DIRECT_PORT@|$DIRECT_PORT|g" -e "s|@NGINX_PORT@|$NGINX_PORT|g" \
  -e "s|@WORK@|$WORK|g" benchmarks/gateway/nginx-h2.conf.template > "$WORK/nginx.conf"
nginx -p "$WORK" -c "$WORK/nginx.conf"

# The benchmarks jar holds the gateway and its dependencies; built in the reactor (never
# `mvn install`: that would overwrite the shared local repository's snapshots).
JAR="${JAR:-benchmarks/target/benchmarks.jar}"
if [ ! -f "$JAR" ]; then
  mvn -B -q -ntp -o package -DskipTests -pl benchmarks -am
fi
java -cp "$JAR" benchmarks/gateway/GatewayBench.java "$GATEWAY_PORT" "127.0.0.1:$BACKEND_PORT" \
  > "$WORK/gateway.log" 2>&1 &
PIDS+=($!)
GATEWAY_PID=${PIDS[0]}
for _ in $(seq 150); do
  h2load -n 1 -c 1 "http://127.0.0.1:$GATEWAY_PORT/" 2>/dev/null | grep -q "1 succeeded" && break
  sleep 0.2
done
NGINX_PIDS=("$(cat "$WORK/nginx.pid")" $(ps -o pid= --ppid "$(cat "$WORK/nginx.pid")"))
CLK_TCK=$(getconf CLK_TCK)
# CPU time (ms, user + system) the given processes used so far.
cpu_ms() {
  local total=0 pid
  for pid in "$@"; do total=$(( total + $(awk '{print $14 + $15}' "/proc/$pid/stat") )); done
  echo $(( total * 1000 / CLK_TCK ))
}

run() { # name port round seconds
  local gw0 ng0
  gw0=$(cpu_ms "$GATEWAY_PID"); ng0=$(cpu_ms "${NGINX_PIDS[@]}")
  h2load -D "$4" -c "$CONNECTIONS" -m "$STREAMS" -t 2 "http://127.0.0.1:$2/" > "$WORK/r$3.$1.txt" 2>&1 || true
  echo "$(( $(cpu_ms "$GATEWAY_PID") - gw0 )) $(( $(cpu_ms "${NGINX_PIDS[@]}") - ng0 ))" > "$WORK/r$3.$1.cpu"
}
COMMIT=$(git rev-parse --short HEAD)
echo "warming up each target for ${WARMUP_SECONDS}s (JIT, connection pools)" >&2
for target in direct:$DIRECT_PORT gateway:$GATEWAY_PORT nginx:$NGINX_PORT; do
  run "${target%%:*}" "${target##*:}" 0 "$WARMUP_SECONDS"
done
for round in $(seq 1 "$ROUNDS"); do
  cut -d' ' -f1 /proc/loadavg > "$WORK/r$round.load"
  order=(direct:$DIRECT_PORT gateway:$GATEWAY_PORT nginx:$NGINX_PORT)
  for i in $(seq 0 2); do
    target=${order[$(( (i + round) % 3 ))]}
    run "${target%%:*}" "${target##*:}" "$round" "$SECONDS_PER_RUN"
  done
done

python3 - "$WORK" "$ROUNDS" "$RESULTS_FILE" "$COMMIT" "$SECONDS_PER_RUN" "$CONNECTIONS" "$STREAMS" "$WARMUP_SECONDS" <<'PY'
import json, pathlib, re, statistics, sys
w, rounds, out = pathlib.Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
commit, seconds, connections, streams, warmup = sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7], sys.argv[8]
def parse(text, cpu):
    rps = re.search(r"finished in [^,]+, ([\d.]+) req/s", text)
    ok = re.search(r"requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored", text)
    mean = re.search(r"time for request:\s+\S+\s+\S+\s+(\S+)", text)
    def ms(v):
        return float(v[:-2]) / 1000 if v.endswith("us") else float(v[:-2]) if v.endswith("ms") else float(v[:-1]) * 1000
    gateway_cpu, nginx_cpu = (int(x) for x in cpu.split())
    return {"rps": float(rps.group(1)) if rps else 0.0,
            "succeeded": int(ok.group(2)) if ok else 0, "failed": int(ok.group(3)) + int(ok.group(4)) if ok else -1,
            "mean_ms": ms(mean.group(1)) if mean else None, "gateway_cpu_ms": gateway_cpu, "nginx_cpu_ms": nginx_cpu}
data = {"commit": commit, "seconds": int(seconds), "connections": int(connections), "streams": int(streams),
        "warmup_seconds": int(warmup), "rounds": []}
per_request = lambda cpu_ms, ok: cpu_ms * 1000 / ok if ok else None
for r in range(1, rounds + 1):
    row = {"round": r, "load": float((w / f"r{r}.load").read_text())}
    for name in ("direct", "gateway", "nginx"):
        row[name] = parse((w / f"r{r}.{name}.txt").read_text(), (w / f"r{r}.{name}.cpu").read_text())
    g, n = row["gateway"], row["nginx"]
    # nginx as a proxy: its CPU in its own run, minus what it spends as the HTTP/1.1 backend (the gateway's run).
    backend = per_request(g["nginx_cpu_ms"], g["succeeded"])
    nginx_all = per_request(n["nginx_cpu_ms"], n["succeeded"])
    row["cpu_us_per_request"] = {"gateway": per_request(g["gateway_cpu_ms"], g["succeeded"]),
                                 "nginx_proxy": nginx_all - backend if nginx_all is not None and backend is not None else None}
    data["rounds"].append(row)
pathlib.Path(out).write_text(json.dumps(data, indent=1) + "\n")
med = lambda key, name: statistics.median(r[name][key] for r in data["rounds"])
print(f"commit {commit}, warm-up {warmup} s per target, {rounds} rounds, h2load -D {seconds} -c {connections} -m {streams} -t 2")
print("| round | load | req/s direct / gateway / nginx | gateway / nginx | CPU µs/req gateway / nginx proxy | mean ms direct / gateway / nginx | failed gateway / nginx |")
print("|---|---|---|---|---|---|---|")
for r in data["rounds"]:
    d, g, n, c = r["direct"], r["gateway"], r["nginx"], r["cpu_us_per_request"]
    ratio = g["rps"] / n["rps"] if n["rps"] else 0
    cpu = " / ".join("—" if v is None else f"{v:.0f}" for v in (c["gateway"], c["nginx_proxy"]))
    print(f"| {r['round']} | {r['load']} | {d['rps']:.0f} / {g['rps']:.0f} / {n['rps']:.0f} | {ratio:.2f} | {cpu} | "
          f"{d['mean_ms']} / {g['mean_ms']} / {n['mean_ms']} | {g['failed']} / {n['failed']} |")
print(f"median req/s: direct {med('rps','direct'):.0f}, gateway {med('rps','gateway'):.0f}, nginx {med('rps','nginx'):.0f}")
PY
