#!/usr/bin/env bash
# The study's closing report (markdown): one row per model (patterns, parameters, best
# validation and test bits per byte, training speed, the share of causal attention pairs its
# heads compute) against the corpus' unigram entropy; then the derived patterns and the
# clusters they came from, and what each number means.
#   scripts/study_summary.sh OUT_DIR MODEL...
# Reads, under OUT_DIR: data/stats.txt (tokenize --stats), logs/M.tsv (training),
# models/M.safetensors and models/M.txt (describe), metrics/M.test.tsv (evaluate),
# analysis/dense.silhouette.tsv, analysis/dense.clusters.csv, analysis/derived_patterns.json.
set -euo pipefail
out=$1
shift
here=$(dirname "$0")
py=/usr/bin/python3
baseline=$(awk -F'\t' '$1 == "train" { printf "%.4f", $4 }' "$out/data/stats.txt")
train_bytes=$(awk -F'\t' '$1 == "train" { print $2 }' "$out/data/stats.txt")
[ -n "$baseline" ] || { echo "study_summary.sh: $out/data/stats.txt has no train row; rerun tokenize --stats" >&2; exit 1; }

# What each model of scripts/study.mk is.
declare -A patterns=(
  [dense]="none: full causal attention"
  [dense_derived]="derived from the dense model's clusters"
  [dense_original]="the original four (local8, local16 x2, strided x3, global x2)"
  [sparse_derived]="derived from the dense model's clusters"
)

echo "| model | architecture | patterns | token embedding init | parameters | steps | best validation bpc (at step) | test bpc | training tokens/s (median) | causal attention pairs computed |"
echo "|---|---|---|---|---|---|---|---|---|---|"
warnings=()
for m in "$@"; do
  ckpt=$out/models/$m.safetensors
  kind=$(awk '$1 == "kind:" { print $2 }' "$out/models/$m.txt")
  # The sparse model's token embedding is N(0, embedding_std^2) times sqrt(d_model) (the
  # original's: 1); the dense model's is N(0, 0.02^2).
  if [ "$kind" = sparse ]; then
    std=$("$py" "$here/checkpoint.py" meta "$ckpt" embedding_std)
    std=${std:-1}
    init="N(0, ${std}²) x sqrt(d_model)"
    [ "$std" = 1 ] && init="$init (the original's)" || init="$init (**not** the original's N(0, 1))"
  else
    init="N(0, 0.02²) (the original's)"
  fi
  read -r steps bpc best_step < <(awk -F'\t' '
    NR > 1 { steps = $1 }
    $3 == "valid" && (best == "" || $5 < best) { best = $5; at = $1 }
    END { printf "%d %.4f %d\n", steps, best, at }' "$out/logs/$m.tsv")
  # The median of the train rows' tokens/s.
  tps=$(awk -F'\t' '$3 == "train" { print $7 }' "$out/logs/$m.tsv" | sort -g |
    awk '{ v[NR] = $1 } END { printf "%.0f", NR == 0 ? 0 : (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }')
  test_bpc=$(awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "bpc") c = i } NR == 2 { printf "%.4f", $c }' \
    "$out/metrics/$m.test.tsv")
  pairs=$(awk '$1 == "attention" && $2 == "patterns:" { print $3 }' "$out/models/$m.txt")
  params=$("$py" "$here/checkpoint.py" params "$ckpt")
  echo "| $m | $kind | ${patterns[$m]:-see models/$m.txt} | $init | $params | $steps | $bpc ($best_step) | $test_bpc | $tps | ${pairs:-1} |"
  if ! awk -v b="$bpc" -v u="$baseline" 'BEGIN { exit !(b < u) }'; then
    warnings+=("**Warning: $m did not beat the unigram baseline** ($bpc >= $baseline bits per byte): it has learned no more than how often each byte occurs; its row says nothing about its patterns yet.")
  fi
done
echo
echo "Unigram baseline: $baseline bits per byte, the unigram (order-0) entropy of the $train_bytes training bytes."
echo
for w in ${warnings[@]+"${warnings[@]}"}; do
  echo "$w"
  echo
done

# The clusters and what was derived from them.
k=$(tail -n +2 "$out/analysis/dense.clusters.csv" | awk -F, '{ print $NF }' | sort -un | wc -l)
silhouette=$(awk -F'\t' -v k="$k" 'NR > 1 && $1 == k { printf "%.4f", $2 }' "$out/analysis/dense.silhouette.tsv")
echo "The dense model's heads in $k Ward clusters (silhouette ${silhouette:--}); the pattern derived for each:"
echo
"$py" - "$out/analysis/derived_patterns.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["derived"]
print("| cluster | dense heads (layer.head) | sparse heads per layer | pattern | coverage of its mean attention | causal pairs |")
print("|---|---|---|---|---|---|")
for c in d["clusters"]:
    heads = " ".join("%d.%d" % tuple(h) for h in c["heads"])
    assigned = ",".join(str(a) for a in sorted(set(c["assigned_heads"])))
    print("| %d | %s | %s | %s | %.4f | %.4f |" % (c["cluster"], heads, assigned, c["pattern_text"], c["coverage"], c["pair_fraction"]))
print()
print("Derived at seq_len %d from %d validation windows, coverage target %g; the %d x %d heads compute %.4f of causal attention's pairs." % (
    d["seq_len"], d["sequences"], d["coverage_target"], d["layers"], d["heads"], d["pair_fraction"]))
PY

cat <<EOF

What the numbers mean:
- Every model is trained with the same recipe and budget (logs/MODEL.tsv; models/MODEL.flags);
  only the attention pattern differs (and, for sparse_derived, the architecture).
- best validation bpc: bits per byte on the validation split at the best validation, the
  checkpoint models/MODEL.safetensors holds; test bpc: that checkpoint on the test split
  (metrics/MODEL.test.tsv, evaluate); lower is better.
- unigram baseline: what a model that only knows how often each byte occurs achieves. A model
  at or above it has learned nothing from context yet.
- training tokens/s: the median over the training log's rows.
- causal attention pairs computed: the (query, key) pairs the heads attend to, over the
  L (L + 1) / 2 pairs per head of full causal attention at the training length (describe).
- token embedding init: the sparse architecture's original N(0, 1) times sqrt(d_model),
  tied to the output, starts near 2000 bits per byte; the study gives it the dense model's
  0.02 unless SPARSE_INIT= is given (make study SPARSE_INIT=).
EOF
