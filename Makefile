# The two README commands: `make run` (the main job) and `make test`.
SWIFT ?= swift
OUT ?= outputs
RELEASE := $(SWIFT) build -c release
BIN = $(shell $(SWIFT) build -c release --show-bin-path)/rectrain

.PHONY: all deps build release run test bench clean

all: release

deps:
	@./scripts/install-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(RELEASE) --product rectrain

## The main job.
run: release
	$(BIN) pipeline --out $(OUT)

## Build (release, warnings visible) and run every test.
test: deps
	$(SWIFT) build -c release
	$(SWIFT) test

## package-benchmark suites (nested package; pulls its own dependencies).
bench: deps
	cd Benchmarks && $(SWIFT) package benchmark

clean:
	rm -rf .build
