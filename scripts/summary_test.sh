#!/usr/bin/env bash
# scripts/summary.sh on hand-made pipeline outputs of two models named neither dense nor
# sparse (the summary knows no model kinds): the table's numbers, the warning for the model
# above the unigram baseline only, and the clusters at a given K against the sweep's best.
set -uo pipefail
T=$(pwd)
source "$T/tools/test_lib.sh"
o=$W/out
mkdir -p "$o/data" "$o/logs" "$o/models" "$o/analysis"
printf 'split\tbytes\tdistinct_tokens\tentropy_bits_per_byte\ntrain\t1000\t10\t3.500000\nvalid\t100\t9\t3.600000\n' \
  > "$o/data/stats.txt"
header=$'step\tepoch\tsplit\tloss\tbpc\tlr\ttokens_per_s\telapsed_s'
# a: best validation 3.2 at step 20 (below 3.5); train rows at 100 and 300 tokens/s.
printf '%s\n' "$header" $'10\t0.1\ttrain\t3.4\t4.9\t0.001\t100\t1' $'10\t0.1\tvalid\t2.8\t4.0\t0.001\t100\t1' \
  $'20\t0.2\ttrain\t2.3\t3.3\t0.001\t300\t2' $'20\t0.2\tvalid\t2.2\t3.2\t0.001\t300\t2' > "$o/logs/a.tsv"
# b: best validation 5.0 at step 10, then worse; 30 steps in all.
printf '%s\n' "$header" $'10\t0.1\tvalid\t3.5\t5.0\t0.001\t50\t1' $'20\t0.2\tvalid\t3.8\t5.5\t0.001\t50\t2' \
  $'30\t0.3\ttrain\t3.8\t5.5\t0.001\t60\t3' > "$o/logs/b.tsv"
printf 'a: ... peak resident memory 10.0 MB\na: ... peak resident memory 12.5 MB; best model in x\n' > "$o/logs/a.stderr"
: > "$o/logs/b.stderr"
# Checkpoint headers: a has 4x2 + 3 trainable values (its output weight is the tied embedding,
# pos_encoder.pe a buffer); b 1000 x 1001.
python3 - "$o/models" <<'PY'
import math, sys
import safetensors_io
def write(path, tensors):
    safetensors_io.write(path, {name: safetensors_io.Tensor("F32", shape, bytes(4 * math.prod(shape)))
                                for name, shape in tensors}, {"kind": "x"})
write(sys.argv[1] + "/a.safetensors", [("embedding.weight", [4, 2]), ("output.weight", [4, 2]),
                                       ("pos_encoder.pe", [10, 2]), ("x.bias", [3])])
write(sys.argv[1] + "/b.safetensors", [("w", [1000, 1001])])
PY
printf 'k\tsilhouette\n2\t0.5\n3\t0.7\n4\t0.6\n' > "$o/analysis/a.silhouette.tsv"
cp "$o/analysis/a.silhouette.tsv" "$o/analysis/b.silhouette.tsv"
printf 'layer,head,entropy,cluster\n0,0,1,0\n0,1,2,1\n0,2,3,2\n0,3,3,2\n' > "$o/analysis/a.clusters.csv"
printf 'layer,head,entropy,cluster\n0,0,1,0\n0,1,2,1\n0,2,3,1\n' > "$o/analysis/b.clusters.csv"

bash "$T/scripts/summary.sh" "$o" a b > "$W/summary.md" 2> "$W/err" || fail "summary.sh: $(cat "$W/err")"
cat > "$W/expected" <<'MD'
| model | steps trained | parameters | best validation bpc (at step) | beats the unigram baseline | training tokens/s | peak memory |
|---|---|---|---|---|---|---|
| a | 20 | 11 | 3.2000 (20) | yes | 200 | 12.5 MB |
| b | 30 | 1,001,000 | 5.0000 (10) | **no** | 60 | ? |

**Warning: b did not beat the unigram baseline** (5.0000 >= 3.5000 bits per byte): it has learned no more than how often each byte occurs. Train it longer (more steps) before reading anything into its attention heads.

| model | clusters k | silhouette at k | best k of the sweep (silhouette) |
|---|---|---|---|
| a | 3 | 0.7000 | 3 (0.7000) |
| b | 2 | 0.5000 | 3 (0.7000) |
MD
head -11 "$W/summary.md" | diff "$W/expected" - > "$W/diff" || fail "summary differs: $(cat "$W/diff")"
grep -qF -- "- unigram baseline: 3.5000 bits per byte, the unigram (order-0) entropy of the" "$W/summary.md" ||
  fail "no baseline explanation: $(cat "$W/summary.md")"
grep -q "Warning: a" "$W/summary.md" && fail "a warning for a model below the baseline"

# A stats file without a train row: one line, exit 1.
printf 'split\tbytes\tdistinct_tokens\tentropy_bits_per_byte\n' > "$o/data/stats.txt"
bash "$T/scripts/summary.sh" "$o" a > /dev/null 2> "$W/err" && fail "summary without a baseline: exit 0"
[ "$(wc -l < "$W/err")" -eq 1 ] && grep -q "no train row" "$W/err" || fail "summary without a baseline: $(cat "$W/err")"
finish
