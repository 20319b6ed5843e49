#!/usr/bin/env bash
# Latency and throughput of `rectrain serve` under wrk, on ML-100K models (docs/serving.md).
#
#   Benchmarks/serve-bench.sh [RECTRAIN_BINARY] [ML100K_FOLDER]
#
# Trains als, ease and session models on the ML-100K folder (default ../shared/data/ml-100k),
# starts the server on a free port for each model, and runs wrk (installed from Debian when
# missing) against every route: at saturation (wrk -t$WRK_THREADS -c$CONNECTIONS for
# $SECONDS_PER_RUN s) and paced at about $RATE requests/s (each connection waits between
# requests, jittered), plus a mix of 90% recommendations and 10% feedback writes. Then a loop of one-shot
# `rectrain recommend` processes, the baseline the service replaces. Raw wrk output goes to
# $OUT (default outputs/serve-bench); the summary table is printed on standard output.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-$(swift build -c release --show-bin-path)/rectrain}
DATA=${2:-../shared/data/ml-100k}
OUT=${OUT:-outputs/serve-bench}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
CONNECTIONS=${CONNECTIONS:-32}
WRK_THREADS=${WRK_THREADS:-1}
RATE=${RATE:-2000}
ONE_SHOT_CALLS=${ONE_SHOT_CALLS:-40}

if ! command -v wrk >/dev/null 2>&1; then
    echo "Installing wrk (Debian package)" >&2
    if [ "$(id -u)" = 0 ]; then apt-get install -y -qq wrk >/dev/null || { apt-get update -qq >/dev/null && apt-get install -y -qq wrk >/dev/null; }
    else sudo -n apt-get install -y -qq wrk >/dev/null; fi
fi
[ -x "$BIN" ] || { echo "error: no rectrain binary at $BIN (build with: swift build -c release)" >&2; exit 1; }
[ -f "$DATA/u.data" ] || { echo "error: $DATA has no u.data (MovieLens 100K folder)" >&2; exit 1; }
mkdir -p "$OUT"
WORK=$(mktemp -d)
SERVER_PID=""
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)" | tee "$OUT/machine.txt"
for model in als ease session; do
    "$BIN" train --data "$DATA" --model "$model" --output "$WORK/$model.model" --quiet
done

# Request generators. Users 1–943 and titles 1–1682 are ML-100K's raw ids.
cat > "$WORK/common.lua" <<'LUA'
math.randomseed(42)
local pace = tonumber(os.getenv("PACE_MS") or "0")
-- Jittered (uniform 0 … 2 × pace, mean pace): connections that waited the same fixed time would
-- fire together in bursts.
function delay() if pace == 0 then return 0 end return math.random(0, 2 * pace) end
function json(path, body) return wrk.format("POST", path, {["Content-Type"] = "application/json"}, body) end
function history(k)
  local t = {}
  for i = 1, k do t[i] = '"' .. math.random(1, 1682) .. '"' end
  return "[" .. table.concat(t, ",") .. "]"
end
function user_request() return wrk.format("GET", "/v1/users/" .. math.random(1, 943) .. "/recommendations?n=10") end
function feedback_request()
  return json("/v1/feedback", string.format('{"user":"%d","item":"%d","kind":"view"}', math.random(1, 943), math.random(1, 1682)))
end
function done(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT rps=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f requests=%d non2xx_or_errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.requests, errors))
end
LUA
route_script() {
    local name=$1 body=$2
    printf 'dofile("%s/common.lua")\nrequest = function() %s end\n' "$WORK" "$body" > "$WORK/$name.lua"
}
route_script users 'return user_request()'
route_script visitor 'return json("/v1/recommendations", "{\"history\":" .. history(5) .. ",\"n\":10}")'
route_script session 'return json("/v1/sessions/next", "{\"items\":" .. history(3) .. ",\"n\":10}")'
route_script similar 'return wrk.format("GET", "/v1/items/" .. math.random(1, 1682) .. "/similar?n=10")'
route_script feedback 'return feedback_request()'
route_script mix 'if math.random() < 0.1 then return feedback_request() else return user_request() end'

start_server() {
    rm -f "$WORK"/events.sqlite*
    "$BIN" serve --model "$WORK/$1.model" --session-model "$WORK/session.model" --port 0 --store "$WORK/events.sqlite" --quiet > "$WORK/serve.out" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 200); do grep -q "listening on" "$WORK/serve.out" 2>/dev/null && break; sleep 0.05; done
    PORT=$(grep -o '127.0.0.1:[0-9]*' "$WORK/serve.out" | cut -d: -f2)
    [ -n "$PORT" ] || { cat "$WORK/serve.out" >&2; exit 1; }
}
stop_server() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }

run_wrk() {  # model route mode(saturation|paced) -> one table row
    local model=$1 route=$2 mode=$3 pace=0 connections=$CONNECTIONS
    # Paced: 24 connections each waiting 10 ms on average between requests (at RATE=2000),
    # 20% above the rate to make up for the time the requests themselves take.
    if [ "$mode" = paced ]; then connections=24; pace=$((connections * 1000 * 10 / (RATE * 12))); fi
    PACE_MS=$pace wrk -t"$WRK_THREADS" -c"$connections" -d"${SECONDS_PER_RUN}s" -s "$WORK/$route.lua" "http://127.0.0.1:$PORT" \
        > "$OUT/$model-$route-$mode.txt" 2>&1
    local line
    line=$(grep '^RESULT' "$OUT/$model-$route-$mode.txt" || echo "RESULT failed")
    printf '| %s | %s | %s | %s |\n' "$model" "$route" "$mode" "$(echo "$line" | sed 's/^RESULT //; s/ / | /g')"
}

echo
echo "| model | route | load | requests/s | p50 | p99 | max | requests | errors |"
echo "|---|---|---|---|---|---|---|---|---|"
for model in als ease; do
    start_server "$model"
    curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null
    for route in users visitor session similar feedback mix; do
        run_wrk "$model" "$route" saturation
    done
    for route in users mix; do run_wrk "$model" "$route" paced; done
    stop_server
done

# The baseline: one process per answer (load the model file, answer, exit).
start=$(date +%s.%N)
for i in $(seq "$ONE_SHOT_CALLS"); do "$BIN" recommend --model "$WORK/als.model" --user "$i" -n 10 --json > /dev/null; done
end=$(date +%s.%N)
echo
echo "one-shot rectrain recommend (als): $(echo "$ONE_SHOT_CALLS / ($end - $start)" | bc -l | xargs printf '%.1f') calls/s over $ONE_SHOT_CALLS calls" | tee "$OUT/one-shot.txt"
