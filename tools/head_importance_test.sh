#!/usr/bin/env bash
# End-to-end test of tools/head_importance on tiny dense and sparse models trained here: one
# CSV row per head, joinable with head_metrics' layer,head, each ablation the baseline plus
# its delta; a head made inert in the checkpoint (its columns of out_proj zeroed, so its
# output is exactly zero) is worth exactly 0 by both scores and the others are not; the
# default window is the training seq_len, --batches bounds the windows (0: the whole file),
# stdin reads as the file; scripts/importance.gp draws the CSV against clusters; every bad
# flag or input is one line on stderr with exit 1 (runtime) or 2 (usage), leaving no output.
set -uo pipefail

TOOL="$TEST_SRCDIR/attn/tools/head_importance"
BIN="$TEST_SRCDIR/attn/tools"
GP="$TEST_SRCDIR/attn/scripts/importance.gp"
WORK="$(mktemp -d "$TEST_TMPDIR/importanceXXXXXX")"
W="$WORK"
source "$TEST_SRCDIR/attn/tools/test_lib.sh"

words_corpus "$WORK/train.u8" 20000 1
words_corpus "$WORK/valid.u8" 3001 2
head -c 500 "$WORK/valid.u8" >"$WORK/head500.u8"
printf 'the cat' >"$WORK/short.u8"
# A few dozen steps: enough for every head to matter a little. One thread: the machine is shared.
common=(--train="$WORK/train.u8" --valid="$WORK/valid.u8" --d_model=32 --layers=2 --ff=64 --dropout=0 --seq_len=32
  --batch_size=8 --lr=3e-3 --warmup_steps=10 --max_steps=40 --eval_every=0 --eval_batches=2 --threads=1)
"$BIN/train_dense" "${common[@]}" --heads=2 --output="$WORK/dense.safetensors" 2>"$WORK/train.err" ||
  { cat "$WORK/train.err" >&2; exit 1; }
"$BIN/train_sparse" "${common[@]}" --heads=4 --embedding_std=0.1 --output="$WORK/sparse.safetensors" \
  2>"$WORK/train.err" || { cat "$WORK/train.err" >&2; exit 1; }

# inert IN OUT LAYER HEAD: a copy of checkpoint IN whose LAYER's HEAD has its input columns of
# out_proj zeroed (both kinds name it <blocks>.LAYER.self_attn.out_proj.weight).
inert() {
  python3 - "$@" <<'PY'
import json, struct, sys
src, dst, layer, head = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
data = bytearray(open(src, "rb").read())
size = struct.unpack("<Q", data[:8])[0]
header = json.loads(data[8:8 + size])
heads = int(header["__metadata__"]["heads"])
[name] = [k for k in header if k.endswith(f".{layer}.self_attn.out_proj.weight")]
rows, cols = header[name]["shape"]
begin = 8 + size + header[name]["data_offsets"][0]
dh = cols // heads
for r in range(rows):
    for c in range(head * dh, (head + 1) * dh):
        struct.pack_into("<f", data, begin + 4 * (r * cols + c), 0.0)
open(dst, "wb").write(data)
PY
}

run() {  # run NAME ARGS...: the CSV to $WORK/NAME.csv, the summary to $WORK/NAME.out
  local name=$1
  shift
  "$TOOL" --threads=1 --output="$WORK/$name.csv" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" ||
    fail "$name: exit $? ($(tail -1 "$WORK/$name.err"))"
}
baseline() { sed -n 's/.*: \([0-9.]*\) bpc unmasked on .*/\1/p' "$WORK/$1.out"; }
# check_rows NAME ROWS: the header, ROWS rows in layer-major order, ablation = baseline + delta,
# finite scores.
check_rows() {
  local name=$1 rows=$2
  [ "$(head -1 "$WORK/$name.csv")" = "layer,head,ablation_bpc,ablation_delta_bpc,grad_importance" ] ||
    fail "$name: header $(head -1 "$WORK/$name.csv")"
  [ "$(tail -n +2 "$WORK/$name.csv" | wc -l)" -eq "$rows" ] || fail "$name: $(tail -n +2 "$WORK/$name.csv" | wc -l) rows"
  python3 - "$WORK/$name.csv" "$(baseline "$name")" <<'PY' || fail "$name: rows inconsistent: $(cat "$WORK/$name.csv")"
import csv, math, sys
rows = list(csv.DictReader(open(sys.argv[1])))
base = float(sys.argv[2])
heads = 1 + max(int(r["head"]) for r in rows)
for i, r in enumerate(rows):
    assert (int(r["layer"]), int(r["head"])) == divmod(i, heads), r
    a, d, g = float(r["ablation_bpc"]), float(r["ablation_delta_bpc"]), float(r["grad_importance"])
    assert all(map(math.isfinite, (a, d, g))) and g >= 0, r
    assert abs(a - (base + d)) < 1e-3, (r, base)  # the summary prints the baseline to 4 places
PY
}
# worth NAME LAYER HEAD: that head's "ablation_delta_bpc grad_importance".
worth() { awk -F, -v l="$2" -v h="$3" '$1 == l && $2 == h { print $4, $5 }' "$WORK/$1.csv"; }

