#!/usr/bin/env bash
# describe on checkpoints made by the model fixture: what it prints, and one-line errors.
# Args: the describe binary, python_compat_fixture (writes small dense and sparse checkpoints).
set -uo pipefail
describe=$1
fixture=$2
source tools/test_lib.sh
has() { grep -qxF -- "$2" "$1" || fail "$1 lacks the line '$2'"; }

"$fixture" write "$W" > /dev/null || { echo "FAIL: the fixture wrote no checkpoints"; exit 1; }

"$describe" --checkpoint="$W/dense_patterns.safetensors" > "$W/dense.txt" 2> "$W/err" || fail "dense: $(cat "$W/err")"
has "$W/dense.txt" "kind: dense"
has "$W/dense.txt" "  d_model: 16"
has "$W/dense.txt" "  layers: 3"
has "$W/dense.txt" "  near: window 2 (0.0012 of causal pairs)"  # (5000 + 4999 + 4998) / (5000 * 5001 / 2)
has "$W/dense.txt" "  layer 1: cols mixed local8 near"
has "$W/dense.txt" "  written_by: python_compat_fixture"
has "$W/dense.txt" "  output.weight F32 [256, 16] (= embedding.weight)"
# d = 16, 3 blocks, ff 12: embedding, alpha, positional FF and norm, blocks, final norm, output bias.
d=16; n=3; ff=12
expected=$((256 * d + 1 + 2 * (d * d + d) + 2 * d + n * (4 * d * d + 4 * d + 4 * ff * d + 2 * ff + d + 4 * d + 2) + 2 * d + 256))
has "$W/dense.txt" "parameters: $expected (tied: output.weight = embedding.weight)"
[ -s "$W/err" ] && fail "dense: stderr not empty: $(cat "$W/err")"

"$describe" --checkpoint="$W/sparse6.safetensors" --output="$W/sparse.txt" || fail "sparse --output"
has "$W/sparse.txt" "kind: sparse"
has "$W/sparse.txt" "  mask_subset: 21"
has "$W/sparse.txt" "  layer 0: strided strided strided global global global"

# Errors: one line on stderr, a non-zero exit, no output file.
expect_error() {
  local code="$1" message="$2"; shift 2
  rm -f "$W/out.txt"
  "$@" --output="$W/out.txt" > /dev/null 2> "$W/err"
  local rc=$?
  if [ "$code" = any ]; then [ "$rc" -ne 0 ] || fail "$*: exit 0"; else [ "$rc" -eq "$code" ] || fail "$*: exit $rc, expected $code"; fi
  [ "$(wc -l < "$W/err")" -eq 1 ] || fail "$*: stderr is not one line: $(cat "$W/err")"
  grep -qF -- "$message" "$W/err" || fail "$*: stderr lacks '$message': $(cat "$W/err")"
  [ ! -e "$W/out.txt" ] || fail "$*: left its output"
}
expect_error 2 "--checkpoint is required" "$describe"
expect_error 1 "absent.safetensors" "$describe" --checkpoint="$W/absent.safetensors"
echo "no checkpoint" > "$W/junk.safetensors"
expect_error any "junk.safetensors" "$describe" --checkpoint="$W/junk.safetensors"
head -c 300 "$W/dense.safetensors" > "$W/cut.safetensors"
expect_error any "cut.safetensors" "$describe" --checkpoint="$W/cut.safetensors"

finish
