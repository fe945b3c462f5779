#!/usr/bin/env bash
# Whole-tool tests of train_dense, train_sparse and generate: learning on a repetitive
# corpus, determinism, resume, checkpoints that survive SIGKILL, and clear bad-input errors.
set -uo pipefail
bin="$(dirname "$0")"
[ -x "$bin/train_dense" ] || bin="${RUNFILES_DIR:-$0.runfiles}/attn/tools"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

python3 - "$tmp" <<'PY'
import random, sys
words = ["the ", "cat ", "sat ", "on ", "mat ", "with ", "a ", "hat "]
for name, seed, n in (("train", 1, 60000), ("valid", 2, 6000)):
    r = random.Random(seed)
    text = "".join(r.choice(words) for _ in range(n))[:n]
    open(f"{sys.argv[1]}/{name}.u8", "w").write(text)
PY
unigram=$(python3 -c "
import collections, math, sys
t = open('$tmp/train.u8', 'rb').read(); c = collections.Counter(t)
print(-sum(n / len(t) * math.log2(n / len(t)) for n in c.values()))")

# One thread: the test machine is shared, and OpenMP threads that wait on each other
# crawl when the cores are busy.
tiny=(--train="$tmp/train.u8" --valid="$tmp/valid.u8" --d_model=64 --heads=2 --layers=1 --ff=64
      --dropout=0 --seq_len=32 --batch_size=8 --lr=3e-3 --warmup_steps=10 --eval_every=50
      --eval_batches=8 --threads=1)

# Learning: validation bpc far below the unigram entropy within 200 steps.
"$bin/train_dense" "${tiny[@]}" --output="$tmp/a.safetensors" --max_steps=200 2>"$tmp/a.err" \
  || fail "train_dense exited $?: $(tail -3 "$tmp/a.err")"
last_valid=$(awk -F'\t' '$3 == "valid" { b = $5 } END { print b }' "$tmp/a.safetensors.log.tsv")
python3 -c "import sys; sys.exit(not ($last_valid < 0.75 * $unigram))" \
  || fail "validation bpc $last_valid not well below the unigram entropy $unigram"
echo "dense: validation bpc $last_valid, unigram entropy $unigram" >&2
head -1 "$tmp/a.safetensors.log.tsv" | grep -qx $'step\tepoch\tsplit\tloss\tbpc\tlr\ttokens_per_s\telapsed_s' \
  || fail "log header"
grep -q "peak resident memory" "$tmp/a.err" || fail "no peak memory in the summary"

# The sparse model learns too, with the kernel and with an ablated mask subset.
"$bin/train_sparse" "${tiny[@]}" --output="$tmp/s.safetensors" --max_steps=200 --mask_subset=03 2>"$tmp/s.err" \
  || fail "train_sparse exited $?: $(tail -3 "$tmp/s.err")"
sparse_valid=$(awk -F'\t' '$3 == "valid" { b = $5 } END { print b }' "$tmp/s.safetensors.log.tsv")
python3 -c "import sys; sys.exit(not ($sparse_valid < 0.75 * $unigram))" \
  || fail "sparse validation bpc $sparse_valid not well below the unigram entropy $unigram"
echo "sparse: validation bpc $sparse_valid" >&2
out=$("$bin/generate" --checkpoint="$tmp/s.safetensors" --prompt="the " --max_bytes=10 2>"$tmp/g.err")
[ "${#out}" -eq 10 ] || fail "generate from the sparse checkpoint: $(cat "$tmp/g.err")"

# Same seed and threads: the same checkpoint, byte for byte.
"$bin/train_dense" "${tiny[@]}" --output="$tmp/b.safetensors" --max_steps=200 2>/dev/null
cmp -s "$tmp/a.safetensors" "$tmp/b.safetensors" || fail "two runs with one seed differ"

# 100 steps, then 100 resumed: the same as 200 in one go.
"$bin/train_dense" "${tiny[@]}" --output="$tmp/c.safetensors" --max_steps=200 --stop_after=100 2>/dev/null
"$bin/train_dense" "${tiny[@]}" --output="$tmp/c.safetensors" --max_steps=200 --resume 2>/dev/null
cmp -s "$tmp/a.safetensors" "$tmp/c.safetensors" || fail "resumed run differs from the uninterrupted one"

# generate: the requested number of bytes from the checkpoint.
out=$("$bin/generate" --checkpoint="$tmp/a.safetensors" --prompt="the cat " --max_bytes=40 --seed=1 2>"$tmp/g.err")
[ "${#out}" -eq 40 ] || fail "generate wrote ${#out} bytes, not 40: $(cat "$tmp/g.err")"
echo "generated: $out" >&2

# SIGKILL at random moments while checkpoints are written at every step: what is on disk
# always loads (the checkpoint in generate, the resume state in a resumed run).
for i in 1 2 3 4 5; do
  rm -f "$tmp/k.safetensors" "$tmp/k.safetensors.state"
  "$bin/train_dense" "${tiny[@]}" --output="$tmp/k.safetensors" --max_steps=1000 --eval_every=3 \
    --checkpoint_every=1 2>/dev/null &
  pid=$!
  sleep "$(python3 -c "import random; print(random.uniform(1.0, 3.0))")"
  kill -9 "$pid"; wait "$pid" 2>/dev/null
  if [ -e "$tmp/k.safetensors" ]; then
    "$bin/generate" --checkpoint="$tmp/k.safetensors" --prompt=a --max_bytes=1 >/dev/null 2>"$tmp/k.err" \
      || fail "checkpoint after SIGKILL $i does not load: $(cat "$tmp/k.err")"
  fi
  if [ -e "$tmp/k.safetensors.state" ]; then
    "$bin/train_dense" "${tiny[@]}" --output="$tmp/k.safetensors" --max_steps=1000 --eval_every=3 \
      --checkpoint_every=1 --resume --stop_after=1 2>"$tmp/k.err" \
      || fail "resume state after SIGKILL $i does not load: $(tail -1 "$tmp/k.err")"
  fi
done

# Bad input: one clear line on stderr, a non-zero exit.
expect_error() {  # expected-exit-code expected-text command...
  local code=$1 text=$2; shift 2
  "$@" >/dev/null 2>"$tmp/e.err"; local got=$?
  [ "$got" -eq "$code" ] || fail "$* exited $got, not $code"
  grep -q -- "$text" "$tmp/e.err" || fail "$* said '$(cat "$tmp/e.err")', without '$text'"
  [ "$(wc -l < "$tmp/e.err")" -eq 1 ] || fail "$* wrote more than one line: $(cat "$tmp/e.err")"
}
head -c 100 "$tmp/train.u8" > "$tmp/short.u8"
expect_error 2 "shorter than one batch" "$bin/train_dense" "${tiny[@]}" --train="$tmp/short.u8" --output="$tmp/e.safetensors"
expect_error 2 "positional table" "$bin/train_dense" "${tiny[@]}" --seq_len=6000 --output="$tmp/e.safetensors"
expect_error 2 "must divide" "$bin/train_dense" "${tiny[@]}" --d_model=30 --heads=4 --output="$tmp/e.safetensors"
expect_error 2 "no default attention pattern assignment for 3 heads" "$bin/train_sparse" "${tiny[@]}" --d_model=48 --heads=3 --output="$tmp/e.safetensors"
expect_error 2 "--attention=fast is not known" "$bin/train_sparse" "${tiny[@]}" --attention=fast --output="$tmp/e.safetensors"
expect_error 2 "--preset=big is not known" "$bin/train_dense" "${tiny[@]}" --preset=big --output="$tmp/e.safetensors"
expect_error 1 "$tmp/missing.u8" "$bin/train_dense" "${tiny[@]}" --valid="$tmp/missing.u8" --output="$tmp/e.safetensors"
expect_error 1 "no CUDA" "$bin/train_dense" "${tiny[@]}" --device=cuda --output="$tmp/e.safetensors"
expect_error 2 "--output is required" "$bin/train_dense" "${tiny[@]}"
expect_error 1 "$tmp/missing.safetensors" "$bin/generate" --checkpoint="$tmp/missing.safetensors" --prompt=a
[ -e "$tmp/e.safetensors" ] && fail "a failed run left a checkpoint"

[ "$failures" -eq 0 ] && echo "PASS" >&2
exit "$((failures > 0))"
