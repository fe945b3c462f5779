#!/usr/bin/env bash
# Data-parallel training throughput of train_dense (the tool itself) on random bytes:
# one process with N threads, then N processes of one thread (scripts/launch_local.sh),
# each printing its summary line (tokens/s; for N ranks also the all-reduce ms/step).
#   bazel run //bench:data_parallel -- [N=2] [extra train_dense flags]
set -euo pipefail
ranks="${1:-2}"
shift || true
here="${RUNFILES_DIR:-$0.runfiles}/attn"
train="$here/tools/train_dense"
launch="$here/scripts/launch_local.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
head -c $((4 << 20)) /dev/urandom > "$tmp/tokens.u8"
flags=(--train="$tmp/tokens.u8" --valid="$tmp/tokens.u8" --d_model=256 --layers=4 --heads=8 --ff=1024
       --seq_len=256 --batch_size=8 --max_steps=20 --eval_every=0 --eval_batches=1 --warmup_steps=2
       --lr=1e-4 --dropout=0 --attention_dropout=0 --activation_dropout=0 --token_dropout=0
       --stochastic_depth=0 "$@")
echo "1 process x $ranks threads:"
"$train" "${flags[@]}" --threads="$ranks" --output="$tmp/one.safetensors" 2>&1 | tail -1
echo "$ranks processes x 1 thread:"
"$launch" "$ranks" "$train" "${flags[@]}" --threads=1 --output="$tmp/many.safetensors" 2>&1 | tail -1
