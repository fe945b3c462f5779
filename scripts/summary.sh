#!/usr/bin/env bash
# The pipeline's closing report (markdown): per model the steps trained, parameters, best
# validation bpc against the corpus' unigram entropy (the baseline every model should beat,
# with a warning for each model that did not), training speed and memory; then the number of
# clusters of its heads and the silhouette behind it; and what each number means.
#   scripts/summary.sh OUT_DIR MODEL...
# Reads, under OUT_DIR: data/stats.txt (tokenize --stats), logs/M.tsv and logs/M.stderr
# (training), models/M.safetensors, analysis/M.silhouette.tsv and analysis/M.clusters.csv.
set -euo pipefail
out=$1
shift
here=$(dirname "$0")
# The unigram entropy of the training bytes: the bits per byte of the best model that
# ignores context.
baseline=$(awk -F'\t' '$1 == "train" { printf "%.4f", $4 }' "$out/data/stats.txt")
train_bytes=$(awk -F'\t' '$1 == "train" { print $2 }' "$out/data/stats.txt")
[ -n "$baseline" ] || { echo "summary.sh: $out/data/stats.txt has no train row; rerun tokenize --stats" >&2; exit 1; }

echo "| model | steps trained | parameters | best validation bpc (at step) | beats the unigram baseline | training tokens/s | peak memory |"
echo "|---|---|---|---|---|---|---|"
warnings=()
for m in "$@"; do
  log=$out/logs/$m.tsv
  # Steps: the last row's step; best: the lowest validation bpc and its step; speed: the mean
  # of the train rows' tokens/s.
  read -r steps bpc best_step tps < <(awk -F'\t' '
    NR > 1 { steps = $1 }
    $3 == "valid" && (best == "" || $5 < best) { best = $5; at = $1 }
    $3 == "train" { s += $7; n++ }
    END { printf "%d %.4f %d %.0f\n", steps, best, at, n ? s / n : 0 }' "$log")
  mem=$(grep -o 'peak resident memory [0-9.]* [kMG]*B' "$out/logs/$m.stderr" | tail -1 | sed 's/peak resident memory //' || true)
  params=$(/usr/bin/python3 "$here/checkpoint.py" params "$out/models/$m.safetensors")
  if awk -v b="$bpc" -v u="$baseline" 'BEGIN { exit !(b < u) }'; then
    beats=yes
  else
    beats="**no**"
    warnings+=("**Warning: $m did not beat the unigram baseline** ($bpc >= $baseline bits per byte): it has learned no more than how often each byte occurs. Train it longer (more steps) before reading anything into its attention heads.")
  fi
  echo "| $m | $steps | $params | $bpc ($best_step) | $beats | $tps | ${mem:-?} |"
done
echo
for w in ${warnings[@]+"${warnings[@]}"}; do
  echo "$w"
  echo
done

echo "| model | clusters k | silhouette at k | best k of the sweep (silhouette) |"
echo "|---|---|---|---|"
for m in "$@"; do
  k=$(tail -n +2 "$out/analysis/$m.clusters.csv" | awk -F, '{ print $NF }' | sort -un | wc -l)
  awk -F'\t' -v m="$m" -v k="$k" '
    NR > 1 && $1 == k { at = $2 }
    NR > 1 && (best == "" || $2 > best) { best = $2; best_k = $1 }
    END { printf "| %s | %d | %s | %d (%.4f) |\n", m, k, at == "" ? "-" : sprintf("%.4f", at), best_k, best }' \
    "$out/analysis/$m.silhouette.tsv"
done

cat <<EOF

What the numbers mean:
- steps trained: optimizer steps the run took (the last row of logs/MODEL.tsv).
- best validation bpc: bits per byte (cross-entropy in bits) on the validation split at the
  best validation, the checkpoint models/MODEL.safetensors holds; lower is better.
- unigram baseline: $baseline bits per byte, the unigram (order-0) entropy of the
  $train_bytes training bytes (data/stats.txt): what a model that only knows how often each
  byte occurs achieves. A model at or above it has learned nothing from context yet.
- training tokens/s: the mean training speed over the run (the train rows of the log).
- peak memory: the training process's peak resident memory.
- clusters k: the heads' Ward clusters (analysis/MODEL.clusters.csv), cut at the k with the
  best mean silhouette of the sweep (analysis/MODEL.silhouette.tsv), or at K when it was
  given; the silhouette (-1 to 1) says how well separated those clusters are.
EOF
