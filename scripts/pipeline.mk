# The whole study as file-based steps: corpus -> tokens -> one trained model per entry of
# MODELS -> its heads' attention -> head metrics -> Ward silhouette sweep -> Ward clusters ->
# figures -> summary. Run by the Makefile (`make demo`, `make enwik8`), which sets the
# variables below.
#
# Targets depend on the settings that made them: each step's settings are kept in a stamp
# file beside its output (e.g. models/dense.flags), rewritten only when they change, and the
# step depends on it. So a changed flag redoes that step and everything after it, a finished
# pipeline with unchanged settings does nothing, and an interrupted training run with
# unchanged settings resumes from its state file. `make -j` runs independent steps (the
# models, their analyses) in parallel.

SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
# A step that fails leaves no output behind for the next run to trust.
.DELETE_ON_ERROR:
.SECONDARY:
.DEFAULT_GOAL := pipeline

here := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
OUT ?= out/demo
CORPUS ?= testdata/corpus.xml
BIN ?= bazel-bin/tools
PYTHON ?= /usr/bin/python3
# LibTorch threads of each training run (empty: the tools' default, the cores divided
# among make's -jN jobs). Not a setting of the result (a run may resume with another
# thread count).
TRAIN_THREADS ?=

# The models, one entry each: a name in MODELS, and per name M
#   TOOL_M       its training tool (default train_M),
#   FLAGS_M      the tool's flags (model and recipe),
#   MAP_HEADS_M  the heads of layer 0 whose attention maps are drawn (default 0,1,2,3).
# A new model is one more name and its variables, e.g.
#   MODELS="dense sparse local" TOOL_local=train_sparse FLAGS_local="--mask_subset=03"
MODELS ?= dense sparse
FLAGS_dense ?=
FLAGS_sparse ?=
MAP_HEADS_dense ?= 0,1,2,3
# One head of each of the original's patterns under its 8-head assignment.
MAP_HEADS_sparse ?= 0,1,3,6

# The analysis: NUM_SEQS windows of SEQ_LEN bytes of the validation split (empty SEQ_LEN: the
# length the model was trained on); Ward clusters at K, or (empty K) at the k in
# K_MIN..K_MAX with the best mean silhouette, as the original chose its clusters.
NUM_SEQS ?= 4
SEQ_LEN ?=
K ?=
K_MIN ?= 2
K_MAX ?= 8

DATA := $(OUT)/data/corpus
FIG := $(OUT)/figures
comma := ,
tool = $(or $(TOOL_$(1)),train_$(1))
map_heads = $(or $(MAP_HEADS_$(1)),0$(comma)1$(comma)2$(comma)3)
ckpt = $(OUT)/models/$(1).safetensors
# The window length of model $(1)'s analysis (a shell expression).
seq_len = $(or $(SEQ_LEN),$$($(PYTHON) $(here)/checkpoint.py meta $(call ckpt,$(1)) seq_len))

# The contents of the --flagfile=FILE flags of model $(1): settings too.
flag_files = $(foreach f,$(patsubst --flagfile=%,%,$(filter --flagfile=%,$(FLAGS_$(1)))),$(file <$(f)))
# stamp(FILE,SETTINGS): FILE holds SETTINGS, rewritten (at parse time) only when they differ
# from what it holds, so its time is when the settings last changed. Under `make -n` or
# `make -q` nothing is written: a stamp that would change only counts as out of date.
differ = $(subst $(1),,$(2))$(subst $(2),,$(1))
dry_run := $(findstring n,$(firstword -$(MAKEFLAGS)))$(findstring q,$(firstword -$(MAKEFLAGS)))
# Compared without leading, trailing and repeated white space: GNU make 4.3's $(file <) keeps
# a file's trailing newline when its buffer grows during the read.
stamp = $(if $(call differ,$(strip $(file <$(1))),$(strip $(2))),$(if $(dry_run),$(eval $(1): FORCE ;),\
  $(shell mkdir -p $(dir $(1)))$(file >$(1),$(2))))
.PHONY: FORCE
$(call stamp,$(DATA).flags,tokenize --input=$(CORPUS))
$(foreach m,$(MODELS),\
  $(call stamp,$(OUT)/models/$(m).flags,$(call tool,$(m)) $(FLAGS_$(m)) $(call flag_files,$(m)))\
  $(call stamp,$(OUT)/metrics/$(m).flags,dump_attention --num_seqs=$(NUM_SEQS) --seq_len=$(SEQ_LEN))\
  $(call stamp,$(OUT)/analysis/$(m).flags,ward --k=$(or $(K),best) --k_min=$(K_MIN) --k_max=$(K_MAX))\
  $(call stamp,$(OUT)/attention/$(m).flags,dump_attention --heads=$(call map_heads,$(m)) --seq_len=$(SEQ_LEN)))

.PHONY: pipeline
pipeline: $(OUT)/summary.md
	@cat $(OUT)/summary.md

$(DATA).train.u8 $(DATA).valid.u8 $(DATA).test.u8 $(OUT)/data/stats.txt &: $(CORPUS) $(DATA).flags
	@echo "== tokenize $(CORPUS)" >&2
	$(BIN)/tokenize --input=$(CORPUS) --output_prefix=$(DATA) --stats > $(OUT)/data/stats.txt.tmp
	@mv $(OUT)/data/stats.txt.tmp $(OUT)/data/stats.txt
	@cat $(OUT)/data/stats.txt >&2

