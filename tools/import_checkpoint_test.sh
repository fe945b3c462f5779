#!/usr/bin/env bash
# End-to-end test of tools/import_checkpoint on PyTorch checkpoints made by the Python
# original's modules: dump_attention on the imported checkpoint gives the module's per-head
# attention, the metadata keeps the losses and the seed, and every bad input or flag is one
# line on stderr with exit 1 (runtime) or 2 (usage), leaving no output behind.
set -uo pipefail

TOOL="$TEST_SRCDIR/attn/tools/import_checkpoint"
DUMP="$TEST_SRCDIR/attn/tools/dump_attention"
MAKE="$TEST_SRCDIR/attn/lib/interop/testdata/make_torch_checkpoints.py"
PYTHON=/usr/bin/python3  # Debian's, which has python3-torch (scripts/setup.sh)
WORK="$(mktemp -d "$TEST_TMPDIR/importXXXXXX")"
W="$WORK"
source "$TEST_SRCDIR/attn/tools/test_lib.sh"

"$PYTHON" "$MAKE" make "$WORK" || { echo "FAIL: cannot make the .pt fixtures" >&2; exit 1; }

# --- imported models give the Python modules' attention through dump_attention ----------
for spec in dense_dict_zip:24 sparse_dict_legacy:40 dense_bare_legacy:24:--heads=4; do
  IFS=: read -r name len flag <<<"$spec"
  "$TOOL" --input="$WORK/$name.pt" --output="$WORK/$name.safetensors" ${flag:+"$flag"} 2>"$WORK/err" ||
    fail "$name: exit $? ($(cat "$WORK/err"))"
  grep -q "^import_checkpoint: .* model, 2 layers, .* to $WORK/$name.safetensors$" "$WORK/err" ||
    fail "$name: no summary line: $(cat "$WORK/err")"
  "$DUMP" --checkpoint="$WORK/$name.safetensors" --tokens="$WORK/$name.u8" --num_seqs=2 --seq_len="$len" \
    >"$WORK/$name.attn" 2>/dev/null || fail "$name: dump_attention exit $?"
  "$PYTHON" "$MAKE" check-dump "$WORK/$name.ref.npy" "$WORK/$name.attn" || fail "$name: attention differs"
done

# --- the metadata keeps what the training script saved -------------------------------------
"$PYTHON" - "$WORK/dense_dict_zip.safetensors" <<'PY' || fail "metadata"
import json, struct, sys
data = open(sys.argv[1], 'rb').read()
meta = json.loads(data[8:8 + struct.unpack('<Q', data[:8])[0]])['__metadata__']
assert meta['kind'] == 'dense' and meta['heads'] == '4' and meta['layers'] == '2', meta
assert json.loads(meta['train_losses']) == [3.1, 2.5] and json.loads(meta['val_losses']) == [3.0, 2.6], meta
assert meta['seed'] == '42' and meta['seq_len'] == '64' and meta['imported_from'] == 'dense_dict_zip.pt', meta
assert json.loads(meta['original_config'])['num_epochs'] == 20, meta
PY
# --seq_len is recorded; stdin works.
"$TOOL" --input=- --output="$WORK/stdin.safetensors" --seq_len=32 <"$WORK/dense_dict_zip.pt" 2>/dev/null ||
  fail "stdin: exit $?"
grep -q '"seq_len":"32"' "$WORK/stdin.safetensors" || fail "--seq_len=32 not recorded"

# --- errors: one line, the right exit code, nothing left behind -----------------------------
expect() {  # expect CODE MESSAGE ARGS...
  expect_error "$1" "$2" "$WORK/out.safetensors" -- "$TOOL" "${@:3}"
}
out="--output=$WORK/out.safetensors"
expect 2 "input is required" "$out"
expect 2 "output is required" --input="$WORK/dense_dict_zip.pt"
expect 2 "kind big is not known" --input="$WORK/dense_dict_zip.pt" "$out" --kind=big
expect 2 "unexpected argument" --input="$WORK/dense_dict_zip.pt" "$out" extra
expect 1 "the state_dict is the dense model's" --input="$WORK/dense_dict_zip.pt" "$out" --kind=sparse
expect 1 "give heads" --input="$WORK/dense_bare_zip.pt" "$out"
expect 1 "config nhead = 4" --input="$WORK/dense_dict_zip.pt" "$out" --heads=8
expect 1 "longer than the positional table" --input="$WORK/dense_dict_zip.pt" "$out" --seq_len=65
expect 1 "truncated" --input="$WORK/truncated_zip.pt" "$out"
expect 1 "TorchScript" --input="$WORK/torchscript.pt" "$out"
expect 1 "neither a torch.save zip archive" --input="$WORK/text.pt" "$out"
expect 1 "missing.pt" --input="$WORK/missing.pt" "$out"
expect 1 "text.pt/out.safetensors" --input="$WORK/dense_dict_zip.pt" --output="$WORK/text.pt/out.safetensors"

finish
