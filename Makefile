# The two entry points of the README: `make demo` (the main job) and `make test`.
SHELL := /bin/bash
BAZEL ?= bazel
BIN := bazel-bin/tools

.PHONY: setup build test demo clean

setup:
	@bash scripts/setup.sh

build: setup
	$(BAZEL) build //...

test: setup
	@bash scripts/run_tests.sh

demo: build
	@bash scripts/demo.sh

clean:
	rm -rf out
