#!/usr/bin/env bash
# End-to-end test of tools/tokenize: splits of the testdata corpus, stream round trips of
# every byte value, --stats against an independent Python computation, and every bad input.
set -uo pipefail

TOOL="$TEST_SRCDIR/attn/tools/tokenize"
CORPUS="$TEST_SRCDIR/attn/testdata/corpus.xml"
source "$TEST_SRCDIR/attn/tools/test_lib.sh"

size() { stat -L -c %s "$1"; }

# --- default split: exact sizes, and the pieces concatenate to the input ---------------
n=$(size "$CORPUS")
"$TOOL" --input="$CORPUS" --output_prefix="$W/c" 2>"$W/err" || fail "default split: exit $?"
held=$((n * 5 / 100))  # floor(0.05 * n) for valid and for test; train gets the rest
[ "$(size "$W/c.train.u8")" -eq $((n - 2 * held)) ] || fail "train size $(size "$W/c.train.u8")"
[ "$(size "$W/c.valid.u8")" -eq "$held" ] || fail "valid size"
[ "$(size "$W/c.test.u8")" -eq "$held" ] || fail "test size"
cat "$W/c.train.u8" "$W/c.valid.u8" "$W/c.test.u8" | cmp -s - "$CORPUS" ||
  fail "default split does not concatenate to the input"
grep -q "wrote $W/c.train.u8" "$W/err" || fail "no summary line on stderr: $(cat "$W/err")"

# --- 90/10 fractions, byte counts, ids files ---------------------------------------------
"$TOOL" --input="$CORPUS" --output_prefix="$W/f" --splits=0.9,0.1 2>/dev/null ||
  fail "0.9,0.1: exit $?"
[ "$(size "$W/f.valid.u8")" -eq $((n / 10)) ] || fail "0.9,0.1 valid size"
[ ! -e "$W/f.test.u8" ] || fail "a 2-part split wrote a test file"
cat "$W/f.train.u8" "$W/f.valid.u8" | cmp -s - "$CORPUS" || fail "0.9,0.1 concatenation"
"$TOOL" --input="$CORPUS" --output_prefix="$W/b" --splits=$((n - 300)),200,100 \
  --format=ids 2>/dev/null || fail "byte counts: exit $?"
[ "$(wc -l <"$W/b.test.ids")" -eq 100 ] || fail "byte-count test split is not 100 ids"
cat "$W/b.train.ids" "$W/b.valid.ids" "$W/b.test.ids" |
  "$TOOL" --decode --format=ids | cmp -s - "$CORPUS" || fail "ids split files do not decode to the input"

# --- stream round trips: all 256 byte values, u8 and ids ----------------------------------
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 3 + bytes(range(255, -1, -1)))' \
  >"$W/all.bin"
for format in u8 ids; do
  "$TOOL" --format=$format <"$W/all.bin" >"$W/all.$format" || fail "encode $format: exit $?"
  "$TOOL" --decode --format=$format <"$W/all.$format" | cmp -s - "$W/all.bin" ||
    fail "$format round trip of all byte values"
done
cmp -s "$W/all.u8" "$W/all.bin" || fail "u8 is not the bytes themselves"
[ "$(head -3 "$W/all.ids" | tr '\n' ,)" = "0,1,2," ] || fail "ids do not start 0,1,2"
[ "$(wc -l <"$W/all.ids")" -eq 1024 ] || fail "ids: not one line per byte"
"$TOOL" --input="$CORPUS" --format=ids | "$TOOL" --decode --format=ids --input=- |
  cmp -s - "$CORPUS" || fail "corpus ids round trip"

# --- --stats against Python -----------------------------------------------------------------
"$TOOL" --input="$CORPUS" --stats >"$W/stats.tsv" 2>/dev/null || fail "--stats: exit $?"
[ ! -e "$W/c.stats" ] && [ "$(ls "$W" | grep -c '^stats')" -eq 1 ] || fail "--stats wrote files"
python3 - "$CORPUS" "$W/stats.tsv" <<'PY' || fail "--stats disagrees with Python"
import collections, math, sys
data = open(sys.argv[1], "rb").read()
held = len(data) * 5 // 100
parts = {"train": data[:len(data) - 2 * held], "valid": data[len(data) - 2 * held:len(data) - held],
         "test": data[len(data) - held:], "all": data}
