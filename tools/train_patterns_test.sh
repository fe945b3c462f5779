#!/usr/bin/env bash
# train_dense and train_sparse with --patterns: the original's four patterns written as a
# pattern file train exactly the default sparse model; patterns derived from a dense model's
# clustered heads (dump_attention | head_metrics, ward, derive_patterns) train with both
# tools, and the trained models attend only where the file allows; bad files are one line.
set -uo pipefail
bin="$(dirname "$0")"
[ -x "$bin/train_dense" ] || bin="${RUNFILES_DIR:-$0.runfiles}/attn/tools"
source "$bin/test_lib.sh"

words=("the " "cat " "sat " "on " "mat " "with " "a " "hat " "<b>" "[[x]] " $'\n')
words_corpus "$W/train.u8" 40000 1 "${words[@]}"
words_corpus "$W/valid.u8" 4000 2 "${words[@]}"
tiny=(--train="$W/train.u8" --valid="$W/valid.u8" --d_model=32 --layers=2 --ff=32 --seq_len=32
      --batch_size=4 --lr=3e-3 --warmup_steps=5 --eval_every=20 --eval_batches=4 --threads=1)

# Tensor bytes of a checkpoint, name by name (the metadata may name patterns differently).
tensors() {
  python3 - "$1" <<'PY'
import hashlib, sys
import safetensors_io
tensors, _ = safetensors_io.read(sys.argv[1])
for name in sorted(tensors):
    print(name, hashlib.sha256(tensors[name].data).hexdigest())
PY
}

# 1. The four built-ins as a pattern file are the default 8-head sparse model, weight for
# weight (dropout on, so the random streams must match too).
cat > "$W/original.json" <<'EOF'
{"heads": ["local8", "local16", "local16", "strided", "strided", "strided", "global", "global"]}
EOF
"$bin/train_sparse" "${tiny[@]}" --heads=8 --max_steps=15 --output="$W/default.safetensors" 2>"$W/d.err" ||
  fail "default sparse run: $(tail -1 "$W/d.err")"
"$bin/train_sparse" "${tiny[@]}" --heads=8 --max_steps=15 --patterns="$W/original.json" \
  --output="$W/file.safetensors" 2>"$W/f.err" || fail "sparse run with the pattern file: $(tail -1 "$W/f.err")"
[ -n "$(tensors "$W/default.safetensors")" ] && [ "$(tensors "$W/default.safetensors")" = "$(tensors "$W/file.safetensors")" ] ||
  fail "the built-ins as a pattern file trained other weights than the default"

# 2. From a dense model's heads to patterns, then both tools train with them.
"$bin/train_dense" "${tiny[@]}" --heads=4 --max_steps=40 --output="$W/dense.safetensors" 2>"$W/e.err" ||
  fail "dense run: $(tail -1 "$W/e.err")"
"$bin/dump_attention" --checkpoint="$W/dense.safetensors" --tokens="$W/valid.u8" --num_seqs=3 \
  --output="$W/dense.npy" 2>"$W/err" || fail "dump_attention: $(cat "$W/err")"
"$bin/head_metrics" --input="$W/dense.npy" --output="$W/metrics.csv" 2>"$W/err" || fail "head_metrics: $(cat "$W/err")"
"$bin/ward" --k=best --k_max=4 --input="$W/metrics.csv" --output="$W/clusters.csv" 2>"$W/err" ||
  fail "ward: $(cat "$W/err")"
"$bin/derive_patterns" --attention="$W/dense.npy" --clusters="$W/clusters.csv" --heads=4 \
  --output="$W/derived.json" 2>"$W/err" || fail "derive_patterns: $(cat "$W/err")"
for tool in train_dense train_sparse; do
  "$bin/$tool" "${tiny[@]}" --heads=4 --max_steps=10 --patterns="$W/derived.json" \
    --output="$W/$tool.safetensors" 2>"$W/err" || fail "$tool --patterns: $(tail -1 "$W/err")"
  "$bin/dump_attention" --checkpoint="$W/$tool.safetensors" --tokens="$W/valid.u8" --num_seqs=1 \
    --output="$W/$tool.npy" 2>"$W/err" || fail "dump_attention of $tool: $(cat "$W/err")"
  # Every head attends only where its derived pattern allows, and everywhere it allows.
  /usr/bin/python3 - "$W/derived.json" "$W/$tool.npy" <<'PY' || fail "$tool: attention outside its derived patterns"
import json, math, sys
import numpy as np
spec = json.load(open(sys.argv[1]))
a = np.load(sys.argv[2])
layers, heads, L = a.shape[0], a.shape[1], a.shape[2]
names = spec["heads"] if isinstance(spec["heads"][0], list) else [spec["heads"]] * layers
def allows(p, i, j):
    if j > i: return False
    w = p.get("window")
    if w is not None and (w == -1 or i - j <= w): return True
    s = p.get("stride", 0)
    if s > 0 and j % s == 0: return True
    return any(min(L - 1, math.floor(r * (L - 1))) == j for r in p.get("anchors", []))
for l in range(layers):
    for h in range(heads):
        p = spec["patterns"][names[l][h]]
        mask = np.array([[allows(p, i, j) for j in range(L)] for i in range(L)])
        assert np.all(a[l, h][~mask] == 0), (l, h)
        assert np.all(a[l, h][mask] > 0), (l, h)
PY
done

# 3. A paused run resumes with its patterns; resuming without them is refused, naming them.
"$bin/train_dense" "${tiny[@]}" --heads=4 --max_steps=10 --stop_after=5 --patterns="$W/derived.json" \
  --output="$W/paused.safetensors" 2>"$W/err" || fail "paused run: $(tail -1 "$W/err")"
expect_error 1 "patterns" "" -- "$bin/train_dense" "${tiny[@]}" --heads=4 --max_steps=10 --resume \
  --output="$W/paused.safetensors"
"$bin/train_dense" "${tiny[@]}" --heads=4 --max_steps=10 --patterns="$W/derived.json" --resume \
  --output="$W/paused.safetensors" 2>"$W/err" || fail "resumed run: $(tail -1 "$W/err")"

# 4. Bad pattern files: one line naming the file and the field; nothing left behind.
echo '{"heads": ["local8", "nope", "local8", "local8"]}' > "$W/unknown.json"
expect_error 1 'unknown.json: layer 0 head 1: unknown pattern "nope"' "$W/bad.safetensors" -- \
  "$bin/train_dense" "${tiny[@]}" --heads=4 --patterns="$W/unknown.json" --output="$W/bad.safetensors"
echo '{"patterns": {"w": {"window": -2}}, "heads": ["w", "w", "w", "w"]}' > "$W/window.json"
expect_error 1 "window.json: patterns.w.window = -2" "$W/bad.safetensors" -- \
  "$bin/train_sparse" "${tiny[@]}" --heads=4 --patterns="$W/window.json" --output="$W/bad.safetensors"
expect_error 1 "heads has 8 names for 4 heads" "$W/bad.safetensors" -- \
  "$bin/train_dense" "${tiny[@]}" --heads=4 --patterns="$W/original.json" --output="$W/bad.safetensors"
expect_error 1 "missing.json" "$W/bad.safetensors" -- \
  "$bin/train_sparse" "${tiny[@]}" --heads=4 --patterns="$W/missing.json" --output="$W/bad.safetensors"
expect_error 2 "not both" "$W/bad.safetensors" -- \
  "$bin/train_sparse" "${tiny[@]}" --heads=8 --patterns="$W/original.json" --mask_subset=03 --output="$W/bad.safetensors"
finish
