#!/usr/bin/env bash
# Whole-tool tests of head_metrics, kmeans, silhouette and ward: outputs, exit codes, one-line
# errors, no signal and no files left behind.
set -uo pipefail
T="${TEST_SRCDIR}/attn"
HM="$T/tools/head_metrics"; KM="$T/tools/kmeans"; SIL="$T/tools/silhouette"; WARD="$T/tools/ward"
ATT="$T/testdata/analysis/attention_1x2x3.npy"
SEED="$T/testdata/analysis/seed_head_metrics.csv"
source "$T/tools/test_lib.sh"

# expect_error CODE MESSAGE_SUBSTRING OUTPUT_FILE -- command...: exit code (so no signal),
# exactly one stderr line containing the message, and no output file left behind.
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
# leaves_nothing DIR: DIR holds no file of a failed run (temporary files included).
leaves_nothing() { [ -z "$(ls -A "$1")" ] || fail "files left in $1: $(ls -A "$1")"; }

# near A B: |A - B| <= 1e-6
near() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; exit !(d <= 1e-6 && d >= -1e-6) }'; }
# column FILE NAME ROW: the value of column NAME in data row ROW (1-based) of a CSV.
column() {
  awk -F, -v name="$2" -v row="$3" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i }
    NR == row + 1 { print $c }' "$1"
}

# head_metrics on the closed-form fixture: head 0 averages uniform causal (entropy
# ln(6)/3, sparsity 1/3, distance 1/2) and one-hot column 0 (0, 2/3, 1); head 1 is the diagonal.
"$HM" --threads=2 < "$ATT" > "$W/hm.csv" 2> "$W/err" || fail "head_metrics: $(cat "$W/err")"
[ "$(head -1 "$W/hm.csv")" = "layer,head,entropy,sparsity,distance" ] || fail "header: $(head -1 "$W/hm.csv")"
IFS=, read -r l h e s d < <(sed -n 2p "$W/hm.csv")
[ "$l,$h" = "0,0" ] || fail "row 1 is $l,$h"
near "$e" "$(awk 'BEGIN { print log(6) / 6 }')" || fail "head 0 entropy $e"
near "$s" 0.5 || fail "head 0 sparsity $s"
near "$d" 0.75 || fail "head 0 distance $d"
IFS=, read -r l h e s d < <(sed -n 3p "$W/hm.csv")
near "$e" 0 && near "$s" "$(awk 'BEGIN { print 2 / 3 }')" && near "$d" 0 || fail "head 1: $e $s $d"
[ "$(wc -l < "$W/hm.csv")" -eq 3 ] || fail "head_metrics wrote $(wc -l < "$W/hm.csv") lines"
"$HM" --input="$ATT" --output="$W/hm2.csv" --threads=1 2> /dev/null && cmp -s "$W/hm.csv" "$W/hm2.csv" ||
  fail "--input/--output or --threads=1 differ"

# --list_metrics: what the figures and the pipeline loop over.
[ "$("$HM" --list_metrics | cut -f1 | tr '\n' ' ')" = "entropy sparsity distance " ] || fail "list_metrics"
[ "$("$HM" --list_metrics | cut -f2 | tr '\n' ',')" = "nats,fraction < 0.0001,tokens," ] || fail "units"
[ "$("$HM" --list_metrics --threshold=0.01 | sed -n 2p | cut -f2)" = "fraction < 0.01" ] || fail "unit threshold"
[ "$("$HM" --list_metrics --tokens=x | wc -l)" -eq 11 ] || fail "list_metrics with tokens"

# Position scores and profiles, by hand: the fixture's records are the windows "a b" and "[\n3".
printf 'a b[\n3' > "$W/tokens.u8"
"$HM" --tokens="$W/tokens.u8" --profiles="$W/profiles.csv" < "$ATT" > "$W/pos.csv" 2> "$W/err" ||
  fail "head_metrics --tokens: $(cat "$W/err")"
[ "$(head -1 "$W/pos.csv")" = "layer,head,entropy,sparsity,distance,to_prev,to_self,to_first,to_space,to_newline,to_lt,to_bracket,to_digit" ] ||
  fail "position header: $(head -1 "$W/pos.csv")"
