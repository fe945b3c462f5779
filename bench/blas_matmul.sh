#!/usr/bin/env bash
# Runs the matmul benchmark with OPENBLAS_CORETYPE unset, without and with the start-up routine.
set -euo pipefail
bin="$(dirname "$0")/blas_matmul_bin"
[ -x "$bin" ] || bin="${RUNFILES_DIR:-$0.runfiles}/attn/bench/blas_matmul_bin"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$bin" --startup=false "$@"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$bin" --startup=true "$@"
