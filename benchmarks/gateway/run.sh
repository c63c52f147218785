#!/usr/bin/env bash
# Warm-path throughput and latency of the gateway next to nginx, side by side in one run:
#   backend directly | gateway -> backend | nginx proxy -> backend
# The backend is nginx answering a fixed 200 from memory, so the proxies are what is measured.
# Each round:
#   1. wrk (closed loop) against each target: maximum throughput. Budget: gateway >= 1.0 x nginx
#      (the ratio of the medians over the rounds, not the median of per-round ratios).
#   2. vegeta at a fixed rate per target, RATE_FRACTION (default 0.1) of the lowest wrk maximum of
#      the round but at most MAX_RATE (default 3000/s), the three targets interleaved in one attack:
#      open-loop p50/p99, and the latency each proxy adds over the direct path.
#      Budget: gateway p99 <= nginx p99 + 0.5 ms (median over valid rounds of each). On 2 cores vegeta itself needs about a core: the
#      run checks that it kept its rate.
# Targets are measured in a rotated order each round so no one always goes first. The machine is
# shared and noisy (one target's wrk result moved by 1.5x between two 5 s runs a minute apart), so
# the defaults are many short rounds, and the verdicts use the median over rounds.
# Writes benchmarks/results/gateway-warm.json; benchmarks/run stamps it and writes the README's tables.
#
# Usage: benchmarks/gateway/run.sh [wrk-seconds] [connections] [rounds]   (defaults 5, 64, 10)
#   env: VEGETA_SECONDS (default 10), RATE_FRACTION (default 0.1), MAX_RATE (default 3000),
#        RESULTS_FILE (output JSON path)
# Every load is bounded in time and sent to 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION="${1:-5}"
CONNECTIONS="${2:-64}"
ROUNDS="${3:-10}"
THREADS=2
VEGETA_SECONDS="${VEGETA_SECONDS:-10}"
RATE_FRACTION="${RATE_FRACTION:-0.1}"
MAX_RATE="${MAX_RATE:-3000}"
RESULTS="${RESULTS_FILE:-benchmarks/results/gateway-warm.json}"
VEGETA_VERSION=v12.12.0

source scripts/jdk.sh
for tool in wrk nginx; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "zeroscale: $tool is missing; installing it (apt-get install -y wrk nginx-light)" >&2
    apt-get install -y wrk nginx-light >/dev/null
  fi
done
if command -v go >/dev/null 2>&1; then export PATH="$PATH:$(go env GOPATH)/bin"; fi
if ! command -v vegeta >/dev/null 2>&1; then
  if ! command -v go >/dev/null 2>&1; then
    echo "zeroscale: vegeta is missing and so is Go to build it; install Go (apt-get install -y golang), then rerun" >&2
    exit 1
  fi
  echo "zeroscale: vegeta is missing; installing it (go install github.com/tsenart/vegeta/v12@$VEGETA_VERSION)" >&2
  go install "github.com/tsenart/vegeta/v12@$VEGETA_VERSION"
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

# One nginx process serves both the backend and the reference proxy, one worker per core.
mkdir -p "$WORK/logs"
sed -e "s|@BACKEND_PORT@|$BACKEND_PORT|g" -e "s|@NGINX_PORT@|$NGINX_PORT|g" -e "s|@WORK@|$WORK|g" \
  benchmarks/gateway/nginx.conf.template > "$WORK/nginx.conf"
nginx -p "$WORK" -c "$WORK/nginx.conf"

# The benchmarks jar holds the gateway and its dependencies; built in the reactor (never
# `mvn install`: that would overwrite the shared local repository's snapshots).
JAR="${JAR:-benchmarks/target/benchmarks.jar}"
if [ ! -f "$JAR" ]; then
  mvn -B -q -ntp -o package -DskipTests -pl benchmarks -am
fi
java -cp "$JAR" benchmarks/gateway/GatewayBench.java \
  "$GATEWAY_PORT" "127.0.0.1:$BACKEND_PORT" > "$WORK/gateway.log" 2>&1 &
PIDS+=($!)

