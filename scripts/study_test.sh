#!/usr/bin/env bash
# End to end: scripts/study.mk on a tiny corpus with tiny models. The table has the four
# models with numeric columns (the dense one computes every causal pair, the others what
# their pattern files allow), it states row (c)'s initialisation, the derived patterns train
# the models that use them, the figures exist, and a second run does nothing; a changed
# coverage rederives the patterns and retrains only the models that use them.
set -uo pipefail
T=$(pwd)
tools=$T/tools
W=$TEST_TMPDIR
source "$T/tools/test_lib.sh"
work=$W/study
rm -rf "$work" && mkdir -p "$work"
words_corpus "$work/corpus.txt" 60000 1
printf '%s\n' --d_model=32 --layers=1 --ff=32 --seq_len=32 --batch_size=4 --epochs=50 \
  --eval_every=10 --eval_batches=4 --warmup_steps=5 --lr=3e-3 --threads=1 > "$work/tiny.flags"
out=$work/out
study() {  # [make arguments...]
  make --no-print-directory -f scripts/study.mk BIN="$tools" OUT="$out" CORPUS="$work/corpus.txt" \
    STUDY_MODEL="--flagfile=$work/tiny.flags" STEPS=30 NUM_SEQS=2 "$@"
}
study > "$work/make.log" 2>&1 || { tail -30 "$work/make.log"; fail "make"; finish; }

summary=$out/summary.md
models="dense dense_derived dense_original sparse_derived"
# The table: one row per model, its numbers numeric; pairs 1 for dense, below 1 otherwise.
for m in $models; do
  row=$(grep "^| $m | " "$summary") || { fail "no row for $m: $(cat "$summary")"; continue; }
  awk -F' [|] ' -v m="$m" '{
      n = split($0, c, / [|] /)
      # columns: model architecture patterns init parameters steps best(at) test tokens/s pairs
      gsub(/,/, "", c[5]); sub(/ [|]$/, "", c[10])
      if (c[5] !~ /^[0-9]+$/ || c[6] != 30 || c[7] !~ /^[0-9.]+ [(][0-9]+[)]$/ || c[8] !~ /^[0-9.]+$/ ||
          c[9] !~ /^[0-9]+$/ || c[9] == 0 || c[10] !~ /^[0-9.]+$/) exit 1
      if ((m == "dense") != (c[10] == 1)) exit 1
      if (m != "dense" && !(c[10] > 0 && c[10] < 1)) exit 1
    }' <<< "$row" || fail "row of $m: $row"
done
grep -q "^| dense | dense | " "$summary" && grep -q "^| dense_derived | dense | " "$summary" &&
  grep -q "^| dense_original | dense | " "$summary" && grep -q "^| sparse_derived | sparse | " "$summary" ||
  fail "architectures: $(cat "$summary")"
# Row (c) says its initialisation.
grep "^| sparse_derived | " "$summary" | grep -qF "N(0, 0.02²) x sqrt(d_model) (**not** the original's N(0, 1))" ||
  fail "sparse_derived does not state its initialisation"
baseline=$(awk -F'\t' '$1 == "train" { printf "%.4f", $4 }' "$out/data/stats.txt")
grep -qF "Unigram baseline: $baseline bits per byte" "$summary" || fail "summary lacks the baseline $baseline"
grep -q "^What the numbers mean" "$summary" || fail "summary does not explain itself"
# The test bpc is evaluate's on the test split, and the pairs are describe's.
want=$("$tools/evaluate" --checkpoint="$out/models/dense_original.safetensors" --tokens="$out/data/corpus.test.u8" \
  --output=- 2> /dev/null | awk -F'\t' 'NR == 2 { printf "%.4f", $3 }')
grep "^| dense_original | " "$summary" | grep -qF "| $want |" || fail "dense_original's test bpc is not $want"

