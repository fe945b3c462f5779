#!/usr/bin/env bash
# End to end: the Makefile pipeline on a tiny corpus with tiny models; every output exists
# and parses, the clusters are Ward's at the best silhouette, the summary explains itself,
# the attention maps name their patterns. Then the targets' dependence on their settings: a
# finished pipeline does nothing, a changed training flag retrains that model (afresh) and
# redoes its analysis only, a changed K reclusters only, an interrupted run resumes. Also
# dump_attention's refusals and its behaviour in a pipe closed early.
set -uo pipefail
T=$(pwd)
tools=$T/tools
source "$T/tools/test_lib.sh"
work=$W/pipeline
rm -rf "$work" && mkdir -p "$work"
words_corpus "$work/corpus.txt" 60000 1
tiny="--d_model=32 --layers=1 --ff=32 --seq_len=32 --batch_size=4 --epochs=50 \
  --eval_every=10 --eval_batches=4 --warmup_steps=5 --threads=1"
printf '%s\n' $tiny > "$work/tiny.flags"
pipeline() {  # OUT DENSE_STEPS [make arguments...]
  local out=$1 steps=$2; shift 2
  make --no-print-directory -f scripts/pipeline.mk BIN="$tools" OUT="$out" CORPUS="$work/corpus.txt" \
    FLAGS_dense="--flagfile=$work/tiny.flags --max_steps=$steps --heads=4" \
    FLAGS_sparse="$tiny --max_steps=20 --heads=8" NUM_SEQS=2 "$@"
}
pipeline "$work/out" 20 > "$work/make.log" 2>&1 || { tail -30 "$work/make.log"; fail "make"; finish; }

