# The whole study as file-based steps: data -> tokens -> dense and sparse models ->
# attention -> head metrics -> silhouette sweep -> clusters -> figures -> summary.
# Included by the Makefile; `make demo` and `make enwik8` set the variables below.
# An interrupted run continues where it stopped (training resumes from its state file);
# `make -j` runs independent steps (the two models, their analyses) in parallel.

SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
# A step that fails leaves no output behind for the next run to trust.
.DELETE_ON_ERROR:
.SECONDARY:

OUT ?= out/demo
CORPUS ?= testdata/corpus.xml
DENSE_FLAGS ?=
SPARSE_FLAGS ?=
TRAIN_THREADS ?=
NUM_SEQS ?= 4
SEQ_LEN ?= 128
K_MAX ?= 8
# Heads whose attention maps are drawn (layer 0): one of each sparse pattern, and the
# first four heads of the dense model.
SPARSE_MAP_HEADS ?= 0,1,3,6
DENSE_MAP_HEADS ?= 0,1,2,3

BIN ?= bazel-bin/tools
DATA := $(OUT)/data/corpus
MODELS := dense sparse
FIG := $(OUT)/figures

.PHONY: pipeline
pipeline: $(OUT)/summary.md
	@cat $(OUT)/summary.md

$(DATA).train.u8 $(DATA).valid.u8 &: $(CORPUS)
	@mkdir -p $(@D)
	@echo "== tokenize $(CORPUS)" >&2
	$(BIN)/tokenize --input=$(CORPUS) --output_prefix=$(DATA) --stats > $(OUT)/data/stats.txt
	@cat $(OUT)/data/stats.txt >&2

# Training writes its best checkpoint as it goes; the .done stamp marks a finished run.
# A state file without a stamp is an interrupted run: continue it.
$(OUT)/models/%.done: $(DATA).train.u8 $(DATA).valid.u8
	@mkdir -p $(@D) $(OUT)/logs
	@echo "== train_$* -> $(OUT)/models/$*.safetensors" >&2
	$(BIN)/train_$* --train=$(DATA).train.u8 --valid=$(DATA).valid.u8 \
	    --output=$(OUT)/models/$*.safetensors --log=$(OUT)/logs/$*.tsv \
	    $(if $(TRAIN_THREADS),--threads=$(TRAIN_THREADS)) \
	    $(if $(wildcard $(OUT)/models/$*.safetensors.state),--resume) \
	    $(if $(filter dense,$*),$(DENSE_FLAGS),$(SPARSE_FLAGS)) \
	    2> >(tee $(OUT)/logs/$*.stderr >&2)
	@touch $@

$(OUT)/metrics/%.csv: $(OUT)/models/%.done
	@mkdir -p $(@D)
	@echo "== dump_attention | head_metrics ($*)" >&2
	$(BIN)/dump_attention --checkpoint=$(OUT)/models/$*.safetensors --tokens=$(DATA).valid.u8 \
	    --num_seqs=$(NUM_SEQS) --seq_len=$(SEQ_LEN) | $(BIN)/head_metrics --output=$@

$(OUT)/analysis/%.silhouette.tsv: $(OUT)/metrics/%.csv
	@mkdir -p $(@D)
	$(BIN)/silhouette --k_min=2 --k_max=$$(( $$(tail -n +2 $< | wc -l) - 1 < $(K_MAX) ? $$(tail -n +2 $< | wc -l) - 1 : $(K_MAX) )) \
	    --algorithm=ward --input=$< --output=$@

# The chosen k: the best mean silhouette of the Ward sweep.
best_k = $$(awk -F'\t' 'NR > 1 && ($$2 > best || best == "") { best = $$2; k = $$1 } END { print k }' $(1))

$(OUT)/analysis/%.clusters.csv: $(OUT)/analysis/%.silhouette.tsv $(OUT)/metrics/%.csv
	$(BIN)/kmeans --k=$(call best_k,$<) --input=$(OUT)/metrics/$*.csv --output=$@ \
	    --centroids=$(OUT)/analysis/$*.centroids.csv

$(OUT)/attention/%.npy: $(OUT)/models/%.done
	@mkdir -p $(@D)
	$(BIN)/dump_attention --checkpoint=$(OUT)/models/$*.safetensors --tokens=$(DATA).valid.u8 \
	    --num_seqs=1 --seq_len=$(SEQ_LEN) --layers=0 \
	    --heads=$(if $(filter dense,$*),$(DENSE_MAP_HEADS),$(SPARSE_MAP_HEADS)) --output=$@

# npy v1 header length: 10 bytes + the little-endian uint16 at offset 8.
npy_header = $$(( 10 + $$(od -An -tu2 -j8 -N2 $(1)) ))
# Panel labels for SPARSE_MAP_HEADS under the default 8-head assignment (DESIGN.md section 4).
sparse_map_names := local-8 local-16 strided global

$(FIG)/%.done: $(OUT)/analysis/%.clusters.csv $(OUT)/analysis/%.silhouette.tsv $(OUT)/attention/%.npy
	@mkdir -p $(FIG)
	@echo "== figures ($*)" >&2
	baseline=$$(awk -F'\t' '$$1 == "train" { print $$4 }' $(OUT)/data/stats.txt 2> /dev/null || true); \
	gnuplot -e "log='$(OUT)/logs/$*.tsv'; out='$(FIG)/$*_loss'; title='$* model: bits per byte'; $${baseline:+baseline=$$baseline}" scripts/loss_curves.gp
	@for ext in png svg; do \
	  gnuplot -e "infile='$(OUT)/analysis/$*.silhouette.tsv'; outfile='$(FIG)/$*_silhouette.$$ext'" scripts/silhouette.gp && \
	  while IFS=$$'\t' read -r metric unit definition; do \
	    gnuplot -e "infile='$(OUT)/metrics/$*.csv'; metric='$$metric'; unit='$$unit'; outfile='$(FIG)/$*_heatmap_$$metric.$$ext'" scripts/heatmap.gp || exit 1; \
	    case $$metric in distance) xunit=$$unit;; entropy) yunit=$$unit;; esac; \
	  done < <($(BIN)/head_metrics --list_metrics) && \
	  gnuplot -e "infile='$(OUT)/analysis/$*.clusters.csv'; outfile='$(FIG)/$*_metric_space.$$ext'; xunit='$$xunit'; yunit='$$yunit'" scripts/metric_space.gp && \
	  gnuplot -e "infile='$(OUT)/attention/$*.npy'; header=$(call npy_header,$(OUT)/attention/$*.npy); L=$(SEQ_LEN); \
	    heads='$(subst $(comma), ,$(if $(filter dense,$*),$(DENSE_MAP_HEADS),$(SPARSE_MAP_HEADS)))'; \
	    names='$(if $(filter sparse,$*),$(sparse_map_names))'; title='$* model, layer 0: attention probabilities'; \
	    outfile='$(FIG)/$*_attention.$$ext'" scripts/attention_map.gp || exit 1; \
	done
	@touch $@

comma := ,

$(OUT)/summary.md: $(foreach m,$(MODELS),$(FIG)/$(m).done)
	@bash scripts/summary.sh $(OUT) $(MODELS) > $@.tmp && mv $@.tmp $@