# The derived patterns: a pattern file for 8 heads that both derived models were trained with
# (their checkpoints hold its patterns), the original four for dense_original.
patterns=$out/analysis/derived_patterns.json
/usr/bin/python3 - "$patterns" "$out/models" <<'PY' || fail "the models do not hold their patterns"
import json, os, struct, sys
derived = json.load(open(sys.argv[1]))
assert len(derived["heads"]) == 8 and derived["derived"]["heads"] == 8, derived["heads"]
def meta(m):
    with open(os.path.join(sys.argv[2], m + ".safetensors"), "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(n)).get("__metadata__", {})
for m in ("dense_derived", "sparse_derived"):
    p = json.loads(meta(m)["patterns"])
    heads = p["heads"] if isinstance(p["heads"][0], str) else p["heads"][0]
    assert heads == derived["heads"], (m, heads)
    for name in set(heads):
        assert p["patterns"][name] == derived["patterns"][name], (m, name)
p = json.loads(meta("dense_original")["patterns"])
heads = p["heads"] if isinstance(p["heads"][0], str) else p["heads"][0]
assert heads == ["local8", "local16", "local16", "strided", "strided", "strided", "global", "global"], heads
assert "patterns" not in meta("dense") or not meta("dense")["patterns"]
PY
# The figures' arrays: one mean and one mask per cluster.
k=$(tail -n +2 "$out/analysis/dense.clusters.csv" | awk -F, '{ print $NF }' | sort -un | wc -l)
/usr/bin/python3 -c '
import numpy as np, sys
m, k = np.load(sys.argv[1]), np.load(sys.argv[2])
assert m.shape == k.shape == (int(sys.argv[3]), 32, 32), (m.shape, k.shape)
assert set(np.unique(k)) <= {0.0, 1.0}
assert np.allclose(m.sum(axis=2), 1, atol=1e-4)' "$out/analysis/cluster_means.npy" "$out/analysis/cluster_masks.npy" "$k" ||
  fail "cluster means and masks"
for fig in study_patterns study_validation study_importance; do
  png=$out/figures/$fig.png
  [ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "$png is not a PNG"
  grep -q "<svg" "$out/figures/$fig.svg" || fail "$fig.svg is not an SVG"
done
for m in $models; do
  grep -qF "$m" "$out/figures/study_validation.svg" || fail "the validation plot lacks $m"
done
grep -q "unigram entropy of the corpus" "$out/figures/study_validation.svg" || fail "no baseline in the validation plot"
grep -q "cluster .* heads" "$out/figures/study_patterns.svg" || fail "the pattern figure names no cluster"
[ "$(wc -l < "$out/analysis/dense.importance.csv")" -eq "$(wc -l < "$out/analysis/dense.clusters.csv")" ] ||
  fail "dense.importance.csv has not one row per clustered head"

# A finished study has nothing left to do; a changed coverage rederives the patterns and
# retrains the two models that use them, and nothing else.
study -q "$summary" || fail "a second make would redo work"
study > "$work/again.log" 2>&1 || fail "second make"
grep -q "^== " "$work/again.log" && fail "a second make did work: $(grep '^== ' "$work/again.log")"
study -q "$summary" COVERAGE=0.8 && fail "make -q misses a changed coverage"
study COVERAGE=0.8 > "$work/coverage.log" 2>&1 || { tail -20 "$work/coverage.log"; fail "make COVERAGE=0.8"; }
grep -q "== dump_attention | derive_patterns" "$work/coverage.log" || fail "COVERAGE=0.8 did not rederive"
for m in dense_derived sparse_derived; do
  grep -q "^== .*/train_[a-z]* .*--output=$out/models/$m.safetensors" "$work/coverage.log" || fail "COVERAGE=0.8 did not retrain $m"
done
for m in dense dense_original; do
  grep -q "^== .*--output=$out/models/$m.safetensors" "$work/coverage.log" && fail "COVERAGE=0.8 retrained $m"
done
grep -qF '"coverage_target": 0.8' "$patterns" || fail "patterns not rederived at 0.8"
finish
