#!/usr/bin/env bash
# Checkpoints of the Python original, saved as a researcher has them (the training
# script's dict or a bare state_dict; torch.save's zip and legacy formats; float16,
# bfloat16 and float64 weights), import into models whose logits and per-head attention
# are the Python modules' own; files that are not such checkpoints are refused with one
# line naming the file and the cause.
# Args: the import_check binary, make_torch_checkpoints.py.
set -euo pipefail
check=$1
make=$2
PYTHON=/usr/bin/python3  # Debian's, which has python3-torch (scripts/setup.sh)
if ! "$PYTHON" -c 'import torch' 2>/dev/null; then
  echo "import_compat_test: $PYTHON cannot import torch; run scripts/setup.sh (installs python3-torch)" >&2
  exit 1
fi
source tools/test_lib.sh
"$PYTHON" "$make" make "$W"
while read -r name heads; do
  "$check" compare "$W/$name.pt" "$W/$name.ref.npy" "$heads" "$W/$name.safetensors"
done < "$W/cases.txt"
while IFS=$'\t' read -r name message; do
  "$check" refuse "$W/$name.pt" "$message"
done < "$W/foreign.txt"
echo PASS
