# The two entry points of the README: `make demo` (the main job) and `make test`.
SHELL := /bin/bash
BAZEL ?= bazel
BIN := bazel-bin/tools

.PHONY: setup build tools test demo enwik8 clean

setup:
	@bash scripts/setup.sh

build: setup
	$(BAZEL) build //...

# Every tool (the tests need not be built for them).
TOOLS := tokenize enwik8_fetch train_dense train_sparse generate dump_attention head_metrics \
    kmeans silhouette ward derive_patterns describe evaluate import_checkpoint head_importance
tools: setup
	$(BAZEL) build $(addprefix //tools:,$(TOOLS))

test: setup
	@bash scripts/run_tests.sh

# The main job: the whole pipeline on the built-in corpus (testdata/corpus.xml) with small
# models sized for a 2-core CPU, into out/demo/. Make variables of scripts/pipeline.mk pass
# through (K=4, TRAIN_THREADS=1, NUM_SEQS=...); a changed setting redoes what it changes.
# The sparse original starts far off (N(0,1) embeddings times sqrt(d), tied to the output:
# about 1400 nats), so it gets more of the budget.
# The model and recipe are scripts/demo.flags (800 steps); DEMO_STEPS=N trains the dense
# model for N.
DEMO_STEPS ?=
DEMO_SPARSE_STEPS ?= 1200
DEMO_MODEL := --flagfile=scripts/demo.flags
demo: tools
	@$(MAKE) --no-print-directory -f scripts/pipeline.mk OUT=out/demo \
	    FLAGS_dense="$(DEMO_MODEL) --heads=4 $(if $(DEMO_STEPS),--max_steps=$(DEMO_STEPS))" \
	    FLAGS_sparse="$(DEMO_MODEL) --heads=8 --max_steps=$(DEMO_SPARSE_STEPS)"

# The same pipeline on the real enwik8 (fetched first, into data/): PRESET=paper is the
# original's configuration (a GPU-class job); PRESET=cpu finishes on a laptop CPU in a few hours.
PRESET ?= paper
ENWIK8_paper := --preset=paper
ENWIK8_cpu := --d_model=256 --heads=8 --layers=4 --ff=1024 --seq_len=256 --batch_size=16 \
    --max_steps=10000 --eval_every=1000 --eval_batches=50
enwik8: tools
	$(BIN)/enwik8_fetch --output=data/enwik8
	@$(MAKE) --no-print-directory -f scripts/pipeline.mk OUT=out/enwik8-$(PRESET) CORPUS=data/enwik8 \
	    FLAGS_dense="$(ENWIK8_$(PRESET))" FLAGS_sparse="$(ENWIK8_$(PRESET))" NUM_SEQS=10

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

# libFuzzer (clang, ASan, UBSan) on every target of fuzz/BUILD for FUZZ_S seconds each;
# findings are kept in out/fuzz/findings/. See fuzz/fuzz.sh.
FUZZ_S ?= 60
.PHONY: fuzz
fuzz: setup
	@FUZZ_S=$(FUZZ_S) bash fuzz/fuzz.sh