[ "$(cut -d, -f1-5 "$W/pos.csv")" = "$(cat "$W/hm.csv")" ] || fail "--tokens changed the default columns"
# Head 0: uniform causal, then column 0. Head 1: the diagonal twice.
for check in "1 to_prev 11/24" "1 to_self 17/36" "1 to_first 29/36" "1 to_space 5/36" \
             "1 to_bracket 1/2" "1 to_newline 0" "1 to_lt 0" "1 to_digit 0" \
             "2 to_prev 0" "2 to_self 1" "2 to_first 1/3" "2 to_space 1/6" "2 to_newline 1/6" \
             "2 to_digit 1/6" "2 to_bracket 1/6"; do
  set -- $check
  near "$(column "$W/pos.csv" "$2" "$1")" "$(awk "BEGIN { print $3 }")" ||
    fail "head $(($1 - 1)) $2 = $(column "$W/pos.csv" "$2" "$1"), expected $3"
done
[ "$(head -1 "$W/profiles.csv")" = "layer,head,d0,d1,d2" ] || fail "profiles header"
for check in "1 d0 17/36" "1 d1 11/36" "1 d2 2/9" "2 d0 1" "2 d1 0" "2 d2 0"; do
  set -- $check
  near "$(column "$W/profiles.csv" "$2" "$1")" "$(awk "BEGIN { print $3 }")" ||
    fail "profile of head $(($1 - 1)) $2 = $(column "$W/profiles.csv" "$2" "$1"), expected $3"
done

# head_metrics bad input.
head -c 350 "$ATT" > "$W/truncated.npy"
expect_error 1 "record 1: truncated data" "$W/o.csv" -- "$HM" --input="$W/truncated.npy" --output="$W/o.csv"
expect_error 1 "not an .npy record" "$W/o.csv" -- "$HM" --input="$SEED" --output="$W/o.csv"
expect_error 1 "dtype '<f8' is not little-endian float32" "$W/o.csv" -- \
  "$HM" --input="$T/testdata/npy/f8.npy" --output="$W/o.csv"
expect_error 1 "expected [layers, heads, L, L]" "$W/o.csv" -- \
  "$HM" --input="$T/testdata/npy/v2.npy" --output="$W/o.csv"
expect_error 1 "records must all have the same shape" "$W/o.csv" -- \
  "$HM" --input=<(cat "$ATT" "$T/testdata/npy/two_records.npy") --output="$W/o.csv"
expect_error 1 "no records" "$W/o.csv" -- "$HM" --input=/dev/null --output="$W/o.csv"
expect_error 1 "cannot open" "$W/o.csv" -- "$HM" --input="$W/missing.npy" --output="$W/o.csv"
head -c 4000 /dev/urandom > "$W/garbage.bin"
expect_error 1 "record 0" "$W/o.csv" -- "$HM" --input="$W/garbage.bin" --output="$W/o.csv"
expect_error 2 "--threshold=0 must be a positive number" "" -- "$HM" --threshold=0 --input="$ATT"
expect_error 2 "--threshold=nan must be a positive number" "" -- "$HM" --threshold=nan --input="$ATT"
expect_error 2 "--offset is only used with --tokens" "" -- "$HM" --offset=3 --input="$ATT"
expect_error 2 "unknown command line flag" "" -- "$HM" --bogus
expect_error 1 "too few for record 1" "$W/o.csv" -- \
  "$HM" --tokens="$W/tokens.u8" --offset=1 --input="$ATT" --output="$W/o.csv"
expect_error 1 "cannot read tokens" "$W/o.csv" -- \
  "$HM" --tokens="$W/missing.u8" --input="$ATT" --output="$W/o.csv"
# Headers that claim more than follows: one line, quickly, within 1 GB of address space
# (these once aborted with std::bad_alloc or allocated 6.2 GB).
for shape in "100000000000, 1, 1, 1" "1, 2147483648, 1, 1" "1, 1, 20000, 20000"; do
  /usr/bin/python3 - "$W/hostile.npy" "$shape" <<'PY'
import struct, sys
d = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % sys.argv[2]
d += " " * (127 - 10 - len(d)) + "\n"
open(sys.argv[1], "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(d)) + d.encode()
                              + struct.pack("<16f", *[1.0] * 16))
