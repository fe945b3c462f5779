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

# The analysis figures (PNG and SVG) into FIG_DIR: silhouette against k, the heads in
# metric space, a layer x head heat map per metric. See docs/analysis.md.
FIG_METRICS ?= testdata/analysis/seed_head_metrics.csv
FIG_DIR ?= out/figures
FIG_K ?= 4
.PHONY: figures
figures: setup
	@bash scripts/figures.sh $(FIG_METRICS) $(FIG_DIR) $(FIG_K)