# --- both kinds: one row per head; the default window is the training seq_len -------------
for kind in dense sparse; do
  run "$kind" --checkpoint="$WORK/$kind.safetensors" --tokens="$WORK/valid.u8"
  grep -q "^$WORK/valid.u8: [0-9.]* bpc unmasked on 32 windows of 32 bytes (1024 predicted bytes); ablating layer" \
    "$WORK/$kind.out" || fail "$kind: summary $(cat "$WORK/$kind.out")"
  grep -q "head_importance: .*$kind model" "$WORK/$kind.err" || fail "$kind: no progress on stderr"
done
check_rows dense 4
check_rows sparse 8

# --- an inert head is worth exactly nothing, the others something --------------------------
inert "$WORK/dense.safetensors" "$WORK/dense_inert.safetensors" 1 0
inert "$WORK/sparse.safetensors" "$WORK/sparse_inert.safetensors" 0 3
for case in "dense 1 0 2" "sparse 0 3 4"; do
  read -r kind layer head heads <<<"$case"
  run "${kind}_inert" --checkpoint="$WORK/${kind}_inert.safetensors" --tokens="$WORK/valid.u8"
  check_rows "${kind}_inert" $((2 * heads))
  for l in 0 1; do
    for ((h = 0; h < heads; ++h)); do
      read -r delta grad <<<"$(worth "${kind}_inert" $l $h)"
      if [ "$l.$h" = "$layer.$head" ]; then
        [ "$delta" = 0 ] && [ "$grad" = 0 ] || fail "$kind: inert layer $l head $h is worth $delta bpc, gradient $grad"
      else
        [ "$delta" != 0 ] && [ "$grad" != 0 ] || fail "$kind: layer $l head $h is worth $delta bpc, gradient $grad"
      fi
    done
  done
done

# --- windows: --batches and --batch_size bound them, 0 is the whole file, --seq_len sets them --
run few --checkpoint="$WORK/dense.safetensors" --tokens="$WORK/valid.u8" --batches=1 --batch_size=3 --seq_len=16
grep -q " on 3 windows of 16 bytes (48 predicted bytes)" "$WORK/few.out" || fail "few: $(cat "$WORK/few.out")"
run all --checkpoint="$WORK/dense.safetensors" --tokens="$WORK/head500.u8" --batches=0
grep -q " on 15 windows of 32 bytes (480 predicted bytes)" "$WORK/all.out" || fail "all: $(cat "$WORK/all.out")"
# The same windows in other batches: the same scores, up to summation order.
run batched --checkpoint="$WORK/dense.safetensors" --tokens="$WORK/valid.u8" --batches=2 --batch_size=16
python3 - "$WORK/dense.csv" "$WORK/batched.csv" <<'PY' || fail "batch_size 16 scores differ from 8"
import csv, sys
a, b = (list(csv.DictReader(open(p))) for p in sys.argv[1:])
assert len(a) == len(b)
for x, y in zip(a, b):
    for k in ("ablation_bpc", "grad_importance"):
        assert abs(float(x[k]) - float(y[k])) <= 1e-5 * max(1, abs(float(x[k]))), (x, y)