PY
  [ "$(stat -c %s "$W/hostile.npy")" -eq 192 ] || fail "hostile fixture is not 192 bytes"
  expect_error 1 "record 0" "$W/o.csv" -- bash -c "ulimit -v 1000000; exec \"$HM\" --input=\"$W/hostile.npy\" --output=\"$W/o.csv\""
done

# Unwritable outputs, and side outputs, fail together: nothing is left behind.
touch "$W/file"
mkdir -p "$W/side"
expect_error 1 "$W/file/x" "" -- "$HM" --input="$ATT" --output="$W/file/x" --profiles="$W/side/p.csv"
leaves_nothing "$W/side"
expect_error 1 "$W/file/x" "" -- "$HM" --input="$ATT" --output="$W/side/m.csv" --profiles="$W/file/x"
leaves_nothing "$W/side"
expect_error 2 "--output and --profiles name the same file" "" -- \
  "$HM" --input="$ATT" --output="$W/side/m.csv" --profiles="$W/side/m.csv"
leaves_nothing "$W/side"

# kmeans: the seed metrics at k = 4 reach scikit-learn's best inertia; rows keep their text.
"$KM" --k=4 --centroids="$W/centroids.csv" < "$SEED" > "$W/clusters.csv" 2> "$W/err" || fail "kmeans: $(cat "$W/err")"
grep -q "^kmeans: k=4 inertia 47.94211807" "$W/err" || fail "kmeans stderr: $(cat "$W/err")"
[ "$(head -1 "$W/clusters.csv")" = "layer,head,entropy,sparsity,distance,cluster" ] || fail "clusters header"
[ "$(cut -d, -f1-5 "$W/clusters.csv")" = "$(cat "$SEED")" ] || fail "kmeans changed the input rows"
[ "$(cut -d, -f6 "$W/clusters.csv" | tail -n +2 | sort -u | tr '\n' ' ')" = "0 1 2 3 " ] || fail "labels"
[ "$(head -1 "$W/centroids.csv")" = "cluster,entropy,sparsity,distance" ] || fail "centroids header"
[ "$(wc -l < "$W/centroids.csv")" -eq 5 ] || fail "centroids rows"
"$KM" --k=4 --seed=0 < "$SEED" 2> /dev/null | cmp -s - "$W/clusters.csv" || fail "kmeans not deterministic"
expect_error 2 "no column 'foo'" "$W/o.csv" -- "$KM" --features=entropy,foo --input="$SEED" --output="$W/o.csv"
expect_error 1 "seed_head_metrics.csv: k-means with k=97 needs at least 97 rows" "$W/o.csv" -- "$KM" --k=97 --input="$SEED" --output="$W/o.csv"
expect_error 2 "--k=0 must be >= 1" "$W/o.csv" -- "$KM" --k=0 --input="$SEED" --output="$W/o.csv"
expect_error 2 "--tol=nan must be a number >= 0" "$W/o.csv" -- "$KM" --tol=nan --input="$SEED" --output="$W/o.csv"
printf 'entropy,sparsity,distance\n1,2,x\n' > "$W/bad.csv"
expect_error 1 "line 2, column 'distance': 'x' is not a finite number" "$W/o.csv" -- \
  "$KM" --k=1 --input="$W/bad.csv" --output="$W/o.csv"
expect_error 2 "unknown command line flag" "" -- "$KM" --bogus
expect_error 2 "" "" -- "$KM" --k=abc
expect_error 1 "cannot open" "$W/o.csv" -- "$KM" --input="$W/missing.csv" --output="$W/o.csv"
expect_error 1 "empty input" "$W/o.csv" -- "$KM" --input=/dev/null --output="$W/o.csv"
expect_error 1 "garbage.bin" "$W/o.csv" -- "$KM" --input="$W/garbage.bin" --output="$W/o.csv"
expect_error 1 "$W/file/x" "" -- "$KM" --input="$SEED" --output="$W/file/x" --centroids="$W/side/c.csv"
leaves_nothing "$W/side"
expect_error 1 "$W/file/x" "" -- "$KM" --input="$SEED" --output="$W/side/k.csv" --centroids="$W/file/x"
leaves_nothing "$W/side"
# A constant feature: a warning line, then clustering on the others.
printf 'a,b\n1,5\n2,5\n10,5\n11,5\n' > "$W/const.csv"
"$KM" --k=2 --features=a,b < "$W/const.csv" > "$W/o.csv" 2> "$W/err" || fail "kmeans constant: $(cat "$W/err")"
grep -q "feature 'b' is constant" "$W/err" || fail "no constant-feature warning: $(cat "$W/err")"
[ "$(cut -d, -f3 "$W/o.csv" | tr '\n' ' ')" = "cluster 0 0 1 1 " ] || fail "constant: $(cat "$W/o.csv")"

