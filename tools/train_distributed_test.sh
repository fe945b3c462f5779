#!/usr/bin/env bash
# train_dense and train_sparse as data-parallel jobs of 2 local ranks (launch_local.sh):
# they train, rank 0 alone writes the checkpoint, log and summary, a state from another
# world size is refused, and a batch that does not split evenly is a usage error.
set -uo pipefail
bin=tools
launch=scripts/launch_local.sh
source tools/test_lib.sh

words_corpus "$W/train.u8" 30000 1
words_corpus "$W/valid.u8" 6000 2

tiny=(--train="$W/train.u8" --valid="$W/valid.u8" --d_model=32 --heads=2 --layers=1 --ff=32
      --seq_len=32 --batch_size=8 --lr=3e-3 --warmup_steps=5 --eval_every=10 --eval_batches=4
      --max_steps=20 --threads=1 --dist_timeout_s=120)

for tool in train_dense train_sparse; do
  "$launch" 2 "$bin/$tool" "${tiny[@]}" --output="$W/$tool.safetensors" 2>"$W/$tool.err" ||
    fail "$tool on 2 ranks exited $?: $(tail -3 "$W/$tool.err")"
  [ -s "$W/$tool.safetensors" ] || fail "$tool: no checkpoint"
  [ "$(grep -c $'\tvalid\t' "$W/$tool.safetensors.log.tsv")" -eq 2 ] ||
    fail "$tool: log should have 2 validation rows: $(cat "$W/$tool.safetensors.log.tsv")"
  [ "$(grep -c "best model in" "$W/$tool.err")" -eq 1 ] || fail "$tool: one summary expected: $(cat "$W/$tool.err")"
done

# A 2-rank state cannot continue in 1 process.
"$bin/train_dense" "${tiny[@]}" --output="$W/train_dense.safetensors" --resume --max_steps=30 2>"$W/resume.err"
code=$?
[ "$code" -eq 1 ] || fail "1-rank resume of a 2-rank state exited $code"
grep -q "was written by a job of 2 rank(s) and this job has 1; it continues exactly only with WORLD_SIZE=2" "$W/resume.err" ||
  fail "unclear resume error: $(cat "$W/resume.err")"

# 7 streams do not split over 2 ranks.
"$launch" 2 "$bin/train_dense" "${tiny[@]}" --batch_size=7 --output="$W/odd.safetensors" 2>"$W/odd.err"
code=$?
[ "$code" -eq 2 ] || fail "--batch_size=7 on 2 ranks exited $code"
grep -q "train_dense: --batch_size=7 is not a multiple of the world size 2" "$W/odd.err" ||
  fail "unclear batch error: $(cat "$W/odd.err")"

finish
