#!/usr/bin/env bash
# Fuzzes the HTTP API of `rectrain serve` against docs/openapi.yaml with schemathesis.
#
#   scripts/fuzz-api.sh [RECTRAIN_BINARY [MODEL_FILE [SESSION_MODEL_FILE]]]
#
# Starts `rectrain serve --port 0` on 127.0.0.1 with a temporary feedback store and admin
# token (in a temporary directory, removed at exit), runs schemathesis against it (positive
# and negative data; the checks below), stops the server, and exits non-zero when schemathesis
# found a failure, when the server died, or when the server could not be started.
#
# Defaults: RECTRAIN_BINARY     = .build/release/rectrain (else .build/debug/rectrain),
#           MODEL_FILE         = $RECTRAIN_MODEL (no default: a model written by `rectrain train`),
#           SESSION_MODEL_FILE = $RECTRAIN_SESSION_MODEL (optional: a model written by
#                                `rectrain train --model session`, served with --session-model so
#                                that POST /v1/sessions/next answers 200; without one it is 404).
#
# Environment:
#   FUZZ_API_EXAMPLES   at most this many test cases per operation and phase (default 400:
#                       about 2,400 cases, 45-55 s on 2 cores; 20 for a test suite: about 520
#                       cases, 9 s, plus about 15 s once to create the virtual environment)
#   FUZZ_API_SEED       schemathesis --seed (default: random; the run prints the one it used)
#   FUZZ_API_MAX_TIME   optional schemathesis --max-time, seconds
#   FUZZ_API_CHECKS     comma-separated checks (default below)
#   FUZZ_API_WORKERS    schemathesis --workers (default 1: several workers hit a CPython 3.11
#                       bug in ast.parse from threads, "AST constructor recursion depth mismatch")
#   FUZZ_API_REPORT_DIR write a JUnit report there (default: none)
#   FUZZ_API_ARGS       more schemathesis options, split on spaces (e.g. "--phases fuzzing")
#   FUZZ_API_VENV       the virtual environment (default .venv-fuzz in the repo root; it is in
#                       .gitignore), created with schemathesis $SCHEMATHESIS_VERSION when missing
#   PYTHON              the Python that creates it (default python3)
set -euo pipefail

SCHEMATHESIS_VERSION=4.32.5
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SPEC="$ROOT/docs/openapi.yaml"
VENV=${FUZZ_API_VENV:-$ROOT/.venv-fuzz}
EXAMPLES=${FUZZ_API_EXAMPLES:-400}
WORKERS=${FUZZ_API_WORKERS:-1}
CHECKS=${FUZZ_API_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection,unsupported_method,ignored_auth}

usage() {
    awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"
    exit "${1:-2}"
}
case "${1:-}" in -h|--help) usage 0 ;; esac
[ $# -le 3 ] || usage

BIN=${1:-}
if [ -z "$BIN" ]; then
    for candidate in "$ROOT/.build/release/rectrain" "$ROOT/.build/debug/rectrain"; do
        if [ -x "$candidate" ]; then BIN=$candidate; break; fi
    done
fi
MODEL=${2:-${RECTRAIN_MODEL:-}}
[ -n "$BIN" ] && [ -x "$BIN" ] || { echo "fuzz-api: no rectrain binary (give its path as the first argument)" >&2; usage; }
[ -n "$MODEL" ] && [ -r "$MODEL" ] || { echo "fuzz-api: no readable model file (give it as the second argument or RECTRAIN_MODEL)" >&2; usage; }
SESSION_MODEL=${3:-${RECTRAIN_SESSION_MODEL:-}}
if [ -n "$SESSION_MODEL" ]; then
    [ -r "$SESSION_MODEL" ] || { echo "fuzz-api: the session model $SESSION_MODEL is not readable" >&2; exit 2; }
    SESSION_MODEL=$(cd "$(dirname "$SESSION_MODEL")" && pwd)/$(basename "$SESSION_MODEL")
fi
[ -r "$SPEC" ] || { echo "fuzz-api: $SPEC is missing" >&2; exit 2; }
case "$EXAMPLES" in ''|*[!0-9]*|0) echo "fuzz-api: FUZZ_API_EXAMPLES must be a positive integer, got '$EXAMPLES'" >&2; exit 2 ;; esac
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
MODEL=$(cd "$(dirname "$MODEL")" && pwd)/$(basename "$MODEL")