# silhouette of the kmeans clustering (scikit-learn: 0.5862007530), and per-sample values.
mean=$("$SIL" --per_sample="$W/ps.csv" < "$W/clusters.csv" 2> "$W/err") || fail "silhouette: $(cat "$W/err")"
near "$mean" 0.5862007530 || fail "silhouette mean $mean"
[ "$(head -1 "$W/ps.csv")" = "layer,head,entropy,sparsity,distance,cluster,silhouette" ] || fail "per_sample header"
[ "$(wc -l < "$W/ps.csv")" -eq 97 ] || fail "per_sample rows"
expect_error 2 "no 'cluster' column" "" -- "$SIL" --input="$SEED"
printf 'entropy,sparsity,distance,cluster\n1,2,3,0\n2,3,4,0\n' > "$W/one.csv"
expect_error 1 "one.csv: silhouette needs 2 to n - 1 = 1 clusters; the labels form 1" "" -- \
  "$SIL" --input="$W/one.csv"
expect_error 1 "$W/file/x" "" -- "$SIL" --input="$W/clusters.csv" --output="$W/file/x" --per_sample="$W/side/s.csv"
leaves_nothing "$W/side"
expect_error 1 "cannot open" "" -- "$SIL" --input="$W/missing.csv"
expect_error 1 "empty input" "" -- "$SIL" --input=/dev/null
expect_error 2 "unknown command line flag" "" -- "$SIL" --bogus

# The Ward sweep on the seed metrics: the issue's k = 2, 3, 4 values to 4 decimals.
"$SIL" --k_min=2 --k_max=8 --algorithm=ward < "$SEED" > "$W/sweep.tsv" 2> /dev/null || fail "sweep"
[ "$(head -1 "$W/sweep.tsv")" = "$(printf 'k\tsilhouette')" ] || fail "sweep header"
[ "$(awk -F'\t' 'NR > 1 && NR <= 4 { printf "%d:%.4f ", $1, $2 }' "$W/sweep.tsv")" = \
  "2:0.4811 3:0.4627 4:0.5382 " ] || fail "sweep values: $(cat "$W/sweep.tsv")"
[ "$(wc -l < "$W/sweep.tsv")" -eq 8 ] || fail "sweep rows"
"$SIL" --k_max=5 --algorithm=kmeans < "$SEED" > "$W/km.tsv" 2> /dev/null || fail "kmeans sweep"
[ "$(wc -l < "$W/km.tsv")" -eq 5 ] || fail "kmeans sweep rows"
expect_error 2 "is not one of ward, kmeans" "$W/o.tsv" -- "$SIL" --k_max=3 --algorithm=x --input="$SEED" --output="$W/o.tsv"
expect_error 2 "need 2 <= k_min <= k_max" "$W/o.tsv" -- "$SIL" --k_min=1 --k_max=3 --input="$SEED" --output="$W/o.tsv"
expect_error 2 "--distance=x is not one of euclidean, js" "$W/o.tsv" -- "$SIL" --k_max=3 --distance=x --input="$SEED" --output="$W/o.tsv"
# k_max beyond the rows is lowered to rows - 1, with a note.
"$SIL" --k_max=8 --features=a --input="$W/const.csv" > "$W/small.tsv" 2> "$W/err" || fail "small sweep: $(cat "$W/err")"
[ "$(cut -f1 "$W/small.tsv" | tr '\n' ' ')" = "k 2 3 " ] || fail "small sweep: $(cat "$W/small.tsv")"
grep -q "silhouette: note: --k_max=8 lowered to n - 1 = 3" "$W/err" || fail "no k_max note: $(cat "$W/err")"