wait_for() {
  python3 - "$1" <<'PY' || { echo "zeroscale: nothing answers on port $1" >&2; cat "$WORK/gateway.log" >&2; exit 1; }
import sys, time, urllib.request
for _ in range(150):
    try:
        urllib.request.urlopen("http://127.0.0.1:%s/" % sys.argv[1], timeout=1).read()
        sys.exit(0)
    except Exception:
        time.sleep(0.2)
sys.exit(1)
PY
}
wait_for "$BACKEND_PORT"; wait_for "$NGINX_PORT"; wait_for "$GATEWAY_PORT"

declare -A PORT=([direct]=$BACKEND_PORT [gateway]=$GATEWAY_PORT [nginx]=$NGINX_PORT)
GATEWAY_PID=${PIDS[0]}
NGINX_PIDS=("$(cat "$WORK/nginx.pid")" $(ps -o pid= --ppid "$(cat "$WORK/nginx.pid")"))
CLK_TCK=$(getconf CLK_TCK)
# CPU time (ms, user + system) the given processes used so far. Unlike throughput, the CPU a proxy
# spends per request hardly moves when a neighbour on the shared machine gets busy.
cpu_ms() {
  local total=0 pid
  for pid in "$@"; do total=$(( total + $(awk '{print $14 + $15}' "/proc/$pid/stat") )); done
  echo $(( total * 1000 / CLK_TCK ))
}
NAMES=(direct gateway nginx)

# wrk's latency distribution, converted to milliseconds: "50% 1.23ms" -> 1.23
wrk_ms() {
  awk -v q="$1" '$1==q {v=$2; u=v; sub(/[0-9.]+/,"",u); sub(/[a-z]+$/,"",v);
    f = (u=="us") ? 0.001 : (u=="ms") ? 1 : (u=="s") ? 1000 : (u=="m") ? 60000 : -1; print v*f}'
}

run_wrk() {
  local round=$1 name=$2 port=${PORT[$2]}
  if [ "$round" = 1 ]; then
    wrk -t"$THREADS" -c"$CONNECTIONS" -d10s "http://127.0.0.1:$port/" >/dev/null   # warm-up: JIT, pools
  fi
  local gw0 ng0 gw1 ng1
  gw0=$(cpu_ms "$GATEWAY_PID"); ng0=$(cpu_ms "${NGINX_PIDS[@]}")
  local out; out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "http://127.0.0.1:$port/")
  gw1=$(cpu_ms "$GATEWAY_PID"); ng1=$(cpu_ms "${NGINX_PIDS[@]}")
  local rps p50 p99 errors requests
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  p50=$(wrk_ms 50% <<<"$out")
  p99=$(wrk_ms 99% <<<"$out")
  errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
  printf '  wrk     %-8s %10s req/s   p50 %7.3f ms   p99 %7.3f ms  %s\n' "$name" "$rps" "$p50" "$p99" "$errors"
  printf '{"rps": %s, "requests": %s, "p50_ms": %s, "p99_ms": %s, "errors": "%s", "gateway_cpu_ms": %s, "nginx_cpu_ms": %s}\n' \
    "$rps" "$requests" "$p50" "$p99" "${errors% }" $(( gw1 - gw0 )) $(( ng1 - ng0 )) > "$WORK/r$round.wrk.$name.json"
}

