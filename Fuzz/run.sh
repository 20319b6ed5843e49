#!/usr/bin/env bash
# Builds the libFuzzer harness (AddressSanitizer, LeakSanitizer and coverage on every module) and
# fuzzes each parser of outside bytes for SECONDS (default 600). New corpus entries go to
# .work/TARGET (kept between runs; FUZZ_WORK=DIR to use another), crashes, hangs, leaks and
# out-of-memory inputs to artifacts/TARGET/. Exits non-zero when any target found one.
#   Fuzz/run.sh [SECONDS] [TARGET...]      targets: ratings catalog movielens model world (default all)
# More libFuzzer options through FUZZ_FLAGS, e.g. FUZZ_FLAGS="-runs=2000 -seed=1" (make fuzz-smoke).
set -uo pipefail
cd "$(dirname "$0")"
seconds=${1:-600}; shift || true
targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(ratings catalog movielens model world)
work=${FUZZ_WORK:-.work}
mkdir -p "$work"
runtime=$(ls "$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")"/lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a | head -1)
[ -f "$runtime" ] || { echo "error: libFuzzer's runtime (libclang_rt.fuzzer_no_main) is not in this Swift toolchain" >&2; exit 1; }
# SwiftPM gives every executable its own main, so libFuzzer comes without one and the harness
# calls its driver (LLVMFuzzerRunDriver). -sanitize=fuzzer goes to the compiler only (coverage);
# the link takes the no-main runtime instead of the one with main.
# FUZZ_CONFIG=debug (make fuzz-smoke): an unoptimised build, a minute faster to compile, for
# runs of a few thousand inputs; long runs keep the optimised one.
config=${FUZZ_CONFIG:-release}
swift build -c "$config" -Xswiftc -sanitize=address -Xswiftc -Xfrontend -Xswiftc -sanitize=fuzzer,address \
    -Xlinker "$runtime" -Xlinker -lstdc++ > "$work/build.log" 2>&1 || { grep -v "Cannot export" "$work/build.log" | tail -20; exit 1; }
bin=.build/$config/recommend-fuzz
failed=0; passed=0
for t in "${targets[@]}"; do
  mkdir -p "$work/$t" "artifacts/$t"
  # Swift's backtracer would hold a crashing process for minutes; libFuzzer reports the crash.
  SWIFT_BACKTRACE=enable=no FUZZ_TARGET=$t "$bin" "$work/$t" "corpus/$t" -max_total_time="$seconds" \
      -timeout=10 -rss_limit_mb=3072 -malloc_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
      -artifact_prefix="artifacts/$t/" ${FUZZ_FLAGS:-} > "$work/$t.log" 2>&1
  status=$?
  runs=$(grep -m1 "stat::number_of_executed_units" "$work/$t.log" | awk '{print $2}')
  cov=$(grep -oE "cov: [0-9]+" "$work/$t.log" | tail -1)
  if [ $status -eq 0 ]; then
    echo "$t: ${runs:-?} runs, ${cov:-cov: ?} edges, no crash, hang or leak"
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "$t: FAILED (libFuzzer exit $status): $(grep -m1 -E "ERROR|SUMMARY" "$work/$t.log")"
    grep -E "Test unit written" "$work/$t.log" | tail -1
  fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