PY

# --- stdin, the CSV on stdout (the summary then on stderr), a window beyond the training one --
"$TOOL" --checkpoint="$WORK/dense.safetensors" --tokens=- --threads=1 <"$WORK/valid.u8" >"$WORK/stdout.csv" \
  2>"$WORK/stdout.err" || fail "--tokens=- --output=-: exit $?"
cmp -s "$WORK/stdout.csv" "$WORK/dense.csv" || fail "stdin and stdout: not the file's CSV: $(cat "$WORK/stdout.csv")"
grep -q "bpc unmasked on 32 windows" "$WORK/stdout.err" || fail "no summary on stderr with the CSV on stdout"
run longer --checkpoint="$WORK/dense.safetensors" --tokens="$WORK/valid.u8" --seq_len=64 --batches=1
grep -q "warning: --seq_len=64 is longer than the 32 bytes" "$WORK/longer.err" || fail "no warning for seq_len 64"

# --- scripts/importance.gp: the importance joined with clusters on layer,head ----------------
# Clusters in another order than the importance rows, and one head without a cluster.
printf 'layer,head,entropy,cluster\n1,1,0.5,1\n0,0,0.1,0\n1,0,0.2,1\n' >"$WORK/clusters.csv"
gnuplot -e "importance='$WORK/dense.csv'; clusters='$WORK/clusters.csv'; outfile='$WORK/importance.svg'" \
  "$GP" 2>"$WORK/gp.err" || fail "importance.gp: exit $? ($(cat "$WORK/gp.err"))"
for text in "0 (1 head)" "1 (2 heads)" L0H0 L1H0 L1H1 ablation_delta_bpc; do
  grep -qF ">$text" "$WORK/importance.svg" || fail "importance.gp: no '$text' in the figure"
done
! grep -qF ">L0H1<" "$WORK/importance.svg" || fail "importance.gp: L0H1 has no cluster but is drawn"
gnuplot -e "importance='$WORK/dense.csv'; clusters='$WORK/clusters.csv'; metric='grad_importance'; \
  outfile='$WORK/importance.png'" "$GP" 2>"$WORK/gp.err" && [ -s "$WORK/importance.png" ] ||
  fail "importance.gp grad_importance png: $(cat "$WORK/gp.err")"
printf 'layer,head,cluster\n7,0,0\n' >"$WORK/elsewhere.csv"
expect_error 1 "no head of $WORK/dense.csv has a cluster" "$WORK/none.svg" -- \
  gnuplot -e "importance='$WORK/dense.csv'; clusters='$WORK/elsewhere.csv'; outfile='$WORK/none.svg'" "$GP"

# --- errors: one line, the right exit code, no output ----------------------------------------
expect() {  # expect CODE MESSAGE ARGS...
  expect_error "$1" "$2" "$WORK/out.csv" -- "$TOOL" "${@:3}" --output="$WORK/out.csv"
}
m="--checkpoint=$WORK/dense.safetensors"
v="--tokens=$WORK/valid.u8"
expect 2 "--checkpoint is required" "$v"
expect 2 "--tokens is required" "$m"
expect 2 "--batch_size" "$m" "$v" --batch_size=0
expect 2 "--batches" "$m" "$v" --batches=-1
expect 2 "--seq_len" "$m" "$v" --seq_len=-3
expect 2 "--threads" "$m" "$v" --threads=-1
expect 2 "no_such_flag" "$m" "$v" --no_such_flag=1
expect 1 "positional table (5000 positions)" "$m" "$v" --seq_len=6000
expect 1 "short.u8: the tokens hold 7 bytes" "$m" --tokens="$WORK/short.u8"
expect 1 "missing.u8" "$m" --tokens="$WORK/missing.u8"
expect 1 "missing.safetensors" --checkpoint="$WORK/missing.safetensors" "$v"
expect 1 "valid.u8" --checkpoint="$WORK/valid.u8" "$v"
expect 1 "no CUDA" "$m" "$v" --device=cuda
expect_error 1 "$WORK/valid.u8/out.csv" "" -- "$TOOL" "$m" "$v" --output="$WORK/valid.u8/out.csv"

finish
