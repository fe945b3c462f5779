#!/usr/bin/env bash
# End to end: the Makefile pipeline on a tiny corpus with tiny models; every output exists
# and parses. Also dump_attention's refusals and its behaviour in a pipe closed early.
set -euo pipefail
tools=$(cd tools && pwd)
work=$TEST_TMPDIR/pipeline
rm -rf "$work" && mkdir -p "$work"
head -c 60000 testdata/corpus.xml > "$work/corpus.xml"
tiny="--d_model=32 --layers=1 --ff=32 --seq_len=32 --batch_size=4 --max_steps=20 --epochs=50 \
  --eval_every=10 --eval_batches=4 --warmup_steps=5 --threads=1"
make --no-print-directory -f scripts/pipeline.mk BIN="$tools" OUT="$work/out" \
  CORPUS="$work/corpus.xml" DENSE_FLAGS="$tiny --heads=4" SPARSE_FLAGS="$tiny --heads=8" \
  NUM_SEQS=2 SEQ_LEN=32 > "$work/make.log" 2>&1 || { tail -30 "$work/make.log"; exit 1; }

out=$work/out
fail() { echo "FAIL: $*" >&2; exit 1; }
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
  [ "$(head -1 "$out/logs/$m.tsv")" = "$(printf 'step\tepoch\tsplit\tloss\tbpc\tlr\ttokens_per_s\telapsed_s')" ] \
    || fail "$m log header"
  grep -q "$(printf '\tvalid\t')" "$out/logs/$m.tsv" || fail "$m log has no validation row"
  for fig in loss silhouette metric_space heatmap_entropy heatmap_sparsity heatmap_distance attention; do
    png=$out/figures/${m}_$fig.png
    [ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "$png is not a PNG"
    grep -q "<svg" "$out/figures/${m}_$fig.svg" || fail "${m}_$fig.svg is not an SVG"
  done
done
grep -q "^| dense | " "$out/summary.md" && grep -q "^| sparse | " "$out/summary.md" || fail "summary table"

# A finished pipeline has nothing left to do.
make -q -f scripts/pipeline.mk BIN="$tools" OUT="$out" CORPUS="$work/corpus.xml" NUM_SEQS=2 SEQ_LEN=32 "$out/summary.md" \
  || fail "a second make would redo work"

# dump_attention refuses what it cannot do, in one line, leaving no output.
expect_error() {
  local name=$1; shift
  if "$tools/dump_attention" "$@" --output="$work/bad.npy" 2> "$work/err"; then fail "$name: exit 0"; fi
  [ "$(wc -l < "$work/err")" -eq 1 ] || { cat "$work/err"; fail "$name: not one line"; }
  [ ! -e "$work/bad.npy" ] || fail "$name: left output"
}
ckpt=$out/models/sparse.safetensors
valid=$out/data/corpus.valid.u8
expect_error "tokens too short" --checkpoint="$ckpt" --tokens="$valid" --num_seqs=100000 --seq_len=32
expect_error "seq_len beyond the table" --checkpoint="$ckpt" --tokens="$valid" --num_seqs=1 --seq_len=33
expect_error "head out of range" --checkpoint="$ckpt" --tokens="$valid" --num_seqs=1 --seq_len=32 --heads=8
head -c 1000 "$ckpt" > "$work/truncated.safetensors"
expect_error "truncated checkpoint" --checkpoint="$work/truncated.safetensors" --tokens="$valid" --num_seqs=1
expect_error "missing checkpoint" --checkpoint="$work/none.safetensors" --tokens="$valid" --num_seqs=1

# A reader that stops early ends the dump cleanly.
set +o pipefail
"$tools/dump_attention" --checkpoint="$ckpt" --tokens="$valid" --num_seqs=50 --seq_len=32 2> "$work/err" \
  | head -c 100 > /dev/null
status=${PIPESTATUS[0]}
set -o pipefail
[ "$status" -eq 0 ] || { cat "$work/err"; fail "closed pipe: exit $status"; }
grep -qi "error\|broken" "$work/err" && fail "closed pipe: an error was printed"
echo "pipeline_test: all checks passed"
