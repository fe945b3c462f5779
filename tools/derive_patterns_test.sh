#!/usr/bin/env bash
# Whole-tool test of derive_patterns on a planted stream: the pattern file, stdin/stdout, exit
# codes, one-line errors and no half-written files.
set -uo pipefail
T="${TEST_SRCDIR}/attn"
DP="$T/tools/derive_patterns"; PLANT="$T/lib/study/planted_stream"
source "$T/tools/test_lib.sh"

"$PLANT" "$W/s.npy" "$W/c.csv" 32 || fail "planted_stream"
"$PLANT" "$W/nan.npy" "$W/c.csv" 32 nan || fail "planted_stream nan"
"$PLANT" "$W/short.npy" "$W/unused.csv" 16 || fail "planted_stream 16"

# The pattern file: 4 heads for clusters of 4, 1, 3 heads (quotas 2, .5, 1.5 give 2, 0, 2; then
# cluster 1 is held at one and the other 3 go 2, 1), the report in it and as a table on stderr.
"$DP" --attention="$W/s.npy" --clusters="$W/c.csv" --heads=4 --output="$W/p.json" 2> "$W/log" ||
  fail "derive_patterns: $(cat "$W/log")"
python3 - "$W/p.json" <<'PY' || fail "pattern file: $(cat "$W/p.json")"
import json, sys
p = json.load(open(sys.argv[1]))
assert p["heads"] == ["cluster0", "cluster0", "cluster1", "cluster2"], p["heads"]
assert sorted(p["patterns"]) == ["cluster0", "cluster1", "cluster2"], p["patterns"]
d = p["derived"]
assert d["seq_len"] == 32 and d["sequences"] == 3 and d["layers"] == 2 and d["heads"] == 4, d
assert [c["cluster"] for c in d["clusters"]] == [0, 1, 2]
assert [c["heads"] for c in d["clusters"]] == [[[0, 0], [0, 3], [1, 1], [1, 3]], [[0, 1]], [[0, 2], [1, 0], [1, 2]]]
for c in d["clusters"]:
    assert c["coverage"] >= 0.9 and 0 < c["pair_fraction"] < 1, c
    assert p["patterns"][c["pattern_name"]] == c["pattern"], c
PY
grep -q "^cluster   heads  assigned  coverage" "$W/log" || fail "no report table: $(cat "$W/log")"
grep -q "^0             4         2 " "$W/log" || fail "no row for cluster 0: $(cat "$W/log")"
grep -q "2 layers x 4 heads compute" "$W/log" || fail "no summary line: $(cat "$W/log")"

# stdin and stdout give the same file; so does --threads.
"$DP" --clusters="$W/c.csv" --heads=4 < "$W/s.npy" 2> /dev/null | cmp -s - "$W/p.json" ||
  fail "stdin/stdout differ from the files"
"$DP" --attention="$W/s.npy" --clusters="$W/c.csv" --heads=4 --threads=1 2> /dev/null | cmp -s - "$W/p.json" ||
  fail "--threads=1 differs"
# Per layer: layer 0 has clusters of 2, 1, 1 heads, layer 1 of 2, 0, 2.
"$DP" --attention="$W/s.npy" --clusters="$W/c.csv" --heads=4 --per_layer --output="$W/pl.json" 2> /dev/null ||
  fail "--per_layer"
python3 -c 'import json,sys; h = json.load(open(sys.argv[1]))["heads"]
assert h == [["cluster0", "cluster0", "cluster1", "cluster2"], ["cluster0", "cluster0", "cluster2", "cluster2"]], h' \
  "$W/pl.json" || fail "--per_layer heads"

# Usage errors: exit 2.
expect_error 2 "--coverage=0 must be in (0, 1]" "$W/o.json" -- \
  "$DP" --attention="$W/s.npy" --clusters="$W/c.csv" --heads=4 --coverage=0 --output="$W/o.json"
expect_error 2 "--heads=0 must be >= 1" "$W/o.json" -- \
  "$DP" --attention="$W/s.npy" --clusters="$W/c.csv" --output="$W/o.json"
expect_error 2 "--clusters is required" "$W/o.json" -- "$DP" --attention="$W/s.npy" --heads=4 --output="$W/o.json"
expect_error 2 "--layers=5 with --per_layer" "$W/o.json" -- \
  "$DP" --attention="$W/s.npy" --clusters="$W/c.csv" --heads=4 --per_layer --layers=5 --output="$W/o.json"
expect_error 2 "unknown command line flag" "" -- "$DP" --bogus

# Bad inputs: exit 1, naming the input.
sed '$d' "$W/c.csv" > "$W/missing.csv"
expect_error 1 "s.npy: layer 1 head 3 not in $W/missing.csv" "$W/o.json" -- \
  "$DP" --attention="$W/s.npy" --clusters="$W/missing.csv" --heads=4 --output="$W/o.json"
{ cat "$W/c.csv"; echo "2,0,1,0.5,2,1"; } > "$W/extra.csv"
expect_error 1 "extra.csv: layer 2 head 0 is not in $W/s.npy" "$W/o.json" -- \
  "$DP" --attention="$W/s.npy" --clusters="$W/extra.csv" --heads=4 --output="$W/o.json"
cut -d, -f1-5 "$W/c.csv" > "$W/nocluster.csv"
expect_error 1 "no column 'cluster'" "$W/o.json" -- \
  "$DP" --attention="$W/s.npy" --clusters="$W/nocluster.csv" --heads=4 --output="$W/o.json"
sed '2s/,0$/,x/' "$W/c.csv" > "$W/badlabel.csv"
expect_error 1 "line 2, column 'cluster': 'x' is not an integer cluster label" "$W/o.json" -- \
  "$DP" --attention="$W/s.npy" --clusters="$W/badlabel.csv" --heads=4 --output="$W/o.json"
expect_error 1 "record 2, layer 1, head 3: entry [31, 31] is nan" "$W/o.json" -- \
  "$DP" --attention="$W/nan.npy" --clusters="$W/c.csv" --heads=4 --output="$W/o.json"
expect_error 1 "records must all have the same shape" "$W/o.json" -- \
  "$DP" --attention=<(cat "$W/s.npy" "$W/short.npy") --clusters="$W/c.csv" --heads=4 --output="$W/o.json"
head -c 5000 "$W/s.npy" > "$W/truncated.npy"
expect_error 1 "truncated data" "$W/o.json" -- \
  "$DP" --attention="$W/truncated.npy" --clusters="$W/c.csv" --heads=4 --output="$W/o.json"
expect_error 1 "no records" "$W/o.json" -- \
  "$DP" --attention=/dev/null --clusters="$W/c.csv" --heads=4 --output="$W/o.json"
expect_error 1 "cannot open" "$W/o.json" -- \
  "$DP" --attention="$W/absent.npy" --clusters="$W/c.csv" --heads=4 --output="$W/o.json"

finish
