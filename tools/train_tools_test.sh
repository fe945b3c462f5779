#!/usr/bin/env bash
# Whole-tool tests of train_dense, train_sparse, generate and dump_attention: learning on a
# repetitive corpus, determinism, resume, checkpoints that survive SIGKILL, clear
# bad-input errors with the exit codes of the README, hostile flags and inputs, closed
# pipes, and no files left behind by a failed run.
set -uo pipefail
bin="$(dirname "$0")"
[ -x "$bin/train_dense" ] || bin="${RUNFILES_DIR:-$0.runfiles}/attn/tools"
source "$bin/test_lib.sh"

words_corpus "$W/train.u8" 60000 1
words_corpus "$W/valid.u8" 6000 2
unigram=$(python3 -c "
import collections, math, sys
t = open('$W/train.u8', 'rb').read(); c = collections.Counter(t)
print(-sum(n / len(t) * math.log2(n / len(t)) for n in c.values()))")

# One thread: the test machine is shared, and OpenMP threads that wait on each other
# crawl when the cores are busy.
tiny=(--train="$W/train.u8" --valid="$W/valid.u8" --d_model=64 --heads=2 --layers=1 --ff=64
      --dropout=0 --seq_len=32 --batch_size=8 --lr=3e-3 --warmup_steps=10 --eval_every=50
      --eval_batches=8 --threads=1)

# Learning: validation bpc far below the unigram entropy within 200 steps.
"$bin/train_dense" "${tiny[@]}" --output="$W/a.safetensors" --max_steps=200 2>"$W/a.err" \
  || fail "train_dense exited $?: $(tail -3 "$W/a.err")"
last_valid=$(awk -F'\t' '$3 == "valid" { b = $5 } END { print b }' "$W/a.safetensors.log.tsv")
python3 -c "import sys; sys.exit(not ($last_valid < 0.75 * $unigram))" \
  || fail "validation bpc $last_valid not well below the unigram entropy $unigram"
echo "dense: validation bpc $last_valid, unigram entropy $unigram" >&2
head -1 "$W/a.safetensors.log.tsv" | grep -qx $'step\tepoch\tsplit\tloss\tbpc\tlr\ttokens_per_s\telapsed_s' \
  || fail "log header"
grep -q "peak resident memory" "$W/a.err" || fail "no peak memory in the summary"
# The default precision is auto: what this CPU computes natively, logged and recorded.
want=$(auto_precision)
grep -q "^train_dense: precision auto: $want (" "$W/a.err" || fail "auto's choice ($want here) not logged"
python3 -c "
import sys, safetensors_io
sys.exit(safetensors_io.read_header('$W/a.safetensors')[1]['precision'] != '$want')" ||
  fail "the checkpoint's recipe does not record precision $want"

# The sparse model learns too, with the kernel and with an ablated mask subset.
"$bin/train_sparse" "${tiny[@]}" --output="$W/s.safetensors" --max_steps=200 --mask_subset=03 2>"$W/s.err" \
  || fail "train_sparse exited $?: $(tail -3 "$W/s.err")"
sparse_valid=$(awk -F'\t' '$3 == "valid" { b = $5 } END { print b }' "$W/s.safetensors.log.tsv")
python3 -c "import sys; sys.exit(not ($sparse_valid < 0.75 * $unigram))" \
  || fail "sparse validation bpc $sparse_valid not well below the unigram entropy $unigram"
echo "sparse: validation bpc $sparse_valid" >&2
out=$("$bin/generate" --checkpoint="$W/s.safetensors" --prompt="the " --max_bytes=10 2>"$W/g.err")
[ "${#out}" -eq 10 ] || fail "generate from the sparse checkpoint: $(cat "$W/g.err")"

# Same seed and threads: the same checkpoint, byte for byte.
"$bin/train_dense" "${tiny[@]}" --output="$W/b.safetensors" --max_steps=200 2>"$W/b.err"
cmp -s "$W/a.safetensors" "$W/b.safetensors" || fail "two runs with one seed differ"

# 100 steps, then 100 resumed: the same as 200 in one go.
"$bin/train_dense" "${tiny[@]}" --output="$W/c.safetensors" --max_steps=200 --stop_after=100 2>/dev/null
"$bin/train_dense" "${tiny[@]}" --output="$W/c.safetensors" --max_steps=200 --resume 2>/dev/null
cmp -s "$W/a.safetensors" "$W/c.safetensors" || fail "resumed run differs from the uninterrupted one"
cmp -s "$W/a.safetensors.log.tsv" "$W/c.safetensors.log.tsv" ||
  [ "$(cut -f1-5 "$W/a.safetensors.log.tsv")" = "$(cut -f1-5 "$W/c.safetensors.log.tsv")" ] ||
  fail "the resumed log's steps and losses differ from the uninterrupted one"

# Progress lines: the tool's name, units with a space, validation results as they come.
grep -q "^train_dense: .* steps/200 steps, .* steps/s, .*valid bpc" "$W/b.err" ||
  fail "progress lines: $(head -3 "$W/b.err")"
# A finished run resumed: nothing to do, and no rate made of nothing.
"$bin/train_dense" "${tiny[@]}" --output="$W/c.safetensors" --max_steps=200 --resume 2>"$W/done.err" ||
  fail "resuming a finished run exited $?"
grep -q "nothing left to do" "$W/done.err" && ! grep -q "e+0\|0 tokens/s" "$W/done.err" ||
  fail "a resumed finished run said: $(cat "$W/done.err")"

# generate: the requested number of bytes from the checkpoint.
out=$("$bin/generate" --checkpoint="$W/a.safetensors" --prompt="the cat " --max_bytes=40 --seed=1 2>"$W/g.err")
[ "${#out}" -eq 40 ] || fail "generate wrote ${#out} bytes, not 40: $(cat "$W/g.err")"
echo "generated: $out" >&2
# Past the trained window (seq_len 32) the context slides by half a window (16 bytes) unless
# --slide says otherwise; both give the bytes within the window alike, then differ.
half=$("$bin/generate" --checkpoint="$W/a.safetensors" --prompt="the cat " --max_bytes=100 --seed=1 2>"$W/g.err")
one=$("$bin/generate" --checkpoint="$W/a.safetensors" --prompt="the cat " --max_bytes=100 --seed=1 --slide=1 2>"$W/g.err")
[ "${half:0:24}" = "${one:0:24}" ] && [ "${half:0:40}" = "$out" ] && [ "${#one}" -eq 100 ] ||
  fail "generate within the window: '$half' / '$one' / '$out'"
[ "$half" != "$one" ] || fail "--slide=1 changed nothing past the window"

# SIGKILL at random moments while checkpoints are written at every step: what is on disk
# always loads (the checkpoint in generate, the resume state in a resumed run).
for i in 1 2 3; do
  rm -f "$W/k.safetensors" "$W/k.safetensors.state"
  "$bin/train_dense" "${tiny[@]}" --output="$W/k.safetensors" --max_steps=1000 --eval_every=3 \
    --checkpoint_every=1 2>/dev/null &
  pid=$!
  sleep "$(python3 -c "import random; print(random.uniform(1.0, 3.0))")"
  kill -9 "$pid"; wait "$pid" 2>/dev/null
  if [ -e "$W/k.safetensors" ]; then
    "$bin/generate" --checkpoint="$W/k.safetensors" --prompt=a --max_bytes=1 >/dev/null 2>"$W/k.err" \
      || fail "checkpoint after SIGKILL $i does not load: $(cat "$W/k.err")"
  fi
  if [ -e "$W/k.safetensors.state" ]; then
    "$bin/train_dense" "${tiny[@]}" --output="$W/k.safetensors" --max_steps=1000 --eval_every=3 \
      --checkpoint_every=1 --resume --stop_after=1 2>"$W/k.err" \
      || fail "resume state after SIGKILL $i does not load: $(tail -1 "$W/k.err")"
  fi
done

# Bad input: one clear line on stderr, a non-zero exit.
expect_error() {  # expected-exit-code expected-text command...
  local code=$1 text=$2; shift 2
  "$@" >/dev/null 2>"$W/e.err"; local got=$?
  [ "$got" -eq "$code" ] || fail "$* exited $got, not $code"
  grep -q -- "$text" "$W/e.err" || fail "$* said '$(cat "$W/e.err")', without '$text'"
  [ "$(wc -l < "$W/e.err")" -eq 1 ] || fail "$* wrote more than one line: $(cat "$W/e.err")"
}
head -c 100 "$W/train.u8" > "$W/short.u8"
expect_error 2 "shorter than one batch" "$bin/train_dense" "${tiny[@]}" --train="$W/short.u8" --output="$W/e.safetensors"
expect_error 2 "positional table" "$bin/train_dense" "${tiny[@]}" --seq_len=6000 --output="$W/e.safetensors"
expect_error 2 "must divide" "$bin/train_dense" "${tiny[@]}" --d_model=30 --heads=4 --output="$W/e.safetensors"
expect_error 2 "no default attention pattern assignment for 3 heads" "$bin/train_sparse" "${tiny[@]}" --d_model=48 --heads=3 --output="$W/e.safetensors"
expect_error 2 "--attention=fast is not known" "$bin/train_sparse" "${tiny[@]}" --attention=fast --output="$W/e.safetensors"
expect_error 2 "--preset=big is not known" "$bin/train_dense" "${tiny[@]}" --preset=big --output="$W/e.safetensors"
expect_error 1 "$W/missing.u8" "$bin/train_dense" "${tiny[@]}" --valid="$W/missing.u8" --output="$W/e.safetensors"
expect_error 1 "no CUDA" "$bin/train_dense" "${tiny[@]}" --device=cuda --output="$W/e.safetensors"
expect_error 1 "--device=cuda: this LibTorch build has no CUDA" "$bin/generate" --checkpoint="$W/a.safetensors" \
  --prompt=a --device=cuda
expect_error 1 "--device=cuda: this LibTorch build has no CUDA" "$bin/dump_attention" --checkpoint="$W/a.safetensors" \
  --tokens="$W/valid.u8" --device=cuda
expect_error 2 "--slide=33 is beyond the context of 32 bytes" "$bin/generate" --checkpoint="$W/a.safetensors" \
  --prompt=a --slide=33
expect_error 2 "--device=tpu is not known" "$bin/generate" --checkpoint="$W/a.safetensors" --prompt=a --device=tpu
expect_error 2 "--output is required" "$bin/train_dense" "${tiny[@]}"
expect_error 1 "$W/missing.safetensors" "$bin/generate" --checkpoint="$W/missing.safetensors" --prompt=a
[ -e "$W/e.safetensors" ] && fail "a failed run left a checkpoint"

# An existing run is not overwritten without being asked.
expect_error 1 "continue it with --resume, or replace it with --overwrite" \
  "$bin/train_dense" "${tiny[@]}" --output="$W/a.safetensors" --max_steps=200
cmp -s "$W/a.safetensors" "$W/b.safetensors" || fail "a refused run changed the checkpoint"
"$bin/train_dense" "${tiny[@]}" --output="$W/b.safetensors" --max_steps=20 --overwrite 2>/dev/null ||
  fail "--overwrite exited $?"
cmp -s "$W/a.safetensors" "$W/b.safetensors" && fail "--overwrite did not replace the run"
expect_error 2 "not both" "$bin/train_dense" "${tiny[@]}" --output="$W/b.safetensors" --resume --overwrite
# A resume with other settings names them; another model's state says so.
"$bin/train_dense" "${tiny[@]}" --output="$W/p.safetensors" --max_steps=200 --stop_after=5 2>/dev/null
expect_error 1 "other settings (--max_steps is 200 in the saved run, 300 now)" \
  "$bin/train_dense" "${tiny[@]}" --output="$W/p.safetensors" --max_steps=300 --resume
expect_error 1 "resume state of a dense model's run, and this run trains a sparse model" \
  "$bin/train_sparse" "${tiny[@]}" --output="$W/p.safetensors" --max_steps=200 --resume

# Hostile numbers are usage errors before anything starts; nothing is left behind.
for flag in --lr=nan --lr=inf --clip_norm=nan --min_lr=-1 --weight_decay=inf --dropout=nan \
            --attention_dropout=1.5 --token_dropout=-0.1 --stochastic_depth=nan; do
  expect_error 2 "${flag%%=*}=" "$bin/train_dense" "${tiny[@]}" "$flag" --output="$W/e.safetensors"
done
expect_error 2 "--dropout=nan" "$bin/train_sparse" "${tiny[@]}" --dropout=nan --output="$W/e.safetensors"
expect_error 2 "stochastic_depth" "$bin/train_sparse" "${tiny[@]}" --stochastic_depth=0.1 --output="$W/e.safetensors"
expect_error 2 "--output=- is not allowed" "$bin/train_dense" "${tiny[@]}" --output=-
ls "$W" | grep -q "^e\.safetensors\|^-" && fail "refused runs left files: $(ls "$W")"
# A run that diverges leaves none of its files (log, state, checkpoint).
"$bin/train_dense" "${tiny[@]}" --lr=1e30 --warmup_steps=0 --eval_every=1 --max_steps=50 \
  --output="$W/d.safetensors" 2>"$W/d.err"
code=$?
[ "$code" -eq 1 ] && tail -1 "$W/d.err" | grep -q "^train_dense: step [0-9]*: training diverged" ||
  fail "a diverging run exited $code: $(tail -2 "$W/d.err")"
ls "$W" | grep -q "^d\.safetensors" && fail "a diverged run left files: $(ls "$W" | grep '^d\.')"
# LibTorch's own errors (here: memory for a 65536-wide model, 17 GB per projection, under a
# 4 GB address-space limit) are one line, exit 1.
expect_error 1 "can't allocate memory" bash -c 'ulimit -v 4000000; exec "$@"' _ "$bin/train_dense" "${tiny[@]}" \
  --d_model=65536 --heads=1 --output="$W/e.safetensors"
expect_error 1 "can't allocate memory" bash -c 'ulimit -v 4000000; exec "$@"' _ "$bin/train_sparse" "${tiny[@]}" \
  --d_model=65536 --heads=1 --output="$W/e.safetensors"
# A width beyond what any checkpoint may hold is a usage error before anything is built.
expect_error 2 "d_model" "$bin/train_dense" "${tiny[@]}" --d_model=4000000000000 --heads=1 --output="$W/e.safetensors"
[ -e "$W/e.safetensors" ] && fail "a failed run left a checkpoint"

# generate: hostile options, a closed pipe noticed at once, a non-safetensors checkpoint.
expect_error 2 "--temperature=nan" "$bin/generate" --checkpoint="$W/a.safetensors" --prompt=a --temperature=nan
expect_error 2 "--top_p=nan" "$bin/generate" --checkpoint="$W/a.safetensors" --prompt=a --top_p=nan
expect_error 2 "--top_p=0" "$bin/generate" --checkpoint="$W/a.safetensors" --prompt=a --top_p=0
expect_error 1 "$W/train.u8" "$bin/generate" --checkpoint="$W/train.u8" --prompt=a
timeout 120 "$bin/generate" --checkpoint="$W/a.safetensors" --prompt=a --max_bytes=100000000 \
  2>"$W/pipe.err" | head -c 5 >/dev/null
code=${PIPESTATUS[0]}
[ "$code" -eq 0 ] && [ ! -s "$W/pipe.err" ] ||
  fail "generate into a closed pipe exited $code (124: it did not notice): $(cat "$W/pipe.err")"
# Checkpoints whose metadata asks for an impossible model, or holds a bad seq_len: one
# line, exit 1, no crash.
with_metadata() {  # input output key=value...
  python3 - "$@" <<'PY'
import sys
import safetensors_io
tensors, metadata = safetensors_io.read(sys.argv[1])
for pair in sys.argv[3:]:
    key, value = pair.split("=", 1)
    metadata[key] = value
safetensors_io.write(sys.argv[2], tensors, metadata)
PY
}
with_metadata "$W/a.safetensors" "$W/huge.safetensors" d_model=4000000000000 heads=1
expect_error 1 "." "$bin/generate" --checkpoint="$W/huge.safetensors" --prompt=a
expect_error 1 "." "$bin/dump_attention" --checkpoint="$W/huge.safetensors" --tokens="$W/valid.u8"
for bad in abc 99999999999999999999 -3; do
  with_metadata "$W/a.safetensors" "$W/bad.safetensors" seq_len=$bad
  expect_error 1 "bad training state in the metadata: .*seq_len.* = .*$bad" \
    "$bin/generate" --checkpoint="$W/bad.safetensors" --prompt=a
  expect_error 1 "bad training state in the metadata: .*seq_len.* = .*$bad" \
    "$bin/dump_attention" --checkpoint="$W/bad.safetensors" --tokens="$W/valid.u8"
done

# dump_attention: the training window by default, a warning beyond it (dense), an error
# beyond the table (sparse), bounds that cannot overflow, exit codes of the README.
record_shape() {
  python3 -c "
import ast, sys
data = open(sys.argv[1], 'rb').read()
n = int.from_bytes(data[8:10], 'little')
print(ast.literal_eval(data[10:10 + n].decode())['shape'])" "$1"
}
"$bin/dump_attention" --checkpoint="$W/a.safetensors" --tokens="$W/valid.u8" --num_seqs=2 \
  --output="$W/a.npy" 2>"$W/dump.err" || fail "dump_attention exited $?: $(cat "$W/dump.err")"
[ "$(record_shape "$W/a.npy")" = "(1, 2, 32, 32)" ] || fail "default window: $(record_shape "$W/a.npy")"
"$bin/dump_attention" --checkpoint="$W/a.safetensors" --tokens="$W/valid.u8" --num_seqs=1 --seq_len=48 \
  --output="$W/long.npy" 2>"$W/dump.err" || fail "dense beyond its training window exited $?"
grep -q "warning: --seq_len=48 is longer than the 32 bytes" "$W/dump.err" || fail "no warning: $(cat "$W/dump.err")"
expect_error 1 "beyond this sparse model's positional table (32 positions)" \
  "$bin/dump_attention" --checkpoint="$W/s.safetensors" --tokens="$W/valid.u8" --seq_len=33
expect_error 1 "need more than 2^63" "$bin/dump_attention" --checkpoint="$W/a.safetensors" \
  --tokens="$W/valid.u8" --num_seqs=576460752303423489 --seq_len=16 --output="$W/o.npy"
expect_error 1 "--offset=9223372036854775800" "$bin/dump_attention" --checkpoint="$W/a.safetensors" \
  --tokens="$W/valid.u8" --offset=9223372036854775800 --output="$W/o.npy"
expect_error 1 "--heads=0,9" "$bin/dump_attention" --checkpoint="$W/a.safetensors" --tokens="$W/valid.u8" --heads=0,9
expect_error 2 "--heads=x" "$bin/dump_attention" --checkpoint="$W/a.safetensors" --tokens="$W/valid.u8" --heads=x
expect_error 2 "--num_seqs=0" "$bin/dump_attention" --checkpoint="$W/a.safetensors" --tokens="$W/valid.u8" --num_seqs=0
expect_error 1 "$W/train.u8" "$bin/dump_attention" --checkpoint="$W/train.u8" --tokens="$W/valid.u8"
expect_error 2 "--checkpoint is required" "$bin/dump_attention" --tokens="$W/valid.u8"
ls "$W" | grep -q "o\.npy" && fail "a failed dump left files: $(ls "$W" | grep o.npy)"
"$bin/dump_attention" --checkpoint="$W/a.safetensors" --tokens="$W/train.u8" --num_seqs=1000 \
  2>"$W/pipe.err" | head -c 100 >/dev/null
[ "${PIPESTATUS[0]}" -eq 0 ] && [ ! -s "$W/pipe.err" ] || fail "dump_attention into a closed pipe: $(cat "$W/pipe.err")"

finish
