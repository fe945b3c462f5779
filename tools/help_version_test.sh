#!/usr/bin/env bash
# Every tool's --help (and -h, --helpshort): exit 0, the usage with an example, the tool's
# own flags only and all of them, in a screenful or two; --helpfull: every flag, glog's
# included; --version: the project version, the commit, and LibTorch and the BLAS for the
# tools that use them.
set -uo pipefail
bin="$(dirname "$0")"
[ -x "$bin/train_dense" ] || bin="${RUNFILES_DIR:-$0.runfiles}/attn/tools"
source "$bin/test_lib.sh"

# tool, flags its help must list (its own and shared ones), uses LibTorch
check() {
  local tool=$1 flags=$2 torch=$3
  for help in --help -h --helpshort; do
    "$bin/$tool" "$help" >"$W/help" 2>"$W/help.err"
    local code=$?
    [ "$code" -eq 0 ] || fail "$tool $help exited $code"
    [ ! -s "$W/help.err" ] || fail "$tool $help wrote to stderr: $(cat "$W/help.err")"
    grep -q "Example: \|^  $tool " "$W/help" || fail "$tool $help: no usage line or example"
    local lines
    lines=$(wc -l < "$W/help")
    [ "$lines" -le 70 ] || fail "$tool $help: $lines lines"
    for flag in $flags --threads; do
      grep -q -- "^  $flag=" "$W/help" || fail "$tool $help does not list $flag"
    done
    for foreign in --logtostderr --helpxml --caffe2_log_level --torch_jit_enable_new_executor; do
      grep -q -- "^  $foreign=" "$W/help" && fail "$tool $help lists $foreign"
    done
  done
  "$bin/$tool" --helpfull >"$W/full" 2>&1 || fail "$tool --helpfull exited $?"
  grep -q "logtostderr" "$W/full" || fail "$tool --helpfull lacks glog's flags"
  "$bin/$tool" --version >"$W/version" 2>&1 || fail "$tool --version exited $?"
  grep -q "^$tool: attn [0-9.]*, commit [0-9a-f]\{12\}\|^$tool: attn [0-9.]*, commit unknown" "$W/version" ||
    fail "$tool --version: $(cat "$W/version")"
  if [ "$torch" = torch ]; then
    grep -q "^LibTorch 1\." "$W/version" && grep -q "^BLAS: " "$W/version" ||
      fail "$tool --version lacks LibTorch or the BLAS: $(cat "$W/version")"
  fi
}

check tokenize "--input --output_prefix --splits --format --decode --stats" plain
check enwik8_fetch "--output --url --from_zip --member --md5 --timeout_s --retries --retry_delay_s" plain
check generate "--checkpoint --prompt --prompt_file --max_bytes --temperature --top_k --top_p --seed --slide --device" torch
check dump_attention "--checkpoint --tokens --output --num_seqs --seq_len --offset --layers --heads --device" torch
recipe="--train --valid --output --log --resume --overwrite --preset --d_model --heads --layers --ff
        --seq_len --batch_size --grad_accum --epochs --max_steps --lr --min_lr --warmup_steps
        --weight_decay --clip_norm --eval_every --eval_batches --patience --seed --precision --device
        --log_every --checkpoint_every --stop_after --rank --world_size --master_addr --master_port
        --dist_backend --dist_timeout_s --dropout --token_dropout"
check train_dense "$recipe --patterns --attention_dropout --activation_dropout --stochastic_depth --gradient_checkpointing" torch
check train_sparse "$recipe --mask_subset --head_patterns --attention --patterns --embedding_std" torch
check head_metrics "--input --output --threshold --tokens --offset --profiles --list_metrics" plain
check kmeans "--input --output --k --features --centroids --standardize --n_init --max_iter --tol --seed" plain
check silhouette "--input --output --per_sample --k_min --k_max --algorithm --distance --features" plain
check ward "--input --output --k --k_min --k_max --distance --centroids --features" plain
check derive_patterns "--attention --clusters --heads --output --coverage --per_layer --layers" plain
check describe "--checkpoint --output" torch
check evaluate "--checkpoint --tokens --context --stride --precision --batch_size --max_bytes --output" torch
check import_checkpoint "--input --output --kind --heads --seq_len" torch
check head_importance "--checkpoint --tokens --output --seq_len --batches --batch_size" torch
"$bin/train_sparse" --help | grep -q -- "--stochastic_depth" && fail "train_sparse offers --stochastic_depth"
# -h after a bool flag is help; after a flag that takes a value it is that value.
"$bin/train_dense" --resume -h | grep -q -- "--gradient_checkpointing" || fail "train_dense --resume -h is not help"
"$bin/generate" --prompt -h --checkpoint="$W/missing.safetensors" >"$W/out" 2>"$W/err"
[ $? -eq 1 ] && grep -q "missing.safetensors" "$W/err" && [ ! -s "$W/out" ] ||
  fail "generate --prompt -h: $(cat "$W/out" "$W/err" | head -3)"

finish