out=$work/out
for m in dense sparse; do
  [ "$(head -1 "$out/metrics/$m.csv")" = "layer,head,entropy,sparsity,distance" ] || fail "$m metrics header"
  rows=$(tail -n +2 "$out/metrics/$m.csv" | wc -l)
  want=$([ $m = dense ] && echo 4 || echo 8)
  [ "$rows" -eq "$want" ] || fail "$m metrics has $rows rows, want $want"
  awk -F, 'NR > 1 && NF != 5 { exit 1 } NR > 1 && ($3 + 0 < 0 || $4 + 0 < 0 || $4 + 0 > 1) { exit 1 }' \
    "$out/metrics/$m.csv" || fail "$m metrics rows"
  [ "$(head -1 "$out/analysis/$m.clusters.csv")" = "layer,head,entropy,sparsity,distance,cluster" ] \
    || fail "$m clusters header"
  awk -F'\t' 'NR == 1 && $1 != "k" { exit 1 } NR > 1 && (NF != 2 || $1 < 2) { exit 1 } END { if (NR < 2) exit 1 }' \
    "$out/analysis/$m.silhouette.tsv" || fail "$m silhouette rows"
  # The clusters are Ward's cut at the best k of the Ward sweep (the first on a tie).
  best=$(awk -F'\t' 'NR > 1 && (b == "" || $2 > b) { b = $2; k = $1 } END { print k }' "$out/analysis/$m.silhouette.tsv")
  "$tools/ward" --k="$best" --input="$out/metrics/$m.csv" > "$work/ward.csv" 2> /dev/null
  cmp -s "$work/ward.csv" "$out/analysis/$m.clusters.csv" || fail "$m clusters are not ward --k=$best"
  [ "$(head -1 "$out/logs/$m.tsv")" = "$(printf 'step\tepoch\tsplit\tloss\tbpc\tlr\ttokens_per_s\telapsed_s')" ] \
    || fail "$m log header"
  grep -q "$(printf '\tvalid\t')" "$out/logs/$m.tsv" || fail "$m log has no validation row"
  for fig in loss silhouette metric_space heatmap_entropy heatmap_sparsity heatmap_distance attention; do
    png=$out/figures/${m}_$fig.png
    [ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "$png is not a PNG"
    grep -q "<svg" "$out/figures/${m}_$fig.svg" || fail "${m}_$fig.svg is not an SVG"
  done
done
# The sparse maps name the patterns of heads 0, 1, 3, 6 (the 8-head assignment of
# docs/design.md, section 6); the loss plot draws the baseline.
for panel in "head 0 (local8)" "head 1 (local16)" "head 3 (strided)" "head 6 (global)"; do
  grep -qF "$panel" "$out/figures/sparse_attention.svg" || fail "sparse attention map lacks '$panel'"
done
grep -q "unigram entropy of the corpus" "$out/figures/dense_loss.svg" || fail "no baseline in the loss plot"

# The summary: both models, steps trained, the baseline from tokenize --stats, a warning for
# a model above it (20 steps are far from enough), and what the numbers mean.
summary=$out/summary.md
baseline=$(awk -F'\t' '$1 == "train" { printf "%.4f", $4 }' "$out/data/stats.txt")
grep -q "^| dense | 20 | " "$summary" && grep -q "^| sparse | 20 | " "$summary" || fail "summary table: $(cat "$summary")"
grep -qF "unigram baseline: $baseline bits per byte" "$summary" || fail "summary lacks the baseline $baseline"
grep -q "^\*\*Warning: sparse did not beat the unigram baseline\*\*" "$summary" || fail "no warning for sparse"
grep -q "^What the numbers mean" "$summary" || fail "summary does not explain itself"

# A finished pipeline has nothing left to do.
pipeline "$out" 20 -q "$out/summary.md" || fail "a second make would redo work"
pipeline "$out" 20 -q "$out/summary.md" K=2 && fail "make -q misses a changed K"
pipeline "$out" 20 -q "$out/summary.md" || fail "make -q changed a stamp"
cp "$work/tiny.flags" "$work/tiny.flags.orig" && echo "--seed=1" >> "$work/tiny.flags"
pipeline "$out" 20 -q "$out/summary.md" && fail "make -q misses a changed flag file"
cp "$work/tiny.flags.orig" "$work/tiny.flags"

# A changed training flag of a finished run: that model is trained again from the start (no
# --resume), its analysis redone; the other model is left alone.
cp "$out/models/dense.safetensors" "$work/dense20.safetensors"
cp "$out/models/sparse.safetensors" "$work/sparse20.safetensors"
touch "$work/before"
pipeline "$out" 30 > "$work/make30.log" 2>&1 || { tail -30 "$work/make30.log"; fail "make with 30 steps"; }
grep -q "^== .*train_dense .*--flagfile=.* --max_steps=30" "$work/make30.log" || fail "dense not retrained: $(cat "$work/make30.log")"
grep -q "^== .*train_dense .*--resume" "$work/make30.log" && fail "dense resumed a run of other flags"
grep -q "train_sparse" "$work/make30.log" && fail "sparse retrained for a dense flag"
[ "$(tail -1 "$out/logs/dense.tsv" | cut -f1)" = 30 ] || fail "dense log does not end at step 30"
[ "$(grep -c $'\tvalid\t' "$out/logs/dense.tsv")" -eq 3 ] || fail "dense log is not one fresh run: $(cat "$out/logs/dense.tsv")"
cmp -s "$out/models/sparse.safetensors" "$work/sparse20.safetensors" || fail "sparse checkpoint changed"
for f in metrics/dense.csv analysis/dense.clusters.csv figures/dense_loss.png summary.md; do
  [ "$out/$f" -nt "$work/before" ] || fail "$f not redone after retraining"
done
for f in metrics/sparse.csv analysis/sparse.clusters.csv; do
  [ "$out/$f" -nt "$work/before" ] && fail "$f redone, though sparse did not change"
done
grep -q "^| dense | 30 | " "$out/summary.md" || fail "summary: $(cat "$out/summary.md")"

# A changed K reclusters both models and trains nothing.
pipeline "$out" 30 K=2 > "$work/makek.log" 2>&1 || { tail -30 "$work/makek.log"; fail "make K=2"; }
grep -q "train_" "$work/makek.log" && fail "K=2 retrained a model"
for m in dense sparse; do
  [ "$(tail -n +2 "$out/analysis/$m.clusters.csv" | cut -d, -f6 | sort -u | wc -l)" -eq 2 ] || fail "$m: K=2 ignored"
  grep -q "^| $m | 2 | " "$out/summary.md" || fail "summary with K=2: $(cat "$out/summary.md")"
done

# An interrupted run with the same flags resumes: a dense run paused at step 10 (as if
# killed after its last save) is continued by make to the same weights as the 20-step run.
out2=$work/out2
pipeline "$out2" 20 "$out2/data/corpus.train.u8" > "$work/make2.log" 2>&1 || fail "make data: $(cat "$work/make2.log")"
"$tools/train_dense" --train="$out2/data/corpus.train.u8" --valid="$out2/data/corpus.valid.u8" \
  --output="$out2/models/dense.safetensors" --log="$out2/logs/dense.tsv" --flagfile="$work/tiny.flags" \
  --max_steps=20 --heads=4 \
  --stop_after=10 2> "$work/pause.err" || fail "paused run: $(cat "$work/pause.err")"
pipeline "$out2" 20 > "$work/make2.log" 2>&1 || { tail -30 "$work/make2.log"; fail "make after the pause"; }
grep -q "^== .*train_dense .*--resume" "$work/make2.log" || fail "the paused run was not resumed: $(cat "$work/make2.log")"
grep -q "^== .*train_sparse .*--resume" "$work/make2.log" && fail "sparse resumed without a state"
cmp -s "$out2/models/dense.safetensors" "$work/dense20.safetensors" || fail "resumed run differs from the 20-step run"

# dump_attention refuses what it cannot do, in one line, leaving no output.
refuses() {
  local name=$1; shift
  if "$tools/dump_attention" "$@" --output="$work/bad.npy" 2> "$work/err"; then fail "$name: exit 0"; fi
  [ "$(wc -l < "$work/err")" -eq 1 ] || fail "$name: not one line: $(cat "$work/err")"
  [ ! -e "$work/bad.npy" ] || fail "$name: left output"
}
ckpt=$out/models/sparse.safetensors
valid=$out/data/corpus.valid.u8
refuses "tokens too short" --checkpoint="$ckpt" --tokens="$valid" --num_seqs=100000 --seq_len=32
refuses "seq_len beyond the table" --checkpoint="$ckpt" --tokens="$valid" --num_seqs=1 --seq_len=33
refuses "head out of range" --checkpoint="$ckpt" --tokens="$valid" --num_seqs=1 --seq_len=32 --heads=8
head -c 1000 "$ckpt" > "$work/truncated.safetensors"
refuses "truncated checkpoint" --checkpoint="$work/truncated.safetensors" --tokens="$valid" --num_seqs=1
refuses "missing checkpoint" --checkpoint="$work/none.safetensors" --tokens="$valid" --num_seqs=1

# A reader that stops early ends the dump cleanly.
"$tools/dump_attention" --checkpoint="$ckpt" --tokens="$valid" --num_seqs=50 --seq_len=32 2> "$work/err" \
  | head -c 100 > /dev/null
status=${PIPESTATUS[0]}
[ "$status" -eq 0 ] || fail "closed pipe: exit $status: $(cat "$work/err")"
grep -qi "error\|broken" "$work/err" && fail "closed pipe: an error was printed"
finish