# --- schemathesis in its own virtual environment -------------------------------------------
ST="$VENV/bin/schemathesis"
if ! [ -x "$ST" ] || [ "$("$ST" --version 2>/dev/null | awk '{print $NF}')" != "$SCHEMATHESIS_VERSION" ]; then
    echo "fuzz-api: installing schemathesis==$SCHEMATHESIS_VERSION into $VENV" >&2
    [ -x "$VENV/bin/python" ] || "${PYTHON:-python3}" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

# --- the server ------------------------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-api.XXXXXX")
SERVER_PID=""
ST_PID=""
cleanup() {
    local status=$?
    trap - INT TERM
    if [ -n "$ST_PID" ] && kill -0 "$ST_PID" 2>/dev/null; then
        kill -TERM "$ST_PID" 2>/dev/null || true
        wait "$ST_PID" 2>/dev/null || true
    fi
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

TOKEN=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$TOKEN" > "$WORK/admin-token"
chmod 600 "$WORK/admin-token"

serve_args=(serve --model "$MODEL" --port 0 --store "$WORK/events.sqlite" --admin-token-file "$WORK/admin-token")
[ -n "$SESSION_MODEL" ] && serve_args+=(--session-model "$SESSION_MODEL")
(cd "$WORK" && exec "$BIN" "${serve_args[@]}" >"$WORK/serve.out" 2>"$WORK/serve.err") &
SERVER_PID=$!

PORT=""
for _ in $(seq 600); do   # up to 60 s to load the model
    PORT=$(sed -n 's|^rectrain serve: listening on http://127\.0\.0\.1:\([0-9][0-9]*\).*|\1|p' "$WORK/serve.out" | head -n1)
    [ -n "$PORT" ] && break
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "fuzz-api: the server exited before listening:" >&2
        cat "$WORK/serve.out" "$WORK/serve.err" >&2
        exit 1
    fi
    sleep 0.1
done
[ -n "$PORT" ] || { echo "fuzz-api: the server did not print its listening line in 60 s" >&2; cat "$WORK/serve.err" >&2; exit 1; }
URL="http://127.0.0.1:$PORT"
echo "fuzz-api: $(head -n1 "$WORK/serve.out")" >&2

# --- schemathesis ----------------------------------------------------------------------------
# A negative case can be refused for its size before its content is read: 413 is a rejection
# too (schemathesis' default list lacks it).
cat > "$WORK/schemathesis.toml" <<'TOML'
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]
TOML
args=(--config-file "$WORK/schemathesis.toml" run "$SPEC" --url "$URL"
      --checks "$CHECKS"
      --mode all
      --max-examples "$EXAMPLES"
      --workers "$WORKERS"
      --request-timeout 30
      --generation-database none
      --header "Authorization: Bearer $TOKEN"
      --no-color)
[ -n "${FUZZ_API_SEED:-}" ] && args+=(--seed "$FUZZ_API_SEED")
[ -n "${FUZZ_API_MAX_TIME:-}" ] && args+=(--max-time "$FUZZ_API_MAX_TIME")
[ -n "${FUZZ_API_REPORT_DIR:-}" ] && args+=(--report junit --report-dir "$FUZZ_API_REPORT_DIR")
# shellcheck disable=SC2206  # extra options are split on spaces on purpose
[ -n "${FUZZ_API_ARGS:-}" ] && args+=($FUZZ_API_ARGS)

echo "fuzz-api: schemathesis ${args[*]//$TOKEN/<token>}" >&2
start=$(date +%s)
status=0
# In the background so that a signal to this script runs its traps at once.
(cd "$WORK" && exec "$ST" "${args[@]}") &
ST_PID=$!
wait "$ST_PID" || status=$?
ST_PID=""
echo "fuzz-api: schemathesis exited $status after $(( $(date +%s) - start )) s" >&2

# --- the server must have survived -------------------------------------------------------------
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    wait "$SERVER_PID" 2>/dev/null && code=0 || code=$?
    echo "fuzz-api: the server died during the run (exit $code); its standard error:" >&2
    tail -n 50 "$WORK/serve.err" >&2
    exit 1
fi
if grep -qiE 'fatal error|crash|assertion' "$WORK/serve.err"; then
    echo "fuzz-api: the server logged a fatal error:" >&2
    grep -iE 'fatal error|crash|assertion' "$WORK/serve.err" | head -n 20 >&2
    [ "$status" -ne 0 ] || status=1
fi
exit "$status"
