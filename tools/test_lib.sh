# Shared by the sh_tests (source it first; a test that uses it depends on //tools:test_lib):
#   W: a fresh scratch folder for the test (under Bazel's TEST_TMPDIR; under /tmp by hand).
#   PYTHONPATH includes scripts/, so the tests' Python checks `import safetensors_io`.
#   fail MESSAGE: counts and prints a failure.
#   expect_error CODE MESSAGE_SUBSTRING OUTPUT_FILE -- command...: the command exits with CODE,
#     prints exactly one stderr line containing the message, and leaves no OUTPUT_FILE* behind
#     ("" skips that check).
#   finish: exits 1 after failures, else prints PASS.
#   auto_precision: what --precision=auto should choose here, read from /proc/cpuinfo apart
#     from the tools: bf16 where the CPU has AVX512_BF16 with AVX512BW, or AMX-BF16; else fp32.
#   words_corpus FILE BYTES SEED [WORD...]: writes BYTES bytes of random words ("the cat sat
#     on a mat ..." unless WORDs are given; the same bytes for the same SEED), a corpus tiny
#     models learn within a few hundred steps: its unigram entropy is about 3 bits per byte,
#     and a model of the words gets far below it.
W="$(mktemp -d "${TEST_TMPDIR:-${TMPDIR:-/tmp}}/test.XXXXXX")"
export PYTHONPATH="$(cd "$(dirname "${BASH_SOURCE[0]}")/../scripts" && pwd)${PYTHONPATH:+:$PYTHONPATH}"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

expect_error() {
  local code="$1" message="$2" out="$3"; shift 4
  rm -f "$out"
  "$@" 2> "$W/err" > /dev/null
  local rc=$?
  [ "$rc" -eq "$code" ] || fail "$*: exit $rc, expected $code"
  [ "$(wc -l < "$W/err")" -eq 1 ] || fail "$*: stderr is not one line: $(cat "$W/err")"
  grep -qF -- "$message" "$W/err" || fail "$*: stderr lacks '$message': $(cat "$W/err")"
  [ -z "$out" ] || ! ls "$out"* > /dev/null 2>&1 || fail "$*: left $out behind"
}

auto_precision() {
  local flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
  if [[ ($flags == *" avx512_bf16 "* && $flags == *" avx512bw "*) || $flags == *" amx_bf16 "* ]]; then
    echo bf16
  else
    echo fp32
  fi
}

words_corpus() {
  python3 - "$@" <<'PY'
import random, sys
path, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
words = sys.argv[4:] or ["the ", "cat ", "sat ", "on ", "mat ", "with ", "a ", "hat "]
r = random.Random(seed)
with open(path, "w") as f:
    f.write("".join(r.choice(words) for _ in range(n))[:n])
PY
}

finish() {
  [ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
  echo "PASS"
}
