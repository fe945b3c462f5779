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
source "$TEST_SRCDIR/attn/tools/test_lib.sh"

"$PYTHON" "$MAKE" make "$W" || { echo "FAIL: cannot make the .pt fixtures" >&2; exit 1; }

# --- imported models give the Python modules' attention through dump_attention ----------
for spec in dense_dict_zip:24 sparse_dict_legacy:40 dense_bare_legacy:24:--heads=4; do
  IFS=: read -r name len flag <<<"$spec"
  "$TOOL" --input="$W/$name.pt" --output="$W/$name.safetensors" ${flag:+"$flag"} 2>"$W/err" ||
    fail "$name: exit $? ($(cat "$W/err"))"
  grep -q "^import_checkpoint: .* model, 2 layers, .* to $W/$name.safetensors$" "$W/err" ||
    fail "$name: no summary line: $(cat "$W/err")"
  "$DUMP" --checkpoint="$W/$name.safetensors" --tokens="$W/$name.u8" --num_seqs=2 --seq_len="$len" \
    >"$W/$name.attn" 2>/dev/null || fail "$name: dump_attention exit $?"
  "$PYTHON" "$MAKE" check-dump "$W/$name.ref.npy" "$W/$name.attn" || fail "$name: attention differs"
done

# --- the metadata keeps what the training script saved -------------------------------------
"$PYTHON" - "$W/dense_dict_zip.safetensors" <<'PY' || fail "metadata"
import json, sys
import safetensors_io
_, meta, _ = safetensors_io.read_header(sys.argv[1])
assert meta['kind'] == 'dense' and meta['heads'] == '4' and meta['layers'] == '2', meta
assert json.loads(meta['train_losses']) == [3.1, 2.5] and json.loads(meta['val_losses']) == [3.0, 2.6], meta
assert meta['seed'] == '42' and meta['seq_len'] == '64' and meta['imported_from'] == 'dense_dict_zip.pt', meta
assert json.loads(meta['original_config'])['num_epochs'] == 20, meta
PY
# --seq_len is recorded; stdin works.
"$TOOL" --input=- --output="$W/stdin.safetensors" --seq_len=32 <"$W/dense_dict_zip.pt" 2>/dev/null ||
  fail "stdin: exit $?"
grep -q '"seq_len":"32"' "$W/stdin.safetensors" || fail "--seq_len=32 not recorded"

# --- errors: one line, the right exit code, nothing left behind -----------------------------
expect() {  # expect CODE MESSAGE ARGS...
  expect_error "$1" "$2" "$W/out.safetensors" -- "$TOOL" "${@:3}"
}
out="--output=$W/out.safetensors"
expect 2 "--input is required" "$out"
expect 2 "--output is required" --input="$W/dense_dict_zip.pt"
expect 2 "--kind=big is not known" --input="$W/dense_dict_zip.pt" "$out" --kind=big
expect 2 "unexpected argument" --input="$W/dense_dict_zip.pt" "$out" extra
expect 1 "the state_dict is the dense model's" --input="$W/dense_dict_zip.pt" "$out" --kind=sparse
expect 1 "give heads" --input="$W/dense_bare_zip.pt" "$out"
expect 1 "config nhead = 4" --input="$W/dense_dict_zip.pt" "$out" --heads=8
expect 1 "longer than the positional table" --input="$W/dense_dict_zip.pt" "$out" --seq_len=65
expect 1 "truncated" --input="$W/truncated_zip.pt" "$out"
expect 1 "TorchScript" --input="$W/torchscript.pt" "$out"
expect 1 "neither a torch.save zip archive" --input="$W/text.pt" "$out"
expect 1 "missing.pt" --input="$W/missing.pt" "$out"
expect 1 "text.pt/out.safetensors" --input="$W/dense_dict_zip.pt" --output="$W/text.pt/out.safetensors"

finish