# ward: Ward labels, at a given k or at the best silhouette (k = 7 on the seed metrics,
# whose k = 7 silhouette the sweep gives: 0.6142443295).
"$WARD" --k=best --centroids="$W/wc.csv" < "$SEED" > "$W/ward.csv" 2> "$W/err" || fail "ward: $(cat "$W/err")"
grep -q "^ward: k=7, the best silhouette" "$W/err" || fail "ward stderr: $(cat "$W/err")"
[ "$(head -1 "$W/ward.csv")" = "layer,head,entropy,sparsity,distance,cluster" ] || fail "ward header"
[ "$(cut -d, -f1-5 "$W/ward.csv")" = "$(cat "$SEED")" ] || fail "ward changed the input rows"
near "$("$SIL" < "$W/ward.csv")" 0.6142443295 || fail "silhouette of ward --k=best: $("$SIL" < "$W/ward.csv")"
[ "$(wc -l < "$W/wc.csv")" -eq 8 ] || fail "ward centroids rows"
# At k = 4, scikit-learn's AgglomerativeClustering labels (pinned in ward_test).
[ "$("$WARD" --k=4 < "$SEED" 2> /dev/null | cut -d, -f6 | tail -n +2 | tr -d '\n')" = \
  "012001200120012001200120012001200120012001230120012001200123012301230123012301230123012301230123" ] ||
  fail "ward --k=4 labels"
# The js distance on attention profiles: scipy's ward of the jensenshannon distances
# (scripts/analysis_reference.py); the best of k = 2..5 is k = 2 (0.599808759748765).
printf 'layer,head,d0,d1,d2,d3,d4\n0,0,0.7,0.2,0.1,0,0\n0,1,0.6,0.3,0.1,0,0\n0,2,0.1,0.1,0.1,0.2,0.5\n0,3,0.05,0.05,0.2,0.2,0.5\n0,4,0.4,0.4,0.4,0.4,0.4\n0,5,1,0,0,0,0\n' > "$W/prof.csv"
[ "$("$SIL" --distance=js --k_max=5 < "$W/prof.csv" 2> /dev/null | tail -n +2 | awk -F'\t' '{ printf "%d:%.12f ", $1, $2 }')" = \
  "2:0.599808759749 3:0.559975533492 4:0.425907449187 5:0.258392138596 " ] || fail "js sweep"
[ "$("$WARD" --distance=js --k_max=5 < "$W/prof.csv" 2> /dev/null | cut -d, -f8 | tail -n +2 | tr -d '\n')" = "001110" ] ||
  fail "ward --distance=js labels"
[ "$("$WARD" --distance=js --k=3 < "$W/prof.csv" 2> /dev/null | cut -d, -f8 | tail -n +2 | tr -d '\n')" = "001112" ] ||
  fail "ward --distance=js --k=3 labels"
expect_error 1 "the js distance compares distributions" "$W/o.csv" -- \
  "$WARD" --distance=js --features=entropy,sparsity,distance --input=<(sed 's/,0\.4/,-0.4/' "$SEED") --output="$W/o.csv"
expect_error 2 "--k=x is neither 'best' nor a number >= 1" "$W/o.csv" -- "$WARD" --k=x --input="$SEED" --output="$W/o.csv"
expect_error 2 "need 2 <= k_min <= k_max" "$W/o.csv" -- "$WARD" --k_min=5 --k_max=3 --input="$SEED" --output="$W/o.csv"
expect_error 1 "has 96 rows; Ward cannot make k = 97 clusters" "$W/o.csv" -- "$WARD" --k=97 --input="$SEED" --output="$W/o.csv"
expect_error 1 "already has a 'cluster' column" "$W/o.csv" -- "$WARD" --input="$W/ward.csv" --output="$W/o.csv"
expect_error 1 "cannot open" "$W/o.csv" -- "$WARD" --input="$W/missing.csv" --output="$W/o.csv"
expect_error 1 "empty input" "$W/o.csv" -- "$WARD" --input=/dev/null --output="$W/o.csv"
expect_error 2 "unknown command line flag" "" -- "$WARD" --bogus
expect_error 1 "$W/file/x" "" -- "$WARD" --input="$SEED" --output="$W/file/x" --centroids="$W/side/c.csv"
leaves_nothing "$W/side"

finish
