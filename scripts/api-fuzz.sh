#!/usr/bin/env bash
# Fuzzes the daemon's REST API with schemathesis against the daemon's own /openapi.json: starts
# the daemon (the quickstart config, free loopback ports, a bearer token) from the built
# distribution, runs every check, then stops it and anything it started. Fails on any 5xx or any
# answer that does not match the document. Called by .ci/run after ./scripts/test.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/jdk.sh
source scripts/peers.sh
source scripts/peers.d/schemathesis.sh
zs_peer_schemathesis
zs_require_maven

launcher=$(ls -d assembly/target/zeroscale-*/zeroscale-*/bin/zeroscale 2>/dev/null | head -1 || true)
if [ -z "$launcher" ]; then
  mkdir -p target
  echo "zeroscale: building the distribution (log in target/api-fuzz-build.log) ..." >&2
  mvn -B -ntp package -DskipTests -pl assembly -am > target/api-fuzz-build.log 2>&1 || { tail -40 target/api-fuzz-build.log >&2; exit 1; }
  launcher=$(ls -d assembly/target/zeroscale-*/zeroscale-*/bin/zeroscale | head -1)
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
gateway_port=$(free_port)
api_port=$(free_port)
work=$(mktemp -d)
token=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
api="http://127.0.0.1:$api_port"

ZEROSCALE_TOKEN=$token "$launcher" run --config samples/quickstart/zeroscale.yaml \
  --set "gateway.listen=127.0.0.1:$gateway_port" --set "api.listen=127.0.0.1:$api_port" \
  --set 'api.token=${ZEROSCALE_TOKEN}' --set "data-dir=$work/data" \
  --set api.events.max-duration=2s \
  --set targets.hello.workload.env.LOAD_SECONDS=0 > "$work/daemon.log" 2>&1 &
daemon=$!

stop_all() {
  local status=$?
  # The fuzzer's overrides may have started the backend; the daemon leaves workloads running on
  # shutdown by design, so scale it to zero through the API first.
  if kill -0 "$daemon" 2>/dev/null; then
    curl -s -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
      -X POST -d '{"action":"resume"}' "$api/targets/hello/automation" || true
    curl -s -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
      -X PUT -d '{"replicas":0}' "$api/targets/hello/override" || true
    for _ in $(seq 1 100); do
      observed=$(curl -s -H "Authorization: Bearer $token" "$api/targets/hello" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["replicas"]["observed"])' 2>/dev/null || echo "?")
      [ "$observed" = "0" ] && break
      sleep 0.2
    done
    kill -TERM "$daemon" 2>/dev/null || true
    wait "$daemon" 2>/dev/null || true
  fi
  # Whatever is still listed in the process orchestrator's state file was started by this run.
  for state in "$work"/data/orchestrators/local/*.json; do
    [ -e "$state" ] || continue
    for pid in $(python3 -c 'import json,sys; print(" ".join(str(r["pid"]) for r in json.load(open(sys.argv[1])).get("replicas", [])))' "$state" 2>/dev/null); do
      kill -TERM "$pid" 2>/dev/null || true
    done
  done
  if [ $status -ne 0 ]; then
    echo "zeroscale: daemon log ($work/daemon.log):" >&2
    tail -30 "$work/daemon.log" >&2
  fi
}
trap stop_all EXIT

for _ in $(seq 1 300); do
  if curl -s -o /dev/null "$api/ready"; then break; fi
  kill -0 "$daemon" 2>/dev/null || { echo "zeroscale: the daemon exited" >&2; exit 1; }
  sleep 0.2
done

# GET /events is a Server-Sent Events stream: schemathesis reads a body to its end, so the daemon
# under test closes each stream after 2 s (api.events.max-duration) instead of 30 minutes.
# Every check runs. positive_data_acceptance holds because the served document's maximum for an
# override is the largest replicas.max of the targets (one target here); with several targets of
# different maxima, a value above one target's own max is answered 400 on purpose.
# A fixed seed and one worker make CI's run reproducible (schemathesis 4.32 itself has failed now
# and then on a random seed with an internal KeyError); ZEROSCALE_FUZZ_SEED=<n> explores others.
echo "zeroscale: fuzzing $api/openapi.json with schemathesis" >&2
set +e
# Run from the scratch directory: schemathesis keeps a cache in its working directory.
(cd "$work" && schemathesis run "$api/openapi.json" \
  --checks all \
  --header "Authorization: Bearer $token" \
  --max-examples 50 --workers 1 --request-timeout 10 --seed "${ZEROSCALE_FUZZ_SEED:-103291620378910990965358960932006853550}" \
  ) | tee "$work/schemathesis.log"
status=${PIPESTATUS[0]}
set -e
# One plain closing line for CI: the test cases schemathesis generated, and whether any failed.
passed=$(sed -n 's/^ *\([0-9]*\) generated, \([0-9]*\) passed.*/\2/p' "$work/schemathesis.log" | tail -1)
if [ "$status" -eq 0 ]; then
  echo "api-fuzz: ${passed:-0} passed, 0 failed"
else
  echo "api-fuzz: ${passed:-0} passed, 1 failed"
fi
exit "$status"
