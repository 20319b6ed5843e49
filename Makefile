# The two README commands: `make run` (the main job) and `make test`.
SWIFT ?= swift
OUT ?= outputs
RELEASE := $(SWIFT) build -c release
BIN = $(shell $(SWIFT) build -c release --show-bin-path)/rectrain

.PHONY: all deps build release run kernels test fuzz fuzz-smoke bench bench-check clean

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

## Build (release, warnings visible), a short fuzzing smoke run of the parsers, then every test.
test: deps
	$(SWIFT) build -c release
	@$(MAKE) --no-print-directory fuzz-smoke
	$(SWIFT) test

## Every parser of outside bytes under libFuzzer for FUZZ_SECONDS each (docs/reliability.md).
FUZZ_SECONDS ?= 600
fuzz: deps
	Fuzz/run.sh $(FUZZ_SECONDS)

## The same, 2,000 deterministic inputs per parser from a fresh corpus (seconds, after the build).
fuzz-smoke: deps
	@rm -rf .build-fuzz-smoke && mkdir -p .build-fuzz-smoke
	FUZZ_WORK=$(CURDIR)/.build-fuzz-smoke FUZZ_FLAGS="-runs=2000 -seed=1" Fuzz/run.sh 60

## package-benchmark suites (nested package; pulls its own dependencies).
bench: deps
	cd Benchmarks && $(SWIFT) package benchmark

## The suites against the stored p90 thresholds (Benchmarks/Thresholds, recorded on the AMD EPYC
## development machine) with the tolerances set in each suite: non-zero exit on a regression.
bench-check: deps
	Benchmarks/check-thresholds.sh

clean:
	rm -rf .build