# Training writes its best checkpoint as it goes; the .done stamp marks a finished run. A
# state file newer than every input (tokens, settings) is an interrupted run of these
# settings: continue it. Otherwise the outputs of other settings are removed and the run
# starts afresh (so no --overwrite is needed, and an interrupted restart never resumes the
# old settings' state).
$(OUT)/models/%.done: $(DATA).train.u8 $(DATA).valid.u8 $(OUT)/models/%.flags
	@mkdir -p $(OUT)/logs
	@state=$(call ckpt,$*).state; resume=--resume; \
	for input in $^; do [ "$$state" -nt "$$input" ] || resume=; done; \
	[ -n "$$resume" ] || rm -f $(call ckpt,$*) "$$state" $(OUT)/logs/$*.tsv $(OUT)/logs/$*.stderr; \
	cmd=($(BIN)/$(call tool,$*) --train=$(DATA).train.u8 --valid=$(DATA).valid.u8 \
	    --output=$(call ckpt,$*) --log=$(OUT)/logs/$*.tsv $$resume \
	    $(if $(TRAIN_THREADS),--threads=$(TRAIN_THREADS)) $(FLAGS_$*)); \
	echo "== $${cmd[*]}" >&2; \
	"$${cmd[@]}" 2> >(tee -a $(OUT)/logs/$*.stderr >&2)
	@touch $@

$(OUT)/metrics/%.csv: $(OUT)/models/%.done $(OUT)/metrics/%.flags
	@echo "== dump_attention | head_metrics ($*)" >&2
	$(BIN)/dump_attention --checkpoint=$(call ckpt,$*) --tokens=$(DATA).valid.u8 \
	    --num_seqs=$(NUM_SEQS) --seq_len=$(call seq_len,$*) | $(BIN)/head_metrics --output=$@

# The sweep the figure shows (silhouette lowers K_MAX to the number of heads - 1 itself).
$(OUT)/analysis/%.silhouette.tsv: $(OUT)/metrics/%.csv $(OUT)/analysis/%.flags
	$(BIN)/silhouette --k_min=$(K_MIN) --k_max=$(K_MAX) --algorithm=ward --input=$< --output=$@

$(OUT)/analysis/%.clusters.csv: $(OUT)/metrics/%.csv $(OUT)/analysis/%.flags
	$(BIN)/ward --k=$(or $(K),best) --k_min=$(K_MIN) --k_max=$(K_MAX) --input=$< --output=$@ \
	    --centroids=$(OUT)/analysis/$*.centroids.csv

$(OUT)/attention/%.npy: $(OUT)/models/%.done $(OUT)/attention/%.flags
	$(BIN)/dump_attention --checkpoint=$(call ckpt,$*) --tokens=$(DATA).valid.u8 \
	    --num_seqs=1 --seq_len=$(call seq_len,$*) --layers=0 --heads=$(call map_heads,$*) --output=$@

# npy v1 header length: 10 bytes + the little-endian uint16 at offset 8.
npy_header = $$(( 10 + $$(od -An -tu2 -j8 -N2 $(1)) ))

# Figures, PNG and SVG: the loss curves with the unigram baseline, the silhouette sweep with
# the chosen k, a heat map per metric (head_metrics --list_metrics names them), the heads in
# metric space by cluster, and the attention maps, each head named by its pattern (from the
# checkpoint; a model without patterns attends to every earlier byte).
$(FIG)/%.done: $(OUT)/analysis/%.clusters.csv $(OUT)/analysis/%.silhouette.tsv $(OUT)/attention/%.npy $(OUT)/data/stats.txt
	@mkdir -p $(FIG)
	@echo "== figures ($*)" >&2
	@baseline=$$(awk -F'\t' '$$1 == "train" { print $$4 }' $(OUT)/data/stats.txt); \
	gnuplot -e "log='$(OUT)/logs/$*.tsv'; out='$(FIG)/$*_loss'; title='$* model: bits per byte'; baseline=$$baseline" $(here)/loss_curves.gp
	@chosen=$$(tail -n +2 $(OUT)/analysis/$*.clusters.csv | awk -F, '{ print $$NF }' | sort -un | wc -l); \
	L=$(call seq_len,$*); \
	names=$$($(PYTHON) $(here)/checkpoint.py patterns $(call ckpt,$*) 0 $(call map_heads,$*)); \
	for ext in png svg; do \
	  gnuplot -e "infile='$(OUT)/analysis/$*.silhouette.tsv'; outfile='$(FIG)/$*_silhouette.$$ext'; chosen=$$chosen" $(here)/silhouette.gp; \
	  while IFS=$$'\t' read -r metric unit definition; do \
	    gnuplot -e "infile='$(OUT)/metrics/$*.csv'; metric='$$metric'; unit='$$unit'; outfile='$(FIG)/$*_heatmap_$$metric.$$ext'" $(here)/heatmap.gp; \
	    case $$metric in distance) xunit=$$unit;; entropy) yunit=$$unit;; esac; \
	  done < <($(BIN)/head_metrics --list_metrics); \
	  gnuplot -e "infile='$(OUT)/analysis/$*.clusters.csv'; outfile='$(FIG)/$*_metric_space.$$ext'; xunit='$$xunit'; yunit='$$yunit'; algorithm='Ward'" $(here)/metric_space.gp; \
	  gnuplot -e "infile='$(OUT)/attention/$*.npy'; header=$(call npy_header,$(OUT)/attention/$*.npy); L=$$L; \
	    heads='$(subst $(comma), ,$(call map_heads,$*))'; names='$$names'; \
	    title='$* model, layer 0: attention probabilities'; outfile='$(FIG)/$*_attention.$$ext'" $(here)/attention_map.gp; \
	done
	@touch $@

# The closing report, `$(SUMMARY) OUT MODEL...` (the study's has a table of its own).
SUMMARY ?= bash $(here)/summary.sh
$(OUT)/summary.md: $(foreach m,$(MODELS),$(FIG)/$(m).done)
	@$(SUMMARY) $(OUT) $(MODELS) > $@.tmp && mv $@.tmp $@