# One attack sends to the three targets in turn (round robin), each at $rate: every target sees the
# same moments of the shared machine's noise, so their tails compare; run one after the other, a
# noisy neighbour's burst in one target's window moved p99 by +-10 ms between runs.
run_vegeta() {
  local round=$1 rate=$2; shift 2
  local targets="" name
  for name in "$@"; do targets+="GET http://127.0.0.1:${PORT[$name]}/"$'\n\n'; done
  # Workers (one connection per target each) are bounded like wrk's connections: unbounded, vegeta
  # answers a stall by opening ever more connections and measures its own connection storm instead.
  local attack=(vegeta attack -rate="$(( rate * $# ))/1s" -workers="$CONNECTIONS" -max-workers="$CONNECTIONS")
  # A short attack first opens vegeta's connections at this rate; it is not measured.
  printf '%s' "$targets" | "${attack[@]}" -duration=3s | vegeta report -type=json >/dev/null
  printf '%s' "$targets" | "${attack[@]}" -duration="${VEGETA_SECONDS}s" > "$WORK/r$round.attack.bin"
  vegeta report -type=json < "$WORK/r$round.attack.bin" > "$WORK/r$round.attack.json"
  vegeta encode --to json < "$WORK/r$round.attack.bin" > "$WORK/r$round.attack.jsonl"
  rm "$WORK/r$round.attack.bin"
  python3 - "$WORK" "$round" "$(declare -p PORT)" "$@" <<'PY'
import collections, json, math, pathlib, re, sys
w, r, ports, names = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
port_of = dict(re.findall(r'\[(\w+)\]="?(\d+)"?', ports))
by_port = {port_of[n]: n for n in names}
lat, codes, errors = collections.defaultdict(list), collections.defaultdict(collections.Counter), collections.defaultdict(collections.Counter)
with open(w / f"r{r}.attack.jsonl") as f:
    for line in f:
        hit = json.loads(line)
        name = by_port[re.search(r":(\d+)/", hit["url"]).group(1)]
        lat[name].append(hit["latency"])
        codes[name][str(hit["code"])] += 1
        if hit["error"]:
            errors[name][hit["error"]] += 1
total = json.loads((w / f"r{r}.attack.json").read_text())
count = sum(len(v) for v in lat.values())
rank = lambda xs, q: xs[max(0, math.ceil(q * len(xs)) - 1)]
for name in names:
    xs = sorted(lat[name])
    report = {"rate": total["rate"] * len(xs) / count, "success": codes[name]["200"] / len(xs),
              "latencies": {"50th": rank(xs, 0.5), "90th": rank(xs, 0.9), "99th": rank(xs, 0.99), "max": xs[-1]},
              "status_codes": dict(codes[name]), "errors": [f"{e} ({n}x)" for e, n in errors[name].items()]}
    (w / f"r{r}.vegeta.{name}.json").write_text(json.dumps(report))
    l = report["latencies"]
    print(f"  vegeta  {name:<8} {report['rate']:10.0f} req/s   p50 {l['50th']/1e6:7.3f} ms   p99 {l['99th']/1e6:7.3f} ms"
          f"   success {report['success']*100:.2f}%  {' '.join(report['errors'])}")
PY
  rm "$WORK/r$round.attack.jsonl"
}

echo "wrk: ${THREADS} threads, ${CONNECTIONS} connections, ${DURATION}s per target (closed loop)"
echo "vegeta: each target at ${RATE_FRACTION} x the round's lowest wrk maximum (at most ${MAX_RATE}/s), all three interleaved in one ${VEGETA_SECONDS}s attack (open loop)"
for round in $(seq 1 "$ROUNDS"); do
  # Rotate the order: round 1 direct,gateway,nginx; round 2 gateway,nginx,direct; ...
  order=()
  for i in 0 1 2; do order+=("${NAMES[$(( (i + round - 1) % 3 ))]}"); done
  # The machine is shared: the load average before each round tells a quiet round from a noisy one.
  cut -d' ' -f1 /proc/loadavg > "$WORK/r$round.load"
  echo "round $round (order: ${order[*]}, load average $(cat "$WORK/r$round.load"))"
  for name in "${order[@]}"; do run_wrk "$round" "$name"; done
  rate=$(python3 - "$WORK" "$round" "$RATE_FRACTION" "$MAX_RATE" <<'PY'
import json, sys, pathlib
w, r, f, cap = pathlib.Path(sys.argv[1]), sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
print(min(cap, int(f * min(json.loads((w / f"r{r}.wrk.{n}.json").read_text())["rps"] for n in ("direct", "gateway", "nginx")))))
PY
)
  echo "$rate" > "$WORK/r$round.rate"
  run_vegeta "$round" "$rate" "${order[@]}"
done

