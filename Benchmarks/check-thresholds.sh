#!/usr/bin/env bash
# Runs the package-benchmark suites against the p90 thresholds in Thresholds/ (make bench-check).
# package-benchmark exits non-zero for regressions and improvements alike; this fails only on a
# regression (or missing thresholds) and reports improvements, which call for recording anew:
#   swift package --allow-writing-to-package-directory benchmark thresholds update
set -uo pipefail
cd "$(dirname "$0")"
out=$(swift package benchmark thresholds check --no-progress 2>&1)
status=$?
printf '%s\n' "$out"
if grep -q -e "WORSE than the defined thresholds" -e "Could not find any matching" -e "No benchmarks matching" <<<"$out"; then
    echo "bench-check: regression beyond the tolerances above" >&2
    exit 2
fi
if [ "$status" -ne 0 ] && ! grep -q "BETTER than the defined thresholds" <<<"$out"; then
    echo "bench-check: the benchmark run failed (status $status)" >&2
    exit "$status"
fi
grep -q "BETTER than the defined thresholds" <<<"$out" && echo "bench-check: no regression; some results beat the thresholds (consider recording them anew)"
exit 0
