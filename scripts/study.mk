# The study (docs/design.md, "The study"): do attention patterns derived from clusters of a
# dense model's heads keep its quality at a fraction of the attention work? On top of
# scripts/pipeline.mk (its data rules, stamps, training, analyses and figures), with four
# models trained on the same recipe and budget:
#   dense           the dense architecture, full causal attention;
#   dense_derived   the dense architecture, each head restricted to a pattern derived from
#                   the dense model's Ward clusters (derive_patterns);
#   dense_original  the dense architecture with the original's four patterns (8 heads:
#                   local8 | local16 x2 | strided x3 | global x2, original_patterns.json);
#   sparse_derived  the original sparse architecture with the derived patterns.
# Then every model's test bpc (evaluate), parameters and attention work (describe), the
# figures (each derived pattern beside its cluster's mean attention; validation bpc of all
# models against the step; the dense heads' importance against their cluster) and one table (study_summary.sh) in summary.md. Run by the
# Makefile (`make study`), which sets STUDY_MODEL for the corpus.

study_here := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
OUT ?= out/study
# The recipe of every model (flags or --flagfile=FILE), their heads per layer and, when set,
# their steps (otherwise the recipe's).
STUDY_MODEL ?= --flagfile=$(study_here)/demo.flags
HEADS ?= 8
STEPS ?=
# The sparse model's token embedding initialisation: the original's N(0, 1) times
# sqrt(d_model) starts near 2000 bpc and is still above the unigram entropy after 1200 steps
# of the demo's recipe; 0.02 is the dense model's own initialisation. Recorded in the
# checkpoint and in the table. SPARSE_INIT= trains the faithful default.
SPARSE_INIT ?= --embedding_std=0.02
# derive_patterns' share of each cluster's mean attention its pattern must hold.
COVERAGE ?= 0.9

PATTERNS := $(OUT)/analysis/derived_patterns.json
# The original's default assignment of its four patterns to 8 heads; another HEADS needs its own
# file (DefaultHeadPatternNames in lib/model/head_patterns.h gives the assignments).
ORIGINAL_PATTERNS ?= $(study_here)/original_patterns.json
study_flags = $(STUDY_MODEL) --heads=$(HEADS) $(if $(STEPS),--max_steps=$(STEPS))

MODELS := dense dense_derived dense_original sparse_derived
TOOL_dense_derived := train_dense
TOOL_dense_original := train_dense
TOOL_sparse_derived := train_sparse
FLAGS_dense = $(study_flags)
FLAGS_dense_derived = $(study_flags) --patterns=$(PATTERNS)
FLAGS_dense_original = $(study_flags) --patterns=$(ORIGINAL_PATTERNS)
FLAGS_sparse_derived = $(study_flags) --patterns=$(PATTERNS) $(SPARSE_INIT)
# One head of each original pattern.
MAP_HEADS_dense_original := 0,1,3,6
MAP_HEADS_dense_derived := 0,1,2,3
MAP_HEADS_sparse_derived := 0,1,2,3
SUMMARY := bash $(study_here)/study_summary.sh

include $(study_here)/pipeline.mk

$(call stamp,$(OUT)/analysis/derived_patterns.flags,dump_attention --num_seqs=$(NUM_SEQS) --seq_len=$(SEQ_LEN) \
  | derive_patterns --heads=$(HEADS) --coverage=$(COVERAGE))

# The dense model's attention on the validation windows its heads were measured on (the same
# dump as metrics/dense.csv), piped into derive_patterns with its Ward clusters. The report
# (stderr) is kept beside the pattern file.
$(PATTERNS) $(OUT)/analysis/cluster_means.npy $(OUT)/analysis/cluster_masks.npy &: \
    $(OUT)/analysis/dense.clusters.csv $(OUT)/analysis/derived_patterns.flags
	@echo "== dump_attention | derive_patterns (dense)" >&2
	$(BIN)/dump_attention --checkpoint=$(call ckpt,dense) --tokens=$(DATA).valid.u8 \
	    --num_seqs=$(NUM_SEQS) --seq_len=$(call seq_len,dense) \
	  | $(BIN)/derive_patterns --attention=- --clusters=$< --heads=$(HEADS) --coverage=$(COVERAGE) \
	    --output=$(PATTERNS) --means=$(OUT)/analysis/cluster_means.npy --masks=$(OUT)/analysis/cluster_masks.npy \
	    2> >(tee $(OUT)/analysis/derived_patterns.txt >&2)