def entropy(b):
    return -sum(c / len(b) * math.log2(c / len(b)) for c in collections.Counter(b).values())
rows = [l.split("\t") for l in open(sys.argv[2]).read().splitlines()]
assert rows[0] == ["split", "bytes", "distinct_tokens", "entropy_bits_per_byte"], rows[0]
assert [r[0] for r in rows[1:]] == ["train", "valid", "test", "all"], rows
for name, size, distinct, h in rows[1:]:
    b = parts[name]
    assert int(size) == len(b), (name, size)
    assert int(distinct) == len(set(b)), (name, distinct)
    assert abs(float(h) - entropy(b)) < 1e-6, (name, h, entropy(b))
PY

# --- bad input: one line on stderr, the right exit code, no file written -----------------
: >"$W/empty"
printf '72\n300\n' >"$W/bad_range.ids"
printf '72\nabc\n' >"$W/bad_text.ids"
printf -- '-1\n' >"$W/bad_negative.ids"
mkdir "$W/out"
expect_error() {  # expected exit code, expected text in the message, tool arguments...
  local want=$1 text=$2
  shift 2
  "$TOOL" "$@" </dev/null >"$W/stdout" 2>"$W/stderr"
  local got=$?
  [ "$got" -eq "$want" ] || fail "$*: exit $got, expected $want"
  [ "$(wc -l <"$W/stderr")" -eq 1 ] || fail "$*: stderr is not one line: $(cat "$W/stderr")"
  grep -qF -- "$text" "$W/stderr" || fail "$*: stderr lacks '$text': $(cat "$W/stderr")"
  [ -z "$(ls -A "$W/out")" ] || fail "$*: wrote $(ls "$W/out")"
}
out="--output_prefix=$W/out/x"
expect_error 1 "is empty" --input="$W/empty" "$out"
expect_error 1 "is empty" --input="$W/empty" --stats
expect_error 1 "stdin is empty" --format=ids
expect_error 1 "stdin is empty" --decode --format=ids
expect_error 1 "no_such_file" --input="$W/no_such_file" "$out"
expect_error 2 "sum to 1.1" --input="$CORPUS" "$out" --splits=0.9,0.2
expect_error 2 "but the input has $n" --input="$CORPUS" "$out" --splits=$n,1
expect_error 2 "sums to $((n - 1)) bytes" --input="$CORPUS" "$out" --splits=$((n - 2)),1
expect_error 2 "'abc'" --input="$CORPUS" "$out" --splits=abc,1
expect_error 2 "2 (train,valid) or 3" --input="$CORPUS" "$out" --splits=0.25,0.25,0.25,0.25
expect_error 2 "--format=bytes" --input="$CORPUS" "$out" --format=bytes
expect_error 2 "--output_prefix=- is not allowed" --input="$CORPUS" --output_prefix=-
expect_error 2 "--splits needs" --input="$CORPUS" --splits=0.9,0.1
expect_error 2 "--decode" --input="$CORPUS" "$out" --decode
expect_error 2 "bogus" --input="$CORPUS" --bogus=1
expect_error 2 "unexpected argument" "$CORPUS"
expect_error 1 "line 2: '300' is not a token id" --decode --format=ids --input="$W/bad_range.ids"
expect_error 1 "line 2: 'abc' is not a token id" --decode --format=ids --input="$W/bad_text.ids"
expect_error 1 "line 1: '-1' is not a token id" --decode --format=ids --input="$W/bad_negative.ids"
expect_error 1 "/proc/nonexistent-dir/x" --input="$CORPUS" --output_prefix=/proc/nonexistent-dir/x

finish
