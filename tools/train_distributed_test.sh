#!/usr/bin/env bash
# train_dense and train_sparse as data-parallel jobs of 2 local ranks (launch_local.sh):
# they train, rank 0 alone writes the checkpoint, log and summary, a state from another
# world size is refused, and a batch that does not split evenly is a usage error.
set -uo pipefail
bin=tools
launch=scripts/launch_local.sh
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

python3 - "$tmp" <<'PY'
import random, sys
words = ["the ", "cat ", "sat ", "on ", "mat ", "with ", "a ", "hat "]
for name, seed, n in (("train", 1, 30000), ("valid", 2, 6000)):
    r = random.Random(seed)
    open(f"{sys.argv[1]}/{name}.u8", "w").write("".join(r.choice(words) for _ in range(n))[:n])
PY

tiny=(--train="$tmp/train.u8" --valid="$tmp/valid.u8" --d_model=32 --heads=2 --layers=1 --ff=32
      --seq_len=32 --batch_size=8 --lr=3e-3 --warmup_steps=5 --eval_every=10 --eval_batches=4
      --max_steps=20 --threads=1 --dist_timeout_s=120)

for tool in train_dense train_sparse; do
  "$launch" 2 "$bin/$tool" "${tiny[@]}" --output="$tmp/$tool.safetensors" 2>"$tmp/$tool.err" ||
    fail "$tool on 2 ranks exited $?: $(tail -3 "$tmp/$tool.err")"
  [ -s "$tmp/$tool.safetensors" ] || fail "$tool: no checkpoint"
  [ "$(grep -c $'\tvalid\t' "$tmp/$tool.safetensors.log.tsv")" -eq 2 ] ||
    fail "$tool: log should have 2 validation rows: $(cat "$tmp/$tool.safetensors.log.tsv")"
  [ "$(grep -c "best model in" "$tmp/$tool.err")" -eq 1 ] || fail "$tool: one summary expected: $(cat "$tmp/$tool.err")"
done

# A 2-rank state cannot continue in 1 process.
"$bin/train_dense" "${tiny[@]}" --output="$tmp/train_dense.safetensors" --resume --max_steps=30 2>"$tmp/resume.err"
code=$?
[ "$code" -eq 1 ] || fail "1-rank resume of a 2-rank state exited $code"
grep -q "was written by a job of 2 rank(s) and this job has 1; it continues exactly only with WORLD_SIZE=2" "$tmp/resume.err" ||
  fail "unclear resume error: $(cat "$tmp/resume.err")"

# 7 streams do not split over 2 ranks.
"$launch" 2 "$bin/train_dense" "${tiny[@]}" --batch_size=7 --output="$tmp/odd.safetensors" 2>"$tmp/odd.err"
code=$?
[ "$code" -eq 2 ] || fail "--batch_size=7 on 2 ranks exited $code"
grep -q "train_dense: --batch_size=7 is not a multiple of the world size 2" "$tmp/odd.err" ||
  fail "unclear batch error: $(cat "$tmp/odd.err")"

[ "$failures" -eq 0 ] && echo "train_distributed_test: all passed"
exit $((failures > 0))
