#!/usr/bin/env bash
# Warm-path throughput and latency of the gateway next to nginx, side by side in one run:
#   wrk -> backend directly | wrk -> gateway -> backend | wrk -> nginx proxy -> backend
# The backend is nginx answering a fixed 200 from memory, so the proxies are what is measured.
# Budget (DESIGN.md): gateway throughput >= 0.8 x nginx's. Usage: benchmarks/gateway/run.sh [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION="${1:-15}"
CONNECTIONS="${2:-64}"
THREADS=2

source scripts/jdk.sh
for tool in wrk nginx; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "zeroscale: $tool is missing; installing it (apt-get install -y wrk nginx-light)" >&2
    apt-get install -y wrk nginx-light >/dev/null
  fi
done

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

# One nginx process serves both the backend and the reference proxy, one worker per core.
mkdir -p "$WORK/logs"
sed -e "s|@BACKEND_PORT@|$BACKEND_PORT|g" -e "s|@NGINX_PORT@|$NGINX_PORT|g" -e "s|@WORK@|$WORK|g" \
  benchmarks/gateway/nginx.conf.template > "$WORK/nginx.conf"
nginx -p "$WORK" -c "$WORK/nginx.conf"

mvn -B -q -ntp -o install -DskipTests -pl core-spi,gateway
mvn -B -q -ntp -o dependency:build-classpath -pl gateway -DincludeScope=runtime -Dmdep.outputFile="$WORK/cp.txt" >/dev/null
CP="gateway/target/classes:$(cat "$WORK/cp.txt")"
java -cp "$CP" benchmarks/gateway/GatewayBench.java \
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

run() {
  local name=$1 port=$2
  wrk -t"$THREADS" -c"$CONNECTIONS" -d10s "http://127.0.0.1:$port/" >/dev/null   # warm-up: JIT, pools
  local out; out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "http://127.0.0.1:$port/")
  local rps p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
  printf '%-10s %12s req/s   p99 %-10s %s\n' "$name" "$rps" "$p99" "$errors"
  echo "$rps" > "$WORK/$name.rps"
}
echo "wrk: ${THREADS} threads, ${CONNECTIONS} connections, ${DURATION}s each (closed loop; compare p99 only at a fixed rate)"
run direct "$BACKEND_PORT"
run gateway "$GATEWAY_PORT"
run nginx "$NGINX_PORT"
python3 - "$WORK" <<'PY'
import sys, pathlib
w = pathlib.Path(sys.argv[1])
g = float((w / "gateway.rps").read_text()); n = float((w / "nginx.rps").read_text())
ratio = g / n
print(f"gateway / nginx throughput: {ratio:.2f} (budget >= 0.80) -> {'PASS' if ratio >= 0.8 else 'FAIL'}")
PY
