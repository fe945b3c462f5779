#!/usr/bin/env bash
# Training tokens/s of our tools against the same architecture in PyTorch (Debian's
# python3-torch, the project's transcription of the original modules), alternating the two;
# prints a markdown table (docs/performance.md). Run by hand from anywhere in the repo:
#   bench/compare_pytorch.sh [--rounds=3] [--steps=8] [--precisions=fp32,bf16]
#                            [--workloads=dense:256:8,dense:1024:2,sparse:1024:2] [--threads=2]
# (--help lists the rest). Takes about half an hour on 2 cores with the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=/usr/bin/python3  # Debian's, which has python3-torch (scripts/setup.sh)
if ! "$PYTHON" -c 'import torch' 2>/dev/null; then
  echo "compare_pytorch: $PYTHON cannot import torch; run scripts/setup.sh (installs python3-torch)" >&2
  exit 1
fi
bazel build //tools:train_dense //tools:train_sparse //bench:blas_matmul_bin >&2
exec "$PYTHON" bench/compare_pytorch.py --bin=bazel-bin "$@"
