#!/usr/bin/env bash
# End-to-end test of tools/evaluate on a tiny dense model trained here: the default window
# is the checkpoint's training seq_len, every byte after the first is scored once, a
# sliding window (stride < context) scores the trained model better, and every bad flag or
# input is one line on stderr with exit 1 (runtime) or 2 (usage), leaving no output.
set -uo pipefail

TOOL="$TEST_SRCDIR/attn/tools/evaluate"
TRAIN="$TEST_SRCDIR/attn/tools/train_dense"
source "$TEST_SRCDIR/attn/tools/test_lib.sh"

words_corpus "$W/train.u8" 30000 1
words_corpus "$W/valid.u8" 3001 2
printf x > "$W/one.u8"
# Four epochs: enough for more context to help (below 1 bpc; the unigram entropy is 3.0).
# One thread: the test machine is shared.
"$TRAIN" --train="$W/train.u8" --valid="$W/valid.u8" --output="$W/m.safetensors" --d_model=64 --heads=2 \
  --layers=1 --ff=64 --dropout=0 --seq_len=32 --batch_size=8 --lr=3e-3 --warmup_steps=10 --epochs=4 --max_steps=0 \
  --eval_every=0 --eval_batches=4 --threads=1 2>"$W/train.err" || { cat "$W/train.err" >&2; exit 1; }

# fp32 unless a run asks otherwise: the scores are compared with each other and with bf16's,
# and the default (auto) is bf16 on a CPU with native bf16.
run() {  # run NAME ARGS...: evaluate with a TSV to $W/NAME.tsv; prints its data row
  local name=$1
  shift
  "$TOOL" --checkpoint="$W/m.safetensors" --threads=1 --precision=fp32 --output="$W/$name.tsv" "$@" >"$W/$name.out" \
    2>"$W/$name.err" || fail "$name: exit $? ($(tail -1 "$W/$name.err"))"
  tail -1 "$W/$name.tsv"
}
field() { cut -f"$1" <<<"$2"; }  # 3 bpc, 4 nats, 5 bytes, 6 context, 7 stride, 8 precision

# --- the default window: the training seq_len; every byte but the first scored ---------
whole=$(run whole --tokens="$W/valid.u8")
[ "$(head -1 "$W/whole.tsv")" = $'checkpoint\ttokens\tbpc\tnats_per_byte\tbytes_scored\tcontext\tstride\tprecision\ttime_s' ] ||
  fail "TSV header: $(head -1 "$W/whole.tsv")"
[ "$(field 5 "$whole")" = 3000 ] || fail "bytes scored $(field 5 "$whole"), expected 3000"
[ "$(field 6 "$whole")" = 32 ] && [ "$(field 7 "$whole")" = 32 ] || fail "context/stride: $whole"
python3 -c "import math, sys; b, n = $(field 3 "$whole"), $(field 4 "$whole"); sys.exit(abs(b - n / math.log(2)) > 1e-5)" ||
  fail "bpc is not nats / ln 2: $whole"
grep -q "^$W/valid.u8: .* bpc (.* nats per byte) on 3000 predicted bytes, context 32, stride 32, fp32" \
  "$W/whole.out" || fail "summary line: $(cat "$W/whole.out")"
grep -q "evaluate" "$W/whole.err" || fail "no progress on stderr"

# --- a sliding window changes the score; at context 8 more context per byte is better ----
sliding=$(run sliding --tokens="$W/valid.u8" --stride=8)
[ "$(field 5 "$sliding")" = 3000 ] || fail "sliding: bytes scored $(field 5 "$sliding")"
[ "$(field 3 "$sliding")" != "$(field 3 "$whole")" ] || fail "stride 8 scores as stride 32: $sliding"
blocks8=$(run blocks8 --tokens="$W/valid.u8" --context=8)
sliding8=$(run sliding8 --tokens="$W/valid.u8" --context=8 --stride=1)
python3 -c "import sys; sys.exit(not $(field 3 "$sliding8") < $(field 3 "$blocks8"))" ||
  fail "context 8: stride 1 ($(field 3 "$sliding8") bpc) is not better than stride 8 ($(field 3 "$blocks8") bpc)"
echo "context 32: stride 32 $(field 3 "$whole"), stride 8 $(field 3 "$sliding") bpc;" \
  "context 8: stride 8 $(field 3 "$blocks8"), stride 1 $(field 3 "$sliding8") bpc" >&2

# --- a quick estimate, bf16, stdin, TSV on stdout -------------------------------------------
[ "$(field 5 "$(run quick --tokens="$W/valid.u8" --max_bytes=1000)")" = 999 ] || fail "--max_bytes=1000"
bf16=$(run bf16 --tokens="$W/valid.u8" --precision=bf16)
python3 -c "import sys; a, b = $(field 3 "$bf16"), $(field 3 "$whole"); sys.exit(abs(a - b) > 0.02 * b)" ||
  fail "bf16 $(field 3 "$bf16") bpc far from fp32 $(field 3 "$whole")"
[ "$(field 3 "$(run stdin --tokens=- <"$W/valid.u8")")" = "$(field 3 "$whole")" ] || fail "stdin differs from the file"
"$TOOL" --checkpoint="$W/m.safetensors" --tokens="$W/valid.u8" --output=- --threads=1 --precision=fp32 \
  >"$W/stdout.tsv" 2>/dev/null
[ "$(wc -l <"$W/stdout.tsv")" -eq 2 ] && [ "$(tail -1 "$W/stdout.tsv" | cut -f3)" = "$(field 3 "$whole")" ] ||
  fail "--output=- is not the TSV alone: $(cat "$W/stdout.tsv")"
"$TOOL" --checkpoint="$W/m.safetensors" --tokens="$W/valid.u8" --context=64 --threads=1 >/dev/null \
  2>"$W/warn.err" || fail "--context=64: exit $?"
grep -q "evaluate: warning: --context=64 is beyond the training seq_len 32" "$W/warn.err" || fail "no warning for context 64"

# --- the default precision is auto: what this CPU computes natively, named and logged -----
want=$(auto_precision)
"$TOOL" --checkpoint="$W/m.safetensors" --tokens="$W/valid.u8" --max_bytes=1000 --output=- --threads=1 \
  >"$W/auto.tsv" 2>"$W/auto.err" || fail "default precision: exit $?"
[ "$(tail -1 "$W/auto.tsv" | cut -f8)" = "$want" ] || fail "default precision not $want here: $(cat "$W/auto.tsv")"
grep -q "^evaluate: precision auto: $want (" "$W/auto.err" || fail "auto's choice not logged: $(cat "$W/auto.err")"

# --- errors: one line, the right exit code, no output ---------------------------------------
expect() {  # expect CODE MESSAGE ARGS...
  expect_error "$1" "$2" "$W/out.tsv" -- "$TOOL" "${@:3}" --output="$W/out.tsv"
}
m="--checkpoint=$W/m.safetensors"
v="--tokens=$W/valid.u8"
expect 2 "--checkpoint is required" "$v"
expect 2 "--tokens is required" "$m"
expect 2 "--stride=64 is longer than the context 32" "$m" "$v" --stride=64
expect 2 "--batch_size=0 must be at least 1" "$m" "$v" --batch_size=0
expect 2 "fp16 is not known" "$m" "$v" --precision=fp16
expect 1 "no CUDA" "$m" "$v" --device=cuda
expect 1 "'s positional table (5000 positions)" "$m" "$v" --context=6000
expect 1 "nothing to predict" "$m" --tokens="$W/one.u8"
expect 1 "missing.u8" "$m" --tokens="$W/missing.u8"

finish