mkdir -p "$(dirname "$RESULTS")"
python3 - "$WORK" "$ROUNDS" "$RESULTS" "$DURATION" "$CONNECTIONS" "$VEGETA_SECONDS" "$RATE_FRACTION" "$MAX_RATE" <<'PY'
import datetime, json, pathlib, statistics, sys
w, rounds, out = pathlib.Path(sys.argv[1]), int(sys.argv[2]), pathlib.Path(sys.argv[3])
names = ("direct", "gateway", "nginx")
ms = lambda ns: ns / 1e6
result = {
    "date": datetime.date.today().isoformat(),
    "setup": {"wrk_seconds": int(sys.argv[4]), "wrk_connections": int(sys.argv[5]), "wrk_threads": 2,
              "vegeta_seconds": int(sys.argv[6]), "rate_fraction": float(sys.argv[7]), "max_rate": int(sys.argv[8])},
    "rounds": [],
}
for r in range(1, rounds + 1):
    wrk = {n: json.loads((w / f"r{r}.wrk.{n}.json").read_text()) for n in names}
    veg = {}
    for n in names:
        v = json.loads((w / f"r{r}.vegeta.{n}.json").read_text())
        veg[n] = {"rate": v["rate"], "success": v["success"], "p50_ms": ms(v["latencies"]["50th"]),
                  "p90_ms": ms(v["latencies"]["90th"]), "p99_ms": ms(v["latencies"]["99th"]),
                  "max_ms": ms(v["latencies"]["max"]), "status_codes": v["status_codes"], "errors": v.get("errors") or []}
    rd = {
        "round": r, "load_average_before": float((w / f"r{r}.load").read_text()),
        "wrk": wrk, "rate": int((w / f"r{r}.rate").read_text()), "vegeta": veg,
        "throughput_ratio": wrk["gateway"]["rps"] / wrk["nginx"]["rps"],
        "added_p50_ms": {p: veg[p]["p50_ms"] - veg["direct"]["p50_ms"] for p in ("gateway", "nginx")},
        "added_p99_ms": {p: veg[p]["p99_ms"] - veg["direct"]["p99_ms"] for p in ("gateway", "nginx")},
        "p99_margin_ms": veg["gateway"]["p99_ms"] - veg["nginx"]["p99_ms"],
    }
    rd["pass_throughput"] = rd["throughput_ratio"] >= 1.0
    # CPU per proxied request: the gateway JVM's own; nginx's minus what the same nginx spent per
    # request as the backend alone (the direct run), since one nginx is both backend and proxy.
    us = lambda cpu_ms, n: 1000.0 * cpu_ms / wrk[n]["requests"]
    backend_us = us(wrk["direct"]["nginx_cpu_ms"], "direct")
    rd["cpu_us_per_request"] = {"backend": backend_us, "gateway": us(wrk["gateway"]["gateway_cpu_ms"], "gateway"),
                                "nginx_proxy": us(wrk["nginx"]["nginx_cpu_ms"], "nginx") - backend_us}
    rd["cpu_ratio_gateway_to_nginx"] = rd["cpu_us_per_request"]["gateway"] / rd["cpu_us_per_request"]["nginx_proxy"]
    # vegeta's achieved rate shows whether the load generator itself kept up on this small machine;
    # a round where it fell behind measured the generator, not the proxies.
    rd["generator_kept_up"] = all(veg[n]["rate"] >= 0.98 * rd["rate"] for n in names)
    rd["pass_p99"] = (rd["p99_margin_ms"] <= 0.5 and rd["generator_kept_up"]
                      and all(veg[n]["success"] == 1.0 for n in names))
    result["rounds"].append(rd)
R = result["rounds"]
med = lambda f: statistics.median(f(rd) for rd in R)
# Ratios of medians: the median gateway throughput over the median nginx throughput (a median of
# per-round ratios would favour whichever rounds happened to be noisy for nginx).
result["ratio_of_medians"] = {
    "throughput": med(lambda rd: rd["wrk"]["gateway"]["rps"]) / med(lambda rd: rd["wrk"]["nginx"]["rps"]),
    "cpu_per_request": med(lambda rd: rd["cpu_us_per_request"]["gateway"]) / med(lambda rd: rd["cpu_us_per_request"]["nginx_proxy"]),
}
result["median"] = {
    "throughput_ratio_per_round": med(lambda rd: rd["throughput_ratio"]),
    "added_p50_ms": {p: med(lambda rd: rd["added_p50_ms"][p]) for p in ("gateway", "nginx")},
    "added_p99_ms": {p: med(lambda rd: rd["added_p99_ms"][p]) for p in ("gateway", "nginx")},
    "p99_margin_ms": med(lambda rd: rd["p99_margin_ms"]),
    "cpu_us_per_request": {k: med(lambda rd: rd["cpu_us_per_request"][k]) for k in ("backend", "gateway", "nginx_proxy")},
    "cpu_ratio_gateway_to_nginx": med(lambda rd: rd["cpu_ratio_gateway_to_nginx"]),
}
# The p99 budget is judged on the rounds where vegeta kept its rate.
valid = [rd for rd in R if rd["generator_kept_up"]]
result["median_valid_p99_margin_ms"] = (statistics.median(rd["vegeta"]["gateway"]["p99_ms"] for rd in valid)
                                        - statistics.median(rd["vegeta"]["nginx"]["p99_ms"] for rd in valid)) if valid else None
