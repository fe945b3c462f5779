#!/usr/bin/env bash
# Renders the analysis figures as PNG and SVG from a head_metrics CSV: the silhouette
# sweep (Ward, k = 2..8) with k highlighted, the heads in metric space coloured by
# k-means cluster, and a layer x head heat map per metric.
#   scripts/figures.sh [METRICS_CSV] [OUT_DIR] [K]
# Defaults: the original work's testdata/analysis/seed_head_metrics.csv, out/figures, 4.
set -euo pipefail
cd "$(dirname "$0")/.."
metrics=${1:-testdata/analysis/seed_head_metrics.csv}
out=${2:-out/figures}
k=${3:-4}
bazel build -c opt //tools:kmeans //tools:silhouette >&2
bin=bazel-bin/tools
mkdir -p "$out"
rows=$(($(wc -l < "$metrics") - 1))
k_max=$((rows - 1 < 8 ? rows - 1 : 8))  # silhouette needs k <= rows - 1
"$bin/silhouette" --k_min=2 --k_max="$k_max" --algorithm=ward --input="$metrics" --output="$out/silhouette.tsv"
"$bin/kmeans" --k="$k" --input="$metrics" --output="$out/clusters.csv" --centroids="$out/centroids.csv"
for ext in png svg; do
  gnuplot -e "infile='$out/silhouette.tsv'; outfile='$out/silhouette.$ext'; chosen=$k" scripts/silhouette.gp
  gnuplot -e "infile='$out/clusters.csv'; outfile='$out/metric_space.$ext'" scripts/metric_space.gp
  for metric in entropy sparsity distance; do
    gnuplot -e "infile='$metrics'; metric='$metric'; outfile='$out/heatmap_$metric.$ext'" scripts/heatmap.gp
  done
done
echo "figures: wrote $(ls "$out" | tr '\n' ' ')to $out" >&2
