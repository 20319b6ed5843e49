#!/usr/bin/env bash
# One command for the side-by-side comparison with implicit and scikit-learn:
#   Benchmarks/compare/run.sh [--quick]
#   Benchmarks/compare/run.sh --scale   # ALS 64 factors at Netflix-Prize scale only:
#       480,189 users x 17,770 items x 100,480,507 interactions, generated once as CSV and
#       converted once to .rmx (both read by each side: implicit reads the .rmx's columns with
#       numpy); 3 iterations, one run each; ~10 GB of disk, ~10 minutes
# Creates Benchmarks/compare/.venv with the pinned peers, builds rectrain (release), generates
# the 50k × 10k × 2M long-tailed matrix once, and runs compare.py, which alternates our kernels
# and the peers' on the same file with the same 2 threads and prints ours/theirs ratios, then
# accuracy on the shared ML-100K splits when ../shared is there.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
if [ ! -x "$here/.venv/bin/python" ]; then
    python3 -m venv "$here/.venv"
    "$here/.venv/bin/pip" install -q -r "$here/requirements.txt"
fi
(cd "$root" && swift build -c release --product rectrain >/dev/null)
bin="$(cd "$root" && swift build -c release --show-bin-path)/rectrain"
if [ "${1:-}" = "--scale" ]; then
    shift
    csv="$root/outputs/compare/netflix-shape-100m.csv"
    data="${csv%.csv}.rmx"
    mkdir -p "$(dirname "$csv")"
    [ -f "$csv" ] || "$bin" synth-matrix --users 480189 --items 17770 --nnz 100480507 --seed 42 --out "$csv"
    [ -f "$data" ] || "$bin" convert --data "$csv" --output "$data"
    exec "$here/.venv/bin/python" "$here/compare.py" --rectrain "$bin" --data "$data" --only als --quick \
       --iterations 3 "$@"
fi
data="$root/outputs/compare/longtail-50k-10k-2m.csv"
mkdir -p "$(dirname "$data")"
[ -f "$data" ] || "$bin" synth-matrix --users 50000 --items 10000 --nnz 2000000 --seed 42 --out "$data"
exec "$here/.venv/bin/python" "$here/compare.py" --rectrain "$bin" --data "$data" --shared "$root/../shared/data" "$@"