out.write_text(json.dumps(result, indent=2) + "\n")

def f(x, d=2): return f"{x:.{d}f}"
print()
print("| round | load | wrk req/s direct / gateway / nginx | gateway / nginx | CPU µs/req gateway / nginx proxy | vegeta rate | p50 ms direct / gateway / nginx | p99 ms direct / gateway / nginx | added p50 ms gateway / nginx | added p99 ms gateway / nginx | p99 gateway − nginx |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for rd in R:
    wr, v = rd["wrk"], rd["vegeta"]
    cpu = rd["cpu_us_per_request"]
    print(f"| {rd['round']} | {rd['load_average_before']:.1f} | {' / '.join(f(wr[n]['rps'], 0) for n in names)} | {f(rd['throughput_ratio'])} "
          f"| {f(cpu['gateway'], 1)} / {f(cpu['nginx_proxy'], 1)} "
          f"| {rd['rate']}/s | {' / '.join(f(v[n]['p50_ms'], 3) for n in names)} | {' / '.join(f(v[n]['p99_ms'], 3) for n in names)} "
          f"| {f(rd['added_p50_ms']['gateway'], 3)} / {f(rd['added_p50_ms']['nginx'], 3)} "
          f"| {f(rd['added_p99_ms']['gateway'], 3)} / {f(rd['added_p99_ms']['nginx'], 3)} | {f(rd['p99_margin_ms'], 3)} |")
m = result["median"]
print()
ok_t = sum(rd["pass_throughput"] for rd in R); ok_p = sum(rd["pass_p99"] for rd in R)
for rd in R:
    if not rd["generator_kept_up"]:
        achieved = ", ".join(f"{n} {rd['vegeta'][n]['rate']:.0f}/s" for n in names)
        print(f"round {rd['round']}: vegeta fell behind {rd['rate']}/s ({achieved}); lower RATE_FRACTION")
ratios = sorted(rd["throughput_ratio"] for rd in R)
rom = result["ratio_of_medians"]["throughput"]
print(f"gateway / nginx throughput, ratio of medians: {rom:.2f} (budget >= 1.00) -> "
      f"{'PASS' if rom >= 1.0 else 'FAIL'} ({ok_t}/{len(R)} rounds pass; "
      f"rounds from {ratios[0]:.2f} to {ratios[-1]:.2f})")
print(f"median added latency at a fixed rate, gateway: p50 {m['added_p50_ms']['gateway']:.3f} ms, p99 {m['added_p99_ms']['gateway']:.3f} ms;"
      f" nginx: p50 {m['added_p50_ms']['nginx']:.3f} ms, p99 {m['added_p99_ms']['nginx']:.3f} ms")
c = m["cpu_us_per_request"]
print(f"median CPU per request: gateway {c['gateway']:.1f} us, nginx as proxy {c['nginx_proxy']:.1f} us "
      f"(ratio of medians {result['ratio_of_medians']['cpu_per_request']:.2f}, budget <= 1.00); backend {c['backend']:.1f} us")
margin = result["median_valid_p99_margin_ms"]
if margin is None:
    print("p99 gateway - nginx: NOT MEASURED (vegeta fell behind in every round)")
else:
    print(f"median gateway p99 - median nginx p99 over the {len(valid)} rounds where vegeta kept its rate: {margin:.3f} ms "
          f"(budget <= 0.5 ms) -> {'PASS' if margin <= 0.5 else 'FAIL'} ({ok_p}/{len(R)} rounds pass)")
print(f"results: {out}")
PY
