#!/usr/bin/env bash
# The pipeline's closing table (markdown): per model its parameters, best validation bpc,
# training tokens/s and peak memory, then the chosen number of clusters and its silhouette.
#   scripts/summary.sh OUT_DIR MODEL...
set -euo pipefail
out=$1
shift
# Trainable parameters from the checkpoint header: every tensor but the positional table
# (a buffer) and the tied output weight (the embedding under a second name).
params() {
  /usr/bin/python3 - "$1" <<'PY'
import json, struct, sys
with open(sys.argv[1], "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    header = json.loads(f.read(n))
skip = {"__metadata__", "pos_encoder.pe", "output.weight", "output_projection.weight"}
total = 0
for name, info in header.items():
    if name not in skip:
        size = 1
        for d in info["shape"]:
            size *= d
        total += size
print(f"{total:,}")
PY
}
echo "| model | parameters | best validation bpc | training tokens/s | peak memory |"
echo "|---|---|---|---|---|"
for m in "$@"; do
  log=$out/logs/$m.tsv
  bpc=$(awk -F'\t' '$3 == "valid" && (best == "" || $5 < best) { best = $5 } END { printf "%.4f", best }' "$log")
  tps=$(awk -F'\t' '$3 == "train" { s += $7; n++ } END { printf "%.0f", n ? s / n : 0 }' "$log")
  mem=$(grep -o 'peak resident memory [0-9.]* [kMG]*B' "$out/logs/$m.stderr" | tail -1 | sed 's/peak resident memory //')
  echo "| $m | $(params "$out/models/$m.safetensors") | $bpc | $tps | ${mem:-?} |"
done
echo
echo "| model | chosen k (best Ward silhouette, k = 2..) | silhouette |"
echo "|---|---|---|"
for m in "$@"; do
  awk -F'\t' -v m="$m" 'NR > 1 && (best == "" || $2 > best) { best = $2; k = $1 }
    END { printf "| %s | %d | %.4f |\n", m, k, best }' "$out/analysis/$m.silhouette.tsv"
done
