#!/usr/bin/env bash
# The README's "same as plain shell pipelines" block, extracted verbatim and run in a fresh
# folder laid out as the repository (scripts/, testdata/) on the built-in corpus, with tiny
# settings through its variables (the tools, a flag file that reads scripts/demo.flags and
# shrinks it, a short window): every step works, its outputs are all under out/shell/, and
# nothing else is left in the folder.
set -uo pipefail
T=$(pwd)
source "$T/tools/test_lib.sh"
export PATH=/usr/bin:$PATH  # python3 with numpy (Debian's)

awk '/^<!-- scripts\/readme_pipeline_test.sh runs the next block -->$/ { marked = 1; next }
     marked && /^```sh$/ { inside = 1; next }
     inside && /^```$/ { exit }
     inside { print }' "$T/README.md" > "$W/block.sh"
[ "$(wc -l < "$W/block.sh")" -ge 10 ] || { fail "no shell block after the marker in README.md"; finish; }
# The defaults the block names exist.
for f in scripts/demo.flags testdata/corpus.xml; do
  grep -qF -- "$f" "$W/block.sh" || fail "the block no longer defaults to $f"
  [ -f "$T/$f" ] || fail "$f does not exist"
done

repo=$W/repo
mkdir -p "$repo"
ln -s "$T/scripts" "$repo/scripts"
ln -s "$T/testdata" "$repo/testdata"
cat > "$W/tiny.flags" <<FLAGS
--flagfile=$T/scripts/demo.flags
--d_model=32
--layers=1
--ff=32
--heads=4
--batch_size=4
--max_steps=10
--eval_every=5
--eval_batches=2
--warmup_steps=2
--threads=1
FLAGS
(cd "$repo" && B=$T/tools TRAIN_FLAGS=$W/tiny.flags SEQ_LEN=32 bash -euo pipefail "$W/block.sh") \
  > "$W/out.txt" 2> "$W/err.txt" || { tail -20 "$W/err.txt"; fail "the README block failed"; finish; }

s=$repo/out/shell
[ "$(ls -A "$repo" | tr '\n' ' ')" = "out scripts testdata " ] || fail "left in the folder: $(ls -A "$repo")"
[ "$(ls -A "$repo/out")" = shell ] || fail "outside out/shell: $(ls -A "$repo/out")"
for f in data/corpus.train.u8 data/corpus.valid.u8 stats.txt models/dense.safetensors models/sparse.safetensors \
         models/dense.safetensors.log.tsv dense_metrics.csv silhouette.tsv clusters.csv centroids.csv \
         dense_loss.png silhouette.png metric_space.png entropy.png; do
  [ -s "$s/$f" ] || fail "no $f"
done
[ "$(tail -n +2 "$s/dense_metrics.csv" | wc -l)" -eq 4 ] || fail "dense metrics: $(cat "$s/dense_metrics.csv")"
[ "$(head -1 "$s/clusters.csv")" = "layer,head,entropy,sparsity,distance,cluster" ] || fail "clusters header"
[ "$(python3 "$T/scripts/checkpoint.py" meta "$s/models/sparse.safetensors" step)" = 10 ] || fail "sparse: not 10 steps"
# The sparse model's attention, read in Python from the pipe: 2 records of [1, 4, 32, 32].
[ "$(cat "$W/out.txt")" = "$(printf 'record 0: shape (1, 4, 32, 32), float32, sum 128\nrecord 1: shape (1, 4, 32, 32), float32, sum 128')" ] ||
  fail "read_attention output: $(cat "$W/out.txt")"
finish