# A model's pattern file is one of its inputs: a changed file trains it afresh.
$(OUT)/models/dense_derived.done $(OUT)/models/sparse_derived.done: $(PATTERNS)
$(OUT)/models/dense_original.done: $(ORIGINAL_PATTERNS)

$(OUT)/metrics/%.test.tsv: $(OUT)/models/%.done $(DATA).test.u8
	$(BIN)/evaluate --checkpoint=$(call ckpt,$*) --tokens=$(DATA).test.u8 --output=$@

$(OUT)/models/%.txt: $(OUT)/models/%.done
	$(BIN)/describe --checkpoint=$(call ckpt,$*) --output=$@

$(FIG)/study_patterns.png: $(PATTERNS) $(OUT)/analysis/cluster_means.npy $(OUT)/analysis/cluster_masks.npy
	@mkdir -p $(FIG)
	@titles=$$($(PYTHON) -c 'import json, sys; d = json.load(open(sys.argv[1]))["derived"]; \
	    print("L=%d; n=%d;" % (d["seq_len"], len(d["clusters"])), " ".join("t%d=\"cluster %d (%d heads): %s, %.2f%% of pairs\";" % \
	    (i + 1, c["cluster"], len(c["heads"]), c["pattern_text"].split(" (columns")[0], 100 * c["pair_fraction"]) \
	    for i, c in enumerate(d["clusters"])))' $(PATTERNS)); \
	for ext in png svg; do \
	  gnuplot -e "means='$(OUT)/analysis/cluster_means.npy'; masks='$(OUT)/analysis/cluster_masks.npy'; \
	    header=$(call npy_header,$(OUT)/analysis/cluster_means.npy); $$titles \
	    outfile='$(FIG)/study_patterns.$$ext'" $(study_here)/pattern_beside_mean.gp; \
	done

$(FIG)/study_validation.png: $(foreach m,$(MODELS),$(OUT)/models/$(m).done) $(OUT)/data/stats.txt
	@mkdir -p $(FIG)
	@baseline=$$(awk -F'\t' '$$1 == "train" { print $$4 }' $(OUT)/data/stats.txt); \
	gnuplot -e "logs='$(foreach m,$(MODELS),$(OUT)/logs/$(m).tsv)'; names='$(MODELS)'; baseline=$$baseline; \
	    out='$(FIG)/study_validation'" $(study_here)/validation_curves.gp

# What each of the dense model's heads is worth (head_importance on the validation split)
# against the Ward cluster it fell into.
$(OUT)/analysis/dense.importance.csv: $(OUT)/models/dense.done $(DATA).valid.u8
	$(BIN)/head_importance --checkpoint=$(call ckpt,dense) --tokens=$(DATA).valid.u8 --output=$@

$(FIG)/study_importance.png: $(OUT)/analysis/dense.importance.csv $(OUT)/analysis/dense.clusters.csv
	@mkdir -p $(FIG)
	@for ext in png svg; do \
	  gnuplot -e "importance='$<'; clusters='$(word 2,$^)'; outfile='$(FIG)/study_importance.$$ext'; \
	    title='Dense heads: importance by Ward cluster'" $(study_here)/importance.gp; \
	done

$(OUT)/summary.md: $(foreach m,$(MODELS),$(OUT)/metrics/$(m).test.tsv $(OUT)/models/$(m).txt) \
    $(FIG)/study_patterns.png $(FIG)/study_validation.png $(FIG)/study_importance.png $(PATTERNS)
