# The two README commands: `make run` (the main job) and `make test`.
SWIFT ?= swift
OUT ?= outputs
RELEASE := $(SWIFT) build -c release
BIN = $(shell $(SWIFT) build -c release --show-bin-path)/rectrain

.PHONY: all deps build release run kernels test fuzz fuzz-smoke api-fuzz api-fuzz-smoke serve-bench bench bench-check clean

all: release

deps:
	@./scripts/install-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(RELEASE) --product rectrain

DATA := $(OUT)/longtail-50k-10k-2m.csv
KERNELS ?= als svd nmf cosine topn

## The main job: the whole pipeline at the default scale (world, features, every model,
## segments, the 12-panel dashboard and the reports) into $(OUT).
run: release
	$(BIN) pipeline --out $(OUT) --seed 42

## Time every factorization kernel on a long-tailed 50,000 × 10,000 matrix with 2,000,000 interactions.
kernels: release
	@mkdir -p $(OUT)
	@test -f $(DATA) || $(BIN) synth-matrix --users 50000 --items 10000 --nnz 2000000 --seed 42 --out $(DATA)
	@for kernel in $(KERNELS); do echo "== $$kernel"; $(BIN) bench --kernel $$kernel --data $(DATA) --repeats 1 --threads 2 || exit 1; done

## A short fuzzing smoke run of the parsers, every test, distributed training under mpirun
## against the single process (scripts/test-distributed.sh, docs/distributed.md), then a short
## schemathesis run of the HTTP API (docs/serving.md). The tests run on an optimised build
## (`swift test -c release`, which keeps `@testable` imports): the numerical tests and the
## binaries the end-to-end tests spawn ran 10-20x slower unoptimised, and the suite took 293 s
## where it now takes about 20 s, against some 3 minutes more of compiling.
TEST_BIN = $(CURDIR)/.build/release/rectrain
test: deps
	@$(MAKE) --no-print-directory fuzz-smoke
	$(SWIFT) test -c release
	scripts/test-distributed.sh $(TEST_BIN)
	@$(MAKE) --no-print-directory api-fuzz-smoke

## Every parser of outside bytes under libFuzzer for FUZZ_SECONDS each (docs/reliability.md).
FUZZ_SECONDS ?= 600
fuzz: deps
	Fuzz/run.sh $(FUZZ_SECONDS)

## The same, 2,000 deterministic inputs per parser from a fresh corpus (seconds, after the build).
fuzz-smoke: deps
	@rm -rf .build-fuzz-smoke && mkdir -p .build-fuzz-smoke
	FUZZ_WORK=$(CURDIR)/.build-fuzz-smoke FUZZ_CONFIG=debug FUZZ_FLAGS="-runs=2000 -seed=1" Fuzz/run.sh 60

## schemathesis against `rectrain serve` from docs/openapi.yaml: ALS and session models of a
## small generated world, FUZZ_API_EXAMPLES cases per operation and phase (virtual environment
## .venv-fuzz from PyPI on first use).
API_FUZZ_DIR := .build-api-fuzz
API_FUZZ_BIN ?= $(TEST_BIN)
api-fuzz-models:
	@mkdir -p $(API_FUZZ_DIR)
	@test -f $(API_FUZZ_DIR)/world/interactions.csv || $(API_FUZZ_BIN) generate --out $(API_FUZZ_DIR)/world --users 400 --titles 200 --interactions 8000 --sessions 1500 --seed 7 --quiet
	@test -f $(API_FUZZ_DIR)/als.model || $(API_FUZZ_BIN) train --data $(API_FUZZ_DIR)/world --model als --factors 16 --output $(API_FUZZ_DIR)/als.model --quiet
	@test -f $(API_FUZZ_DIR)/session.model || $(API_FUZZ_BIN) train --data $(API_FUZZ_DIR)/world --model session --output $(API_FUZZ_DIR)/session.model --quiet
api-fuzz-smoke: deps api-fuzz-models
	FUZZ_API_EXAMPLES=$${FUZZ_API_EXAMPLES:-20} FUZZ_API_SEED=$${FUZZ_API_SEED:-1} scripts/fuzz-api.sh $(API_FUZZ_BIN) $(API_FUZZ_DIR)/als.model $(API_FUZZ_DIR)/session.model
api-fuzz: deps api-fuzz-models
	scripts/fuzz-api.sh $(API_FUZZ_BIN) $(API_FUZZ_DIR)/als.model $(API_FUZZ_DIR)/session.model

## Latency and throughput of `rectrain serve` under wrk on ML-100K models (docs/serving.md).
serve-bench: release
	Benchmarks/serve-bench.sh $(BIN)

## package-benchmark suites (nested package; pulls its own dependencies).
bench: deps
	cd Benchmarks && $(SWIFT) package benchmark

## The suites against the stored p90 thresholds (Benchmarks/Thresholds, recorded on the AMD EPYC
## development machine) with the tolerances set in each suite: non-zero exit on a regression.
bench-check: deps
	Benchmarks/check-thresholds.sh

clean:
	rm -rf .build
