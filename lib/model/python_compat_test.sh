#!/usr/bin/env bash
# The C++ models are faithful to the Python original: checkpoints written by C++ load
# strictly into the original modules, and logits and per-head attention agree; checkpoints
# of Python-made models load strictly in C++ and give Python's logits.
# Args: the fixture binary, compat_check.py.
set -euo pipefail
fixture=$1
check=$2
PYTHON=/usr/bin/python3  # Debian's, which has python3-torch (scripts/setup.sh)
if ! "$PYTHON" -c 'import torch' 2>/dev/null; then
  echo "python_compat_test: $PYTHON cannot import torch; run scripts/setup.sh (installs python3-torch)" >&2
  exit 1
fi
source tools/test_lib.sh
"$fixture" write "$W"
"$PYTHON" "$check" "$W"
"$fixture" verify "$W"
