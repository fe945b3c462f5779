#!/usr/bin/env bash
# Data-parallel training with train_dense itself, on loopback: 2 processes with batch B/2
# each reach the weights of 1 process with batch B (every dropout off: a run without
# randomness); the validation loss agrees; a paused 2-rank run resumes exactly (dropout
# on, so each rank's random stream matters); another world size cannot resume.
set -uo pipefail
train=tools/train_dense
launch=scripts/launch_local.sh
source tools/test_lib.sh

words=("the " "cat " "sat " "on " "mat " "with " "a " "hat " "and " "dog ")
words_corpus "$W/train.u8" 30000 7 "${words[@]}"
words_corpus "$W/valid.u8" 6000 8 "${words[@]}"

# Max |a - b| over the tensors of two safetensors files, and the metadata key given.
compare() {
  python3 - "$1" "$2" "$3" <<'PY'
import array, sys
import safetensors_io
def load(path):
    tensors, meta = safetensors_io.read(path)
    assert all(t.dtype == "F32" for t in tensors.values()) and sys.byteorder == "little"
    return {k: array.array("f", t.data) for k, t in tensors.items()}, meta
a, ma = load(sys.argv[1]); b, mb = load(sys.argv[2])
assert a.keys() == b.keys(), "different tensors"
print(max(abs(x - y) for k in a for x, y in zip(a[k], b[k])), ma[sys.argv[3]], mb[sys.argv[3]])
PY
}

# The validation at the last step is the only one, so the checkpoint holds the final weights.
# fp32, not the default auto: the equivalence is checked to 1e-5, and bf16 (auto's choice on
# a CPU with native bf16) rounds the two ways of summing the batch apart by about 1e-3.
common=(--train="$W/train.u8" --valid="$W/valid.u8" --precision=fp32 --d_model=32 --layers=2 --heads=2 --ff=32
        --seq_len=16 --grad_accum=2 --max_steps=6 --lr=3e-4 --min_lr=3e-5 --warmup_steps=2
        --eval_every=0 --eval_batches=1 --patience=0 --log_every=1 --threads=1 --dist_timeout_s=120)
no_randomness=(--dropout=0 --attention_dropout=0 --activation_dropout=0 --token_dropout=0
               --stochastic_depth=0)

# The same 6 steps: 1 process with batch 8, 2 with 4 each, and 1 with 4 (half the data).
"$train" "${common[@]}" "${no_randomness[@]}" --batch_size=8 --output="$W/one.safetensors" \
  --log="$W/one.tsv" 2>"$W/one.err" || fail "1 process failed: $(tail -1 "$W/one.err")"
"$launch" 2 "$train" "${common[@]}" "${no_randomness[@]}" --batch_size=8 --output="$W/two.safetensors" \
  --log="$W/two.tsv" 2>"$W/two.err" || fail "2 processes failed: $(tail -1 "$W/two.err")"
"$train" "${common[@]}" "${no_randomness[@]}" --batch_size=4 --output="$W/half.safetensors" \
  2>/dev/null || fail "half batch failed"

read -r diff loss_one loss_two < <(compare "$W/one.safetensors" "$W/two.safetensors" valid_loss)
echo "1 x batch 8 vs 2 x batch 4: max weight difference $diff; validation loss $loss_one vs $loss_two"
python3 -c "import sys; sys.exit(not float('$diff') <= 1e-5)" || fail "weights differ by $diff > 1e-5"
python3 -c "import sys; sys.exit(not abs($loss_one - $loss_two) <= 1e-5 * abs($loss_one))" ||
  fail "validation loss $loss_one vs $loss_two"
# The comparison can fail: training on half the streams gives other weights.
read -r diff_half _ _ < <(compare "$W/one.safetensors" "$W/half.safetensors" valid_loss)
echo "1 x batch 8 vs 1 x batch 4 (half the streams): max weight difference $diff_half"
python3 -c "import sys; sys.exit(not float('$diff_half') > 1e-4)" ||
  fail "half the batch gave the same weights ($diff_half): the test cannot tell"
# Rank 0 alone writes the log, with the losses of all ranks: the single process's rows.
python3 - "$W/one.tsv" "$W/two.tsv" <<'PY' || fail "logs differ: $(cat "$W/one.tsv") vs $(cat "$W/two.tsv")"
import sys
rows = [[line.split("\t") for line in open(p).read().splitlines()[1:]] for p in sys.argv[1:]]
assert len(rows[0]) == len(rows[1]) > 0
for a, b in zip(*rows):
    assert (a[0], a[2]) == (b[0], b[2]) and abs(float(a[3]) - float(b[3])) <= 1e-5 * float(a[3]), (a, b)
PY

# Resume with dropout: paused after 3 steps and resumed equals uninterrupted.
dropout=(--dropout=0.1 --attention_dropout=0.1 --activation_dropout=0.1 --token_dropout=0.1
         --stochastic_depth=0.1 --batch_size=8)
"$launch" 2 "$train" "${common[@]}" "${dropout[@]}" --output="$W/full.safetensors" 2>/dev/null ||
  fail "2-rank dropout run failed"
"$launch" 2 "$train" "${common[@]}" "${dropout[@]}" --output="$W/paused.safetensors" --stop_after=3 \
  2>/dev/null || fail "2-rank paused run failed"
"$launch" 2 "$train" "${common[@]}" "${dropout[@]}" --output="$W/paused.safetensors" --resume \
  2>/dev/null || fail "2-rank resume failed"
read -r diff_resume _ _ < <(compare "$W/full.safetensors" "$W/paused.safetensors" step)
echo "2 ranks, dropout 0.1: resumed vs uninterrupted max weight difference $diff_resume"
python3 -c "import sys; sys.exit(not float('$diff_resume') <= 1e-6)" || fail "resume differs by $diff_resume"

# Another world size cannot continue exactly: one clear line, exit 1.
"$train" "${common[@]}" "${dropout[@]}" --output="$W/paused.safetensors" --resume 2>"$W/resume.err"
code=$?
[ "$code" -eq 1 ] || fail "resume with 1 rank exited $code"
[ "$(wc -l < "$W/resume.err")" -eq 1 ] && grep -q "was written by a job of 2 rank(s) and this job has 1" "$W/resume.err" ||
  fail "unclear world-size error: $(cat "$W/resume.err")"

finish
