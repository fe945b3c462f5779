#!/usr/bin/env bash
# Renders the analysis figures as PNG and SVG from a head_metrics CSV: the silhouette
# sweep (Ward, k = 2..8) with the chosen k highlighted, the heads in metric space coloured
# by Ward cluster at that k, and a layer x head heat map per metric (head_metrics
# --list_metrics names them and their units).
#   scripts/figures.sh [METRICS_CSV] [OUT_DIR] [K]
# Defaults: the original work's testdata/analysis/seed_head_metrics.csv, out/figures, and
# K = best (the best Ward silhouette; the original chose 4 by hand).
set -euo pipefail
cd "$(dirname "$0")/.."
metrics=${1:-testdata/analysis/seed_head_metrics.csv}
out=${2:-out/figures}
k=${3:-best}
bazel build -c opt //tools:head_metrics //tools:silhouette //tools:ward >&2
bin=bazel-bin/tools
mkdir -p "$out"
"$bin/silhouette" --k_min=2 --k_max=8 --algorithm=ward --input="$metrics" --output="$out/silhouette.tsv"
"$bin/ward" --k="$k" --input="$metrics" --output="$out/clusters.csv" --centroids="$out/centroids.csv"
chosen=$(tail -n +2 "$out/clusters.csv" | awk -F, '{ print $NF }' | sort -un | wc -l)
for ext in png svg; do
  gnuplot -e "infile='$out/silhouette.tsv'; outfile='$out/silhouette.$ext'; chosen=$chosen" scripts/silhouette.gp
  while IFS=$'\t' read -r metric unit definition; do
    # Columns the CSV does not have (the position scores without --tokens) are skipped.
    head -1 "$metrics" | tr ',' '\n' | grep -qx "$metric" || continue
    gnuplot -e "infile='$metrics'; metric='$metric'; unit='$unit'; outfile='$out/heatmap_$metric.$ext'" scripts/heatmap.gp
    case $metric in distance) xunit=$unit ;; entropy) yunit=$unit ;; esac
  done < <("$bin/head_metrics" --list_metrics --tokens=/dev/null)  # every metric
  gnuplot -e "infile='$out/clusters.csv'; outfile='$out/metric_space.$ext'; xunit='$xunit'; yunit='$yunit'; algorithm='Ward'" scripts/metric_space.gp
done
echo "figures: wrote $(ls "$out" | tr '\n' ' ')to $out" >&2
