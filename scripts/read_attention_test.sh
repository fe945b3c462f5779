#!/usr/bin/env bash
# scripts/read_attention.py on numpy's own .npy fixtures and on a real dump_attention stream,
# from a file and from a pipe: the same records as numpy.load gives, a clean stop at the end,
# one line for a truncated stream.
set -uo pipefail
T=$(pwd)
source "$T/tools/test_lib.sh"
PY=/usr/bin/python3
R=$T/scripts/read_attention.py
NPY=$T/testdata/npy

# The fixtures (testdata/npy/make_fixtures.py): two records, then the other versions and orders.
"$PY" "$R" "$NPY/two_records.npy" > "$W/file.txt" 2> "$W/err" || fail "file: $(cat "$W/err")"
cat "$NPY/two_records.npy" | "$PY" "$R" > "$W/pipe.txt" 2> "$W/err" || fail "pipe: $(cat "$W/err")"
printf 'record 0: shape (2, 3), float32, sum 1.875\nrecord 1: shape (1, 1, 2, 2), float32, sum 2.251\n' > "$W/want.txt"
diff "$W/want.txt" "$W/file.txt" || fail "two_records.npy from a file"
diff "$W/want.txt" "$W/pipe.txt" || fail "two_records.npy from a pipe"
grep -qx "2 records" "$W/err" || fail "no record count: $(cat "$W/err")"
cat "$NPY/v2.npy" "$NPY/v3.npy" "$NPY/fortran.npy" "$NPY/f8.npy" | "$PY" -c '
import sys
sys.path.insert(0, sys.argv[1])
import numpy as np
from read_attention import records
a = np.arange(6, dtype=np.float32).reshape(2, 3) / 8
got = list(records(sys.stdin.buffer))
assert len(got) == 4, len(got)
for r in got:
    assert r.shape == (2, 3) and np.array_equal(r, a), r
assert [r.dtype for r in got] == [np.float32] * 3 + [np.float64]
' "$T/scripts" || fail "v2, v3, Fortran order, float64 records"

# A real stream: 3 records of a tiny sparse model, compared with numpy.load on the file.
words_corpus "$W/train.u8" 20000 1
words_corpus "$W/valid.u8" 4000 2
"$T/tools/train_sparse" --train="$W/train.u8" --valid="$W/valid.u8" --output="$W/m.safetensors" \
  --d_model=32 --heads=4 --layers=2 --ff=32 --seq_len=32 --batch_size=4 --max_steps=5 \
  --eval_every=5 --eval_batches=2 --warmup_steps=1 --threads=1 2> "$W/err" || fail "train: $(cat "$W/err")"
dump=("$T/tools/dump_attention" --checkpoint="$W/m.safetensors" --tokens="$W/valid.u8" --num_seqs=3 --seq_len=32)
"${dump[@]}" --output="$W/a.npy" 2> "$W/err" || fail "dump: $(cat "$W/err")"
"${dump[@]}" 2> /dev/null | "$PY" -c '
import sys
sys.path.insert(0, sys.argv[1])
import numpy as np
from read_attention import records
piped = list(records(sys.stdin.buffer))
with open(sys.argv[2], "rb") as f:
    from_file = list(records(f))
    size = f.tell()
with open(sys.argv[2], "rb") as f:  # numpy itself, on the seekable file, knowing the count
    loaded = [np.load(f) for _ in range(3)]
    assert f.tell() == size
assert len(piped) == len(from_file) == 3, (len(piped), len(from_file))
for p, r, l in zip(piped, from_file, loaded):
    assert p.shape == (2, 4, 32, 32) and p.dtype == np.float32, p.shape
    assert np.array_equal(p, l) and np.array_equal(r, l)
    assert np.allclose(p.sum(axis=-1), 1, atol=1e-5)
    assert np.all(np.triu(p, 1) == 0)  # causal
' "$T/scripts" "$W/a.npy" || fail "the dump_attention stream"

# Truncated: one line naming the stream, exit 1; empty: no records, exit 0.
head -c $(( $(stat -c %s "$W/a.npy") - 10 )) "$W/a.npy" | "$PY" "$R" > /dev/null 2> "$W/err"
[ $? -eq 1 ] || fail "truncated stream: not exit 1"
[ "$(wc -l < "$W/err")" -eq 1 ] && grep -q "^read_attention.py: -: truncated stream" "$W/err" ||
  fail "truncated stream: $(cat "$W/err")"
"$PY" "$R" < /dev/null > "$W/out.txt" 2> "$W/err" || fail "empty stream: $(cat "$W/err")"
[ ! -s "$W/out.txt" ] && grep -qx "0 records" "$W/err" || fail "empty stream: $(cat "$W/err")"
finish
