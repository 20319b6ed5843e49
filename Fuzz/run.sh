#!/usr/bin/env bash
# Builds the libFuzzer harness (AddressSanitizer + coverage) and fuzzes each parser of outside
# bytes for SECONDS (default 600). New corpus entries go to .work/TARGET (kept between runs),
# crashes, hangs and out-of-memory inputs to artifacts/TARGET/. Usage:
#   Fuzz/run.sh [SECONDS] [TARGET...]      targets: ratings catalog movielens model (default all)
# Options for libFuzzer can be added with FUZZ_FLAGS, e.g. FUZZ_FLAGS=-jobs=2.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-600}; shift || true
targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(ratings catalog movielens model)
runtime=$(ls "$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")"/lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a | head -1)
# SwiftPM gives every executable its own main, so libFuzzer comes without one and the harness
# calls its driver (LLVMFuzzerRunDriver); coverage and AddressSanitizer instrument every module.
swift build -c release -Xswiftc -sanitize=address -Xswiftc -Xfrontend -Xswiftc -sanitize=fuzzer,address \
    -Xlinker "$runtime" -Xlinker -lstdc++ 2>&1 | grep -v "Cannot export local symbol" | tail -1
bin=.build/release/recommend-fuzz
for t in "${targets[@]}"; do
  mkdir -p ".work/$t" "artifacts/$t"
  echo "== $t for ${seconds}s"
  # Swift's backtracer would hold a crashing process for minutes; libFuzzer reports the crash.
  SWIFT_BACKTRACE=enable=no FUZZ_TARGET=$t "$bin" ".work/$t" "corpus/$t" -max_total_time="$seconds" \
      -timeout=10 -rss_limit_mb=3072 -malloc_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
      -artifact_prefix="artifacts/$t/" ${FUZZ_FLAGS:-} 2>&1 | tee ".work/$t.log" | grep -E "^#[0-9]+.*(DONE|pulse)|ERROR|stat::|Test unit written" | tail -12
done
